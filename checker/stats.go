package checker

import (
	"context"
	"fmt"

	"github.com/faultline-io/faultline/harness/history"
)

// Counts are client operations by what became of them.
type Counts struct {
	Invoke  int `json:"invoke"`  // invocations
	OK      int `json:"ok"`      // completed ok
	Fail    int `json:"fail"`    // completed fail: certainly did not happen
	Info    int `json:"info"`    // completed info: may or may not have happened
	Pending int `json:"pending"` // invoked but never completed (the history ended)
}

func (c *Counts) add(t history.Type) {
	switch t {
	case history.Invoke:
		c.Invoke++
	case history.OK:
		c.OK++
	case history.Fail:
		c.Fail++
	case history.Info:
		c.Info++
	}
}

// Stats describe a history: what the clients did and what the nemesis did.
type Stats struct {
	Ops        int               `json:"ops"`                   // entries in the history
	Client     Counts            `json:"client"`                // all client operations
	ByF        map[string]Counts `json:"by_f"`                  // client operations by f
	Nemesis    map[string]int    `json:"nemesis,omitempty"`     // nemesis actions by f
	NemesisOps int               `json:"nemesis_ops,omitempty"` // nemesis entries in the history
	FirstTime  int64             `json:"first_time_ns"`         // time of the earliest op
	LastTime   int64             `json:"last_time_ns"`          // time of the latest op
}

// ComputeStats counts ops in one pass over the history (then one over the
// nemesis ops). A completion is counted under the f of its invocation; an
// invocation with no completion is Pending. Nemesis actions are counted as
// NemesisActions pairs them: once per action, not per op.
func ComputeStats(ops []history.Op) Stats {
	s := Stats{Ops: len(ops), ByF: map[string]Counts{}}
	open := map[history.Process]string{} // client process -> f in flight
	var nem []*history.Op
	for i := range ops {
		op := &ops[i]
		if i == 0 || op.Time < s.FirstTime {
			s.FirstTime = op.Time
		}
		if i == 0 || op.Time > s.LastTime {
			s.LastTime = op.Time
		}
		if !op.IsClient() {
			nem = append(nem, op)
			continue
		}
		f := op.F
		if op.Type == history.Invoke {
			if prev, ok := open[op.Process]; ok { // a second invoke: the first never completed
				s.pending(prev)
			}
			open[op.Process] = f
		} else if invF, ok := open[op.Process]; ok {
			f = invF
			delete(open, op.Process)
		}
		c := s.ByF[f]
		c.add(op.Type)
		s.ByF[f] = c
		s.Client.add(op.Type)
	}
	for _, f := range open {
		s.pending(f)
	}
	s.NemesisOps = len(nem)
	for _, a := range nemesisActions(nem) {
		if s.Nemesis == nil {
			s.Nemesis = map[string]int{}
		}
		s.Nemesis[a.F]++
	}
	return s
}

func (s *Stats) pending(f string) {
	c := s.ByF[f]
	c.Pending++
	s.ByF[f] = c
	s.Client.Pending++
}

// StatsChecker returns a checker named "stats" that reports the statistics of the history. Its
// verdict is Unknown when no client operation completed ok — the run did no
// work, so it shows nothing — and Valid otherwise. Details is the Stats.
func StatsChecker() Checker { return statsChecker{} }

type statsChecker struct{}

func (statsChecker) Name() string { return "stats" }

func (statsChecker) Check(ctx context.Context, ops []history.Op) Result {
	s := ComputeStats(ops)
	r := Result{Checker: "stats", Details: s}
	c := s.Client
	r.Message = fmt.Sprintf("%d client ops: %d ok, %d fail, %d info, %d pending; %d nemesis actions",
		c.Invoke, c.OK, c.Fail, c.Info, c.Pending, sum(s.Nemesis))
	switch {
	case c.OK == 0:
		r.Verdict = Unknown
		r.Message = "the run did no work: no client op completed ok; " + r.Message
	case ctx.Err() != nil:
		r.Verdict = Unknown
		r.Message = "cancelled: " + ctx.Err().Error()
	default:
		r.Verdict = Valid
	}
	return r
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
