package node

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/kvhttp"
)

// opTxn is a command carrying a transaction: its micro-ops run in order at
// apply time, on every node alike, all or nothing.
const opTxn = "txn"

var _ kvhttp.TxnBackend = (*server)(nil)

// Txn replicates a transaction through the log and answers with what its
// reads saw on this node at apply time. Because it is an entry of the log,
// its reads are linearizable like its writes, and everything it did is in
// the journal. A transaction refused as a whole comes back as a
// *targets.TxnAbortedError; the other errors are propose's (definite when
// nothing was proposed, indeterminate after).
func (s *server) Txn(ctx context.Context, ops []targets.TxnOp) ([]targets.TxnValue, error) {
	res, err := s.propose(ctx, command{Op: opTxn, Txn: ops})
	if err != nil {
		return nil, err
	}
	if res.Abort != "" {
		return nil, &targets.TxnAbortedError{Reason: res.Abort}
	}
	return res.Reads, nil
}

// txnVal is a key's value as a transaction sees it.
type txnVal struct {
	found, isList bool
	n             int64
	list          []int64
}

func (v txnVal) export() targets.TxnValue {
	switch {
	case !v.found:
		return targets.TxnValue{}
	case v.isList:
		// A copy: the proposer reads it after the lock is released, and
		// later appends may write into the same backing array.
		return targets.ListValue(slices.Clone(v.list))
	default:
		return targets.IntValue(v.n)
	}
}

// applyTxnLocked runs a transaction's micro-ops against an overlay of the
// keys it touches and commits the overlay only when every micro-op
// succeeded; otherwise it returns why, and the state is unchanged. It
// must be deterministic: every node applies the same entry.
//
// Appends may write into the spare capacity of a committed list's backing
// array; that is safe because the committed slice's length is unchanged
// until commit, and every read hands out a copy.
func (s *kvState) applyTxnLocked(ops []targets.TxnOp) (reads []targets.TxnValue, abort string) {
	overlay := make(map[string]txnVal, len(ops))
	get := func(k string) txnVal {
		if v, ok := overlay[k]; ok {
			return v
		}
		if n, ok := s.data[k]; ok {
			return txnVal{found: true, n: n}
		}
		if l, ok := s.lists[k]; ok {
			return txnVal{found: true, isList: true, list: l}
		}
		return txnVal{}
	}
	integer := func(o targets.TxnOp, k string) (txnVal, string) {
		v := get(k)
		if v.isList {
			return v, fmt.Sprintf("%s: key %s holds a list, not an integer", o.F, k)
		}
		v.found = true
		return v, ""
	}
	reads = make([]targets.TxnValue, len(ops))
	for i, o := range ops {
		if err := o.Validate(); err != nil {
			return nil, fmt.Sprintf("micro-op %d: %v", i, err)
		}
		switch o.F {
		case targets.TxnRead:
			reads[i] = get(o.Key).export()
		case targets.TxnWrite:
			overlay[o.Key] = txnVal{found: true, n: o.Value}
		case targets.TxnInit:
			if !get(o.Key).found {
				overlay[o.Key] = txnVal{found: true, n: o.Value}
			}
		case targets.TxnAppend:
			v := get(o.Key)
			if v.found && !v.isList {
				return nil, fmt.Sprintf("append: key %s holds an integer, not a list", o.Key)
			}
			overlay[o.Key] = txnVal{found: true, isList: true, list: append(v.list, o.Value)}
		case targets.TxnAdd:
			v, why := integer(o, o.Key)
			if why != "" {
				return nil, why
			}
			if (o.Value > 0 && v.n > math.MaxInt64-o.Value) || (o.Value < 0 && v.n < math.MinInt64-o.Value) {
				return nil, fmt.Sprintf("add: %d + %d overflows key %s", v.n, o.Value, o.Key)
			}
			v.n += o.Value
			overlay[o.Key] = v
		case targets.TxnTransfer:
			if !get(o.Key).found || !get(o.To).found {
				return nil, fmt.Sprintf("transfer from %s to %s: both accounts must exist", o.Key, o.To)
			}
			from, why := integer(o, o.Key)
			if why != "" {
				return nil, why
			}
			to, why := integer(o, o.To)
			if why != "" {
				return nil, why
			}
			if from.n < o.Value {
				return nil, fmt.Sprintf("insufficient funds: %s holds %d, cannot transfer %d to %s", o.Key, from.n, o.Value, o.To)
			}
			if to.n > math.MaxInt64-o.Value {
				return nil, fmt.Sprintf("transfer: %d + %d overflows key %s", to.n, o.Value, o.To)
			}
			from.n -= o.Value
			to.n += o.Value
			overlay[o.Key], overlay[o.To] = from, to
		}
	}
	for k, v := range overlay {
		if v.isList {
			s.lists[k] = v.list
			delete(s.data, k)
		} else {
			s.data[k] = v.n
			delete(s.lists, k)
		}
	}
	return reads, ""
}
