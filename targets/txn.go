package targets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// Micro-operations of a transaction (TxnOp.F). A key holds nothing, an
// integer or a list of integers; a micro-op that finds the wrong kind of
// value aborts the whole transaction.
const (
	// TxnRead reads Key: null when absent, an integer, or a list.
	TxnRead = "read"
	// TxnWrite sets Key to the integer Value.
	TxnWrite = "write"
	// TxnAppend appends Value to the list at Key (an absent key is an
	// empty list).
	TxnAppend = "append"
	// TxnAdd adds Value to the integer at Key (an absent key is 0).
	TxnAdd = "add"
	// TxnInit sets Key to Value only when Key holds nothing: initial state
	// without a separate set-up step (the bank workload's reads open every
	// account with it, and transfers between unopened accounts abort).
	TxnInit = "init"
	// TxnTransfer moves Value (≥ 0) from the integer at Key to the integer
	// at To. Both must exist (accounts are opened with TxnInit), and when
	// Key holds less than Value the whole transaction aborts, so no
	// balance ever goes negative.
	TxnTransfer = "transfer"
)

// TxnOp is one micro-operation of a transaction.
type TxnOp struct {
	F     string `json:"f"`
	Key   string `json:"key"`
	To    string `json:"to,omitempty"`    // transfer: destination key
	Value int64  `json:"value,omitempty"` // written, appended, added, initial value, amount
}

// Validate checks what can be checked without state: a known F, a key,
// a destination and a non-negative amount for transfers.
func (o TxnOp) Validate() error {
	if o.Key == "" {
		return fmt.Errorf("%s: empty key", o.F)
	}
	switch o.F {
	case TxnRead, TxnWrite, TxnAppend, TxnAdd, TxnInit:
		if o.To != "" {
			return fmt.Errorf("%s %s: only transfer takes a destination", o.F, o.Key)
		}
	case TxnTransfer:
		if o.To == "" || o.To == o.Key {
			return fmt.Errorf("transfer from %s: need a destination key other than the source", o.Key)
		}
		if o.Value < 0 {
			return fmt.Errorf("transfer from %s: negative amount %d", o.Key, o.Value)
		}
	default:
		return fmt.Errorf("unknown micro-op %q (have: %s, %s, %s, %s, %s, %s)", o.F,
			TxnRead, TxnWrite, TxnAppend, TxnAdd, TxnInit, TxnTransfer)
	}
	return nil
}

// TxnValue is what a read micro-op saw. Its JSON form is null (absent), an
// integer, or an array of integers.
type TxnValue struct {
	Found  bool
	IsList bool
	Int    int64   // when Found && !IsList
	List   []int64 // when Found && IsList
}

// IntValue returns a found integer.
func IntValue(v int64) TxnValue { return TxnValue{Found: true, Int: v} }

// ListValue returns a found list.
func ListValue(l []int64) TxnValue { return TxnValue{Found: true, IsList: true, List: l} }

// MarshalJSON implements json.Marshaler.
func (v TxnValue) MarshalJSON() ([]byte, error) {
	switch {
	case !v.Found:
		return []byte("null"), nil
	case v.IsList:
		if v.List == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(v.List)
	default:
		return json.Marshal(v.Int)
	}
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *TxnValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*v = TxnValue{}
		return nil
	case len(b) > 0 && b[0] == '[':
		var l []int64
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("txn value: %w", err)
		}
		*v = ListValue(l)
		return nil
	default:
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("txn value: want null, an integer or a list of integers, got %.40s", b)
		}
		*v = IntValue(n)
		return nil
	}
}

// TxnAbortedError says the target refused a transaction as a whole (a
// transfer without funds, a micro-op on the wrong kind of value): nothing
// of it took effect, so it is definite.
type TxnAbortedError struct{ Reason string }

func (e *TxnAbortedError) Error() string { return "transaction aborted: " + e.Reason }

// Unwrap makes an abort definite for IsDefinite.
func (e *TxnAbortedError) Unwrap() error { return ErrDefinite }

// ApplyTxn runs ops in order against the state get reads (a key's current
// value; get must not be called concurrently with changes to that state)
// and returns what each read saw and the keys to write, or why the
// transaction aborts as a whole (then nothing may be written). It is pure
// and deterministic, so a replicated target can run it at apply time on
// every node, and a client-side target (one that validates its writes
// with compare-and-swap) on a snapshot. It never changes a list get
// returned: appends build new slices.
func ApplyTxn(get func(key string) TxnValue, ops []TxnOp) (reads []TxnValue, writes map[string]TxnValue, abort string) {
	writes = make(map[string]TxnValue, len(ops))
	cur := func(k string) TxnValue {
		if v, ok := writes[k]; ok {
			return v
		}
		return get(k)
	}
	integer := func(o TxnOp, k string) (TxnValue, string) {
		v := cur(k)
		if v.IsList {
			return v, fmt.Sprintf("%s: key %s holds a list, not an integer", o.F, k)
		}
		v.Found = true
		return v, ""
	}
	reads = make([]TxnValue, len(ops))
	for i, o := range ops {
		if err := o.Validate(); err != nil {
			return nil, nil, fmt.Sprintf("micro-op %d: %v", i, err)
		}
		switch o.F {
		case TxnRead:
			reads[i] = cur(o.Key)
		case TxnWrite:
			writes[o.Key] = IntValue(o.Value)
		case TxnInit:
			if !cur(o.Key).Found {
				writes[o.Key] = IntValue(o.Value)
			}
		case TxnAppend:
			v := cur(o.Key)
			if v.Found && !v.IsList {
				return nil, nil, fmt.Sprintf("append: key %s holds an integer, not a list", o.Key)
			}
			writes[o.Key] = ListValue(append(slices.Clip(v.List), o.Value))
		case TxnAdd:
			v, why := integer(o, o.Key)
			if why != "" {
				return nil, nil, why
			}
			if (o.Value > 0 && v.Int > math.MaxInt64-o.Value) || (o.Value < 0 && v.Int < math.MinInt64-o.Value) {
				return nil, nil, fmt.Sprintf("add: %d + %d overflows key %s", v.Int, o.Value, o.Key)
			}
			writes[o.Key] = IntValue(v.Int + o.Value)
		case TxnTransfer:
			if !cur(o.Key).Found || !cur(o.To).Found {
				return nil, nil, fmt.Sprintf("transfer from %s to %s: both accounts must exist", o.Key, o.To)
			}
			from, why := integer(o, o.Key)
			if why != "" {
				return nil, nil, why
			}
			to, why := integer(o, o.To)
			if why != "" {
				return nil, nil, why
			}
			if from.Int < o.Value {
				return nil, nil, fmt.Sprintf("insufficient funds: %s holds %d, cannot transfer %d to %s", o.Key, from.Int, o.Value, o.To)
			}
			if to.Int > math.MaxInt64-o.Value {
				return nil, nil, fmt.Sprintf("transfer: %d + %d overflows key %s", to.Int, o.Value, o.To)
			}
			writes[o.Key], writes[o.To] = IntValue(from.Int-o.Value), IntValue(to.Int+o.Value)
		}
	}
	return reads, writes, ""
}
