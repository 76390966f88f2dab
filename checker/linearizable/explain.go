package linearizable

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/harness/history"
)

// prefixTail is how many ops of the longest linearizable prefix an Anomaly
// lists.
const prefixTail = 10

// explain describes a key that is not linearizable. It never panics: odd
// info yields a shorter explanation.
func explain(ops []history.Op, p *prepared, noun string, ko *keyOps, kr *keyResult) Anomaly {
	st := p.spec.Init()
	a := Anomaly{Key: ko.key, Ops: len(ko.ops), State: p.spec.DescribeState(st)}
	var best []int
	if kr.hasInfo {
		if parts := kr.info.PartialLinearizations(); len(parts) > 0 {
			best = longest(parts[0], len(ko.ops))
		}
	}
	// Replay the prefix to find the state it leaves.
	in := make([]bool, len(ko.ops))
	for n, id := range best {
		op := &ko.ops[id]
		ok, next := p.spec.Step(st, op.Input, op.Output)
		if !ok {
			best = best[:n] // cannot happen with a pure model; keep what replays
			break
		}
		st = next
		in[id] = true
	}
	a.Linearized = len(best)
	a.State = p.spec.DescribeState(st)
	for _, id := range best[max(0, len(best)-prefixTail):] {
		a.PrefixTail = append(a.PrefixTail, ref(ops, p, &ko.ops[id]))
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
	what := "key " + ko.key
	if ko.key == "" {
		what = "the history"
	}
	if stuck < 0 {
		a.Explanation = fmt.Sprintf("%s is not linearizable, but Porcupine recorded no partial linearization to show where", what)
		return a
	}
	r := ref(ops, p, &ko.ops[stuck])
	a.Op = &r
	when := ""
	if p.hasTime {
		when = ", " + span(r.Start, r.End)
	}
	a.Explanation = fmt.Sprintf("%s (history #%d, process %s, %s%s) cannot be linearized: "+
		"the longest linearizable prefix has %d of %d ops and leaves the %s at %s",
		r.Description, r.Index, r.Process, r.Type, when, a.Linearized, a.Ops, noun, a.State)
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

// ref names a porcupine operation by the history ops it came from. Its
// value is the completion's when the op completed ok with one (a read's
// result), else the invocation's.
func ref(ops []history.Op, p *prepared, op *porcupine.Operation) OpRef {
	m := op.Metadata.(*meta)
	inv := &ops[m.ipos]
	r := OpRef{
		Index:         m.invoke,
		CompleteIndex: m.complete,
		Process:       m.process,
		F:             m.f,
		Type:          outcome(m.typ),
		Start:         inv.Time,
		End:           -1,
		Node:          m.node,
		Description:   p.spec.DescribeOperation(op.Input, op.Output),
	}
	value := inv.Value
	if m.cpos >= 0 {
		comp := &ops[m.cpos]
		if op.Return != math.MaxInt64 {
			r.End = max(comp.Time, inv.Time)
		}
		if m.typ == history.OK && len(comp.Value) > 0 {
			value = comp.Value
		}
	}
	r.Value = decodeValue(value)
	return r
}

// decodeValue decodes JSON with integers as int64 (floats stay float64),
// so values in an OpRef read naturally.
func decodeValue(v json.RawMessage) any {
	if len(v) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return string(v)
	}
	return numbers(x)
}

func numbers(x any) any {
	switch v := x.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v.String()
	case []any:
		for i := range v {
			v[i] = numbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = numbers(v[k])
		}
	}
	return x
}

func span(start, end int64) string {
	if end < 0 {
		return fmt.Sprintf("invoked at %s, never known to complete", seconds(start))
	}
	return fmt.Sprintf("invoked at %s, returned %v later", seconds(start), time.Duration(end-start))
}

func seconds(ns int64) string { return fmt.Sprintf("%.6fs", float64(ns)/1e9) }
