package set

import (
	"context"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/internal/hist"
)

func check(t *testing.T, b *hist.Builder, o Options) (checker.Result, Details) {
	t.Helper()
	r := New(o).Check(context.Background(), b.Ops())
	d, _ := r.Details.(Details)
	return r, d
}

func TestValidWithRecoveredAndFailed(t *testing.T) {
	b := &hist.Builder{}
	b.Call(0, "add", 1, 1).
		Invoke(1, "add", 2).Info(1, "add", 2). // unknown outcome, did happen
		Nemesis("kill").
		Invoke(2, "add", 3).Fail(2, "add", 3). // did not happen
		Invoke(3, "add", 4).Info(3, "add", 4). // unknown, did not happen
		Call(0, "read", nil, []int{1}).
		Call(0, "add", 5, 5).
		Call(4, "read", nil, []int{1, 2, 5})
	r, d := check(t, b, Options{Linearizable: true})
	if r.Verdict != checker.Valid {
		t.Fatalf("%v: %s", r.Verdict, r.Message)
	}
	if d.AttemptCount != 4 || d.AcknowledgedCount != 2 || d.OKCount != 3 || d.RecoveredCount != 1 || d.Recovered != "#{2}" ||
		d.LostCount != 0 || d.ReadCount != 2 || d.OK != "#{1..2 5}" {
		t.Fatalf("details %+v", d)
	}
}

func TestInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    *hist.Builder
		o    Options
		want string // in the message
		ok   func(Details) bool
	}{
		{"lost acknowledged add", (&hist.Builder{}).Call(0, "add", 1, 1).Call(1, "add", 2, 2).Call(0, "read", nil, []int{2}),
			Options{}, "1 lost #{1}", func(d Details) bool { return d.LostCount == 1 && d.Lost == "#{1}" }},
		{"lost after being read", (&hist.Builder{}).Invoke(0, "add", 1).Info(0, "add", 1).Call(1, "read", nil, []int{1}).Call(1, "read", nil, []int{}),
			Options{}, "1 lost", func(d Details) bool { return d.LostCount == 1 && d.RecoveredCount == 0 }},
		{"unexpected element", (&hist.Builder{}).Call(0, "add", 1, 1).Call(0, "read", nil, []int{1, 9}),
			Options{}, "1 unexpected #{9}", func(d Details) bool { return d.UnexpectedCount == 1 }},
		{"failed add present", (&hist.Builder{}).Invoke(0, "add", 1).Fail(0, "add", 1).Call(0, "read", nil, []int{1}),
			Options{}, "1 unexpected #{1}", func(d Details) bool { return d.UnexpectedCount == 1 && d.AttemptCount == 0 }},
		{"duplicated element", (&hist.Builder{}).Call(0, "add", 1, 1).Call(0, "read", nil, []int{1, 1}),
			Options{}, "1 duplicated #{1}", func(d Details) bool { return d.DuplicatedCount == 1 }},
		{"stale read when linearizable", (&hist.Builder{}).Call(0, "add", 1, 1).Call(1, "read", nil, []int{}).Call(1, "read", nil, []int{1}),
			Options{Linearizable: true}, "1 stale #{1}", func(d Details) bool {
				return d.StaleCount == 1 && d.LostCount == 0 && len(d.StaleReads) == 1 && d.StaleReads[0].Read.Index == 3 && d.StaleReads[0].KnownBy.Index == 1
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, d := check(t, tc.b, tc.o)
			if r.Verdict != checker.Invalid || !strings.Contains(r.Message, tc.want) || !tc.ok(d) {
				t.Fatalf("%v: %s\n%+v", r.Verdict, r.Message, d)
			}
		})
	}
}

func TestStaleAllowedWhenNotLinearizable(t *testing.T) {
	b := (&hist.Builder{}).Call(0, "add", 1, 1).Call(1, "read", nil, []int{}).Call(1, "read", nil, []int{1})
	if r, d := check(t, b, Options{}); r.Verdict != checker.Valid || d.StaleCount != 1 {
		t.Fatalf("%v: %s", r.Verdict, r.Message)
	}
}

func TestConcurrentReadMayMissElement(t *testing.T) {
	// The read began before the add completed: missing it is fine.
	b := (&hist.Builder{}).Invoke(1, "read", nil).Call(0, "add", 1, 1).OK(1, "read", []int{}).
		Call(1, "read", nil, []int{1})
	if r, d := check(t, b, Options{Linearizable: true}); r.Verdict != checker.Valid || d.StaleCount != 0 {
		t.Fatalf("%v: %s", r.Verdict, r.Message)
	}
}

func TestUnknown(t *testing.T) {
	never := (&hist.Builder{}).Call(0, "add", 1, 1).Invoke(0, "read", nil).Fail(0, "read", nil)
	if r, _ := check(t, never, Options{}); r.Verdict != checker.Unknown || !strings.Contains(r.Message, "never read") {
		t.Fatalf("never read: %v %s", r.Verdict, r.Message)
	}
	garbled := (&hist.Builder{}).Call(0, "add", "x", "x").Call(0, "read", nil, []int{})
	if r, _ := check(t, garbled, Options{}); r.Verdict != checker.Unknown || !strings.Contains(r.Message, "could not be interpreted") {
		t.Fatalf("malformed: %v %s", r.Verdict, r.Message)
	}
}
