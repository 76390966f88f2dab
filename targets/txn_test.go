package targets

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestTxnValueJSON(t *testing.T) {
	for _, tc := range []struct {
		v    TxnValue
		json string
	}{
		{TxnValue{}, `null`},
		{IntValue(-4), `-4`},
		{ListValue([]int64{1, 2}), `[1,2]`},
		{ListValue(nil), `[]`},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.json {
			t.Errorf("marshal %+v = %s, %v; want %s", tc.v, b, err, tc.json)
		}
		var back TxnValue
		if err := json.Unmarshal(b, &back); err != nil || back.Found != tc.v.Found || back.IsList != tc.v.IsList || back.Int != tc.v.Int || len(back.List) != len(tc.v.List) {
			t.Errorf("round trip of %s = %+v, %v", b, back, err)
		}
	}
	var v TxnValue
	for _, bad := range []string{`"x"`, `1.5`, `[1,"a"]`, `{}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s accepted as a txn value", bad)
		}
	}
}

func TestTxnAbortIsDefinite(t *testing.T) {
	var err error = &TxnAbortedError{Reason: "no"}
	if !IsDefinite(err) || !errors.As(err, new(*TxnAbortedError)) {
		t.Fatal("an abort must be definite and recognisable")
	}
	if (TxnOp{F: TxnAdd, Key: "k", Value: -1}).Validate() != nil {
		t.Fatal("add takes negative deltas")
	}
}

func TestApplyTxnLeavesTheStateAlone(t *testing.T) {
	shared := make([]int64, 2, 8) // spare capacity an in-place append would use
	shared[0], shared[1] = 1, 2
	state := map[string]TxnValue{"l": ListValue(shared), "a": IntValue(5), "b": IntValue(0)}
	get := func(k string) TxnValue { return state[k] }
	reads, writes, abort := ApplyTxn(get, []TxnOp{
		{F: TxnAppend, Key: "l", Value: 3},
		{F: TxnRead, Key: "l"},
		{F: TxnTransfer, Key: "a", To: "b", Value: 2},
		{F: TxnRead, Key: "b"},
		{F: TxnInit, Key: "c", Value: 7},
		{F: TxnInit, Key: "a", Value: 100},
	})
	if abort != "" {
		t.Fatal(abort)
	}
	if got := reads[1].List; len(got) != 3 || got[2] != 3 || reads[3].Int != 2 {
		t.Errorf("reads %+v", reads)
	}
	if len(writes) != 4 || writes["a"].Int != 3 || writes["c"].Int != 7 {
		t.Errorf("writes %+v", writes)
	}
	if shared[:3][2] != 0 {
		t.Error("append wrote into the state's backing array")
	}
	if _, _, abort := ApplyTxn(get, []TxnOp{{F: TxnWrite, Key: "x", Value: 1}, {F: TxnTransfer, Key: "b", To: "a", Value: 1}}); abort == "" {
		t.Error("transfer without funds did not abort")
	}
}
