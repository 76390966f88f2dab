package uniqueids

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/internal/hist"
	"github.com/faultline-io/faultline/harness/history"
)

// New returns the checker, named "unique-ids".
func New() checker.Checker { return uniqueChecker{} }

type uniqueChecker struct{}

func (uniqueChecker) Name() string { return "unique-ids" }

// maxDuplicates is how many duplicated ids are listed, as Jepsen's 48.
const maxDuplicates = 48

// Details is the checker's report, with Jepsen's key names.
type Details struct {
	AttemptedCount    int         `json:"attempted-count"`
	AcknowledgedCount int         `json:"acknowledged-count"`
	DuplicatedCount   int         `json:"duplicated-count"`
	Duplicated        []Duplicate `json:"duplicated,omitempty"` // most frequent first
	Range             []int64     `json:"range,omitempty"`      // [min, max] of integer ids
}

// Duplicate is an id returned more than once.
type Duplicate struct {
	ID    json.RawMessage `json:"id"`
	Count int             `json:"count"`
	First hist.Ref        `json:"first"`
	Again hist.Ref        `json:"again"` // the second time it came back
}

func (uniqueChecker) Check(ctx context.Context, ops []history.Op) checker.Result {
	var d Details
	type seen struct {
		n            int
		first, again *history.Op
	}
	ids := map[string]*seen{}
	var order []string
	for _, p := range hist.Pairs(ops) {
		if p.Inv.F != "generate" {
			continue
		}
		d.AttemptedCount++
		if p.Type() != history.OK {
			continue
		}
		d.AcknowledgedCount++
		var buf bytes.Buffer
		id := string(p.Comp.Value)
		if json.Compact(&buf, p.Comp.Value) == nil {
			id = buf.String()
		}
		s := ids[id]
		if s == nil {
			s = &seen{first: p.Comp}
			ids[id] = s
			order = append(order, id)
		} else if s.again == nil {
			s.again = p.Comp
		}
		s.n++
		if n, err := hist.Int(p.Comp.Value); err == nil {
			if d.Range == nil {
				d.Range = []int64{n, n}
			}
			d.Range[0], d.Range[1] = min(d.Range[0], n), max(d.Range[1], n)
		}
	}
	for _, id := range order {
		if s := ids[id]; s.n > 1 {
			d.DuplicatedCount++
			d.Duplicated = append(d.Duplicated, Duplicate{ID: json.RawMessage(id), Count: s.n, First: hist.RefOf(s.first), Again: hist.RefOf(s.again)})
		}
	}
	sort.SliceStable(d.Duplicated, func(i, j int) bool { return d.Duplicated[i].Count > d.Duplicated[j].Count })
	if len(d.Duplicated) > maxDuplicates {
		d.Duplicated = d.Duplicated[:maxDuplicates]
	}
	r := checker.Result{Details: d}
	switch {
	case ctx.Err() != nil:
		r.Verdict, r.Message = checker.Unknown, "cancelled: "+ctx.Err().Error()
	case d.DuplicatedCount > 0:
		var ex []string
		for _, x := range d.Duplicated[:min(3, len(d.Duplicated))] {
			ex = append(ex, fmt.Sprintf("%s ×%d", x.ID, x.Count))
		}
		r.Verdict = checker.Invalid
		r.Message = fmt.Sprintf("%d ids returned more than once (%s) among %d acknowledged", d.DuplicatedCount, strings.Join(ex, ", "), d.AcknowledgedCount)
	case d.AcknowledgedCount == 0:
		r.Verdict, r.Message = checker.Unknown, "no id was generated"
	default:
		r.Verdict = checker.Valid
		r.Message = fmt.Sprintf("%d ids, all distinct (%d attempted)", d.AcknowledgedCount, d.AttemptedCount)
	}
	return r
}
