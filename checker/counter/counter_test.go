package counter

import (
	"context"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/internal/hist"
)

func check(b *hist.Builder) (checker.Result, Details) {
	r := New().Check(context.Background(), b.Ops())
	d, _ := r.Details.(Details)
	return r, d
}

func TestValid(t *testing.T) {
	b := (&hist.Builder{}).
		Call(0, "add", 2, 2).
		Invoke(1, "add", 3). // in flight during the next read: may or may not count
		Invoke(2, "read", nil).OK(2, "read", 5).
		Info(1, "add", 3). // unknown: may count later too
		Invoke(3, "add", 4).Fail(3, "add", 4).
		Call(2, "read", nil, 2). // the info add need not have happened
		Call(4, "read", nil, 5)
	r, d := check(b)
	if r.Verdict != checker.Valid || d.Reads != 3 || d.Final.Lower != 2 || d.Final.Upper != 5 {
		t.Fatalf("%v: %s %+v", r.Verdict, r.Message, d)
	}
	if r, _ := check((&hist.Builder{}).Call(0, "read", nil, nil)); r.Verdict != checker.Valid {
		t.Fatalf("read of a counter never written: %v %s", r.Verdict, r.Message)
	}
}

func TestInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    *hist.Builder
		want string
	}{
		{"lost increment", (&hist.Builder{}).Call(0, "add", 2, 2).Call(0, "add", 1, 1).Call(1, "read", nil, 2), "read 2, possible 3..3"},
		{"double-applied increment", (&hist.Builder{}).Call(0, "add", 2, 2).Call(1, "read", nil, 4), "read 4, possible 2..2"},
		{"failed add counted", (&hist.Builder{}).Invoke(0, "add", 2).Fail(0, "add", 2).Call(1, "read", nil, 2), "possible 0..0"},
		{"read from the future", (&hist.Builder{}).Call(1, "read", nil, 1).Call(0, "add", 1, 1), "possible 0..0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, d := check(tc.b)
			if r.Verdict != checker.Invalid || d.ErrorCount != 1 || !strings.Contains(r.Message, tc.want) {
				t.Fatalf("%v: %s", r.Verdict, r.Message)
			}
		})
	}
}

func TestUnknown(t *testing.T) {
	if r, _ := check((&hist.Builder{}).Call(0, "add", 1, 1)); r.Verdict != checker.Unknown {
		t.Fatalf("never read: %v", r.Verdict)
	}
	if r, _ := check((&hist.Builder{}).Call(0, "add", -1, -1).Call(0, "read", nil, -1)); r.Verdict != checker.Unknown || !strings.Contains(r.Message, "negative") {
		t.Fatalf("negative add: %v %s", r.Verdict, r.Message)
	}
}
