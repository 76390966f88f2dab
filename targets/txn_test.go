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
