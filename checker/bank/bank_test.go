package bank

import (
	"context"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/internal/hist"
)

var opts = Options{Accounts: []string{"0", "1", "2"}, Total: 30}

func check(b *hist.Builder) (checker.Result, Details) {
	r := New(opts).Check(context.Background(), b.Ops())
	d, _ := r.Details.(Details)
	return r, d
}

func transfer(from, to, amount int) map[string]int {
	return map[string]int{"from": from, "to": to, "amount": amount}
}

func TestValid(t *testing.T) {
	b := (&hist.Builder{}).
		Call(0, "transfer", transfer(0, 1, 5), transfer(0, 1, 5)).
		Invoke(1, "transfer", transfer(1, 2, 50)).Fail(1, "transfer", transfer(1, 2, 50)).
		Call(2, "read", nil, map[string]int{"0": 5, "1": 15, "2": 10}).
		Call(2, "read", nil, map[string]int{"0": 0, "1": 15, "2": 15})
	r, d := check(b)
	if r.Verdict != checker.Valid || d.ReadCount != 2 || d.TransferCount != 1 || d.Errors != nil {
		t.Fatalf("%v: %s %+v", r.Verdict, r.Message, d)
	}
}

func TestEachErrorKind(t *testing.T) {
	b := (&hist.Builder{}).
		Call(0, "read", nil, map[string]int{"0": 10, "1": 10, "2": 11}).         // wrong-total +1
		Call(0, "read", nil, map[string]any{"0": 10, "1": nil, "2": 10}).        // nil-balance
		Call(0, "read", nil, map[string]int{"0": -4, "1": 24, "2": 10}).         // negative-value
		Call(0, "read", nil, map[string]int{"0": 10, "1": 10, "2": 10, "9": 0}). // unexpected-key
		Call(0, "read", nil, map[string]int{"0": 10, "1": 10, "2": 0}).          // wrong-total -10 (worst)
		Call(0, "read", nil, map[string]int{"0": 10, "1": 10, "2": 12})          // wrong-total +2 (last)
	r, d := check(b)
	if r.Verdict != checker.Invalid || d.ErrorCount != 6 {
		t.Fatalf("%v: %s", r.Verdict, r.Message)
	}
	for kind, n := range map[string]int{WrongTotal: 3, NilBalance: 1, NegativeValue: 1, UnexpectedKey: 1} {
		if k := d.Errors[kind]; k == nil || k.Count != n {
			t.Errorf("%s: %+v, want count %d", kind, k, n)
		}
		if !strings.Contains(r.Message, kind) {
			t.Errorf("message lacks %s: %s", kind, r.Message)
		}
	}
	wt := d.Errors[WrongTotal]
	if *wt.First.Total != 31 || *wt.Worst.Total != 20 || *wt.Last.Total != 32 {
		t.Errorf("wrong-total first/worst/last = %d/%d/%d", *wt.First.Total, *wt.Worst.Total, *wt.Last.Total)
	}
	if d.Errors[NegativeValue].First.Negative["0"] != -4 || d.Errors[NilBalance].First.Missing[0] != "1" || d.Errors[UnexpectedKey].First.Unexpected[0] != "9" {
		t.Errorf("examples: %+v", d.Errors)
	}
}

func TestUnknown(t *testing.T) {
	if r, _ := check((&hist.Builder{}).Call(0, "transfer", transfer(0, 1, 1), transfer(0, 1, 1))); r.Verdict != checker.Unknown {
		t.Fatalf("never read: %v", r.Verdict)
	}
	if r, _ := check((&hist.Builder{}).Call(0, "read", nil, []int{1})); r.Verdict != checker.Unknown || !strings.Contains(r.Message, "interpreted") {
		t.Fatalf("malformed: %v %s", r.Verdict, r.Message)
	}
}
