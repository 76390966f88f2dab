package node

import (
	"context"

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

// applyTxnLocked runs a transaction's micro-ops (targets.ApplyTxn) on the
// state and commits its writes only when every micro-op succeeded;
// otherwise it returns why, and the state is unchanged. It is
// deterministic: every node applies the same entry. ApplyTxn never changes
// a list it reads (appends build new slices), so committed lists can be
// handed out without copies.
func (s *kvState) applyTxnLocked(ops []targets.TxnOp) (reads []targets.TxnValue, abort string) {
	get := func(k string) targets.TxnValue {
		if n, ok := s.data[k]; ok {
			return targets.IntValue(n)
		}
		if l, ok := s.lists[k]; ok {
			return targets.ListValue(l)
		}
		return targets.TxnValue{}
	}
	reads, writes, abort := targets.ApplyTxn(get, ops)
	if abort != "" {
		return nil, abort
	}
	for k, v := range writes {
		if v.IsList {
			s.lists[k] = v.List
			delete(s.data, k)
		} else {
			s.data[k] = v.Int
			delete(s.lists, k)
		}
	}
	return reads, ""
}
