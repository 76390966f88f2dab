package uniqueids

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
	b := (&hist.Builder{}).Call(0, "generate", nil, 1).Call(1, "generate", nil, 7).
		Invoke(2, "generate", nil).Info(2, "generate", nil).
		Call(3, "generate", nil, 3)
	r, d := check(b)
	if r.Verdict != checker.Valid || d.AttemptedCount != 4 || d.AcknowledgedCount != 3 || d.Range[0] != 1 || d.Range[1] != 7 {
		t.Fatalf("%v: %s %+v", r.Verdict, r.Message, d)
	}
}

func TestDuplicate(t *testing.T) {
	b := (&hist.Builder{}).Call(0, "generate", nil, 1).Call(1, "generate", nil, 2).
		Call(2, "generate", nil, 1).Call(3, "generate", nil, 2).Call(4, "generate", nil, 2).
		Call(5, "generate", nil, "x")
	r, d := check(b)
	if r.Verdict != checker.Invalid || d.DuplicatedCount != 2 || d.Duplicated[0].Count != 3 || string(d.Duplicated[0].ID) != "2" ||
		d.Duplicated[0].First.Index != 3 || d.Duplicated[0].Again.Index != 7 || !strings.Contains(r.Message, "2 ×3") {
		t.Fatalf("%v: %s %+v", r.Verdict, r.Message, d)
	}
}

func TestUnknown(t *testing.T) {
	if r, _ := check((&hist.Builder{}).Invoke(0, "generate", nil).Fail(0, "generate", nil)); r.Verdict != checker.Unknown {
		t.Fatalf("nothing generated: %v", r.Verdict)
	}
}
