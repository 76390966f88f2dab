package linearizable

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"
)

// prefixTail is how many ops of the longest linearizable prefix an Anomaly
// lists.
const prefixTail = 10

// explain describes a key that is not linearizable. It never panics: odd
// info yields a shorter explanation.
func explain(ko *keyOps, kr *keyResult) Anomaly {
	a := Anomaly{Key: ko.key, Ops: len(ko.ops), State: state{}.String()}
	var best []int
	if kr.hasInfo {
		if parts := kr.info.PartialLinearizations(); len(parts) > 0 {
			best = longest(parts[0], len(ko.ops))
		}
	}
	// Replay the prefix to find the register it leaves.
	st := any(state{})
	in := make([]bool, len(ko.ops))
	for n, id := range best {
		op := &ko.ops[id]
		ok, next := step(st, op.Input, op.Output)
		if !ok {
			best = best[:n] // cannot happen with a pure model; keep what replays
			break
		}
		st = next
		in[id] = true
	}
	a.Linearized = len(best)
	a.State = st.(state).String()
	for _, id := range best[max(0, len(best)-prefixTail):] {
		a.PrefixTail = append(a.PrefixTail, ref(&ko.ops[id]))
	}
	// The search got stuck at the earliest return among the ops left out.
	stuck := -1
	for id := range ko.ops {
		if in[id] {
			continue
		}
		if stuck < 0 || before(&ko.ops[id], &ko.ops[stuck]) {
			stuck = id
		}
	}
	if stuck < 0 {
		a.Explanation = fmt.Sprintf("key %s is not linearizable, but Porcupine recorded no partial linearization to show where", ko.key)
		return a
	}
	r := ref(&ko.ops[stuck])
	a.Op = &r
	a.Explanation = fmt.Sprintf("%s (history #%d, process %s, %s, %s) cannot be linearized: "+
		"the longest linearizable prefix has %d of %d ops and leaves the register at %s",
		r.Description, r.Index, r.Process, r.Type, span(r.Start, r.End), a.Linearized, a.Ops, a.State)
	return a
}

// longest picks the longest sequence of valid op ids; ties go to the
// lexicographically smallest, so the choice does not depend on map order.
func longest(seqs [][]int, n int) []int {
	var best []int
	for _, s := range seqs {
		if slices.ContainsFunc(s, func(id int) bool { return id < 0 || id >= n }) {
			continue
		}
		if best == nil || len(s) > len(best) || (len(s) == len(best) && slices.Compare(s, best) < 0) {
			best = s
		}
	}
	return best
}

func before(a, b *porcupine.Operation) bool {
	if c := cmp.Compare(a.Return, b.Return); c != 0 {
		return c < 0
	}
	return a.Call < b.Call
}

func ref(op *porcupine.Operation) OpRef {
	in := op.Input.(*input)
	out := op.Output.(*output)
	m := op.Metadata.(*meta)
	r := OpRef{
		Index:         m.invoke,
		CompleteIndex: m.complete,
		Process:       m.process,
		Type:          outcome(m.typ),
		Start:         op.Call,
		End:           op.Return,
		Node:          m.node,
		Description:   describeOp(in, out),
	}
	if op.Return == math.MaxInt64 {
		r.End = -1
	}
	switch in.kind {
	case kRead:
		r.F = "read"
		if out.found {
			r.Value = out.v
		}
	case kWrite:
		r.F, r.Value = "write", in.v
	case kCas:
		r.F, r.Value = "cas", []int64{in.from, in.to}
	}
	return r
}

func span(start, end int64) string {
	if end < 0 {
		return fmt.Sprintf("invoked at %s, never known to complete", seconds(start))
	}
	return fmt.Sprintf("invoked at %s, returned %v later", seconds(start), time.Duration(end-start))
}

func seconds(ns int64) string { return fmt.Sprintf("%.6fs", float64(ns)/1e9) }
