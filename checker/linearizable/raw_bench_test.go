package linearizable

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/internal/measure"
)

// The raw baseline: the same history checked with Porcupine as its README
// suggests, with nothing of faultline's checker: pair the ops with Jepsen's
// semantics, write a plain key-value model partitioned by key, and call
// porcupine.CheckOperations (which checks the partitions in parallel).
// BenchmarkCheck100kOps divided by BenchmarkRawPorcupine100kOps is the
// overhead of faultline's checker (docs/benchmarks.md).

type rawIn struct {
	f        string
	key      string
	v        *int64 // write
	from, to int64  // cas
}

type rawOut struct {
	unknown bool
	v       *int64 // read
}

func rawModel() porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			byKey := map[string][]porcupine.Operation{}
			var keys []string
			for _, op := range h {
				k := op.Input.(rawIn).key
				if _, ok := byKey[k]; !ok {
					keys = append(keys, k)
				}
				byKey[k] = append(byKey[k], op)
			}
			parts := make([][]porcupine.Operation, 0, len(keys))
			for _, k := range keys {
				parts = append(parts, byKey[k])
			}
			return parts
		},
		Init: func() any { return (*int64)(nil) },
		Step: func(s, in, out any) (bool, any) {
			st, i, o := s.(*int64), in.(rawIn), out.(rawOut)
			switch i.f {
			case "read":
				if (st == nil) != (o.v == nil) {
					return false, nil
				}
				return st == nil || *st == *o.v, st
			case "write":
				return true, i.v
			default: // cas
				if st != nil && *st == i.from {
					to := i.to
					return true, &to
				}
				return o.unknown, st
			}
		},
		Equal: func(a, b any) bool {
			x, y := a.(*int64), b.(*int64)
			return (x == nil && y == nil) || (x != nil && y != nil && *x == *y)
		},
	}
}

// rawOperations pairs invocations with completions: fail dropped, info or
// no completion open-ended, indeterminate reads dropped.
func rawOperations(ops []history.Op) []porcupine.Operation {
	var out []porcupine.Operation
	open := map[history.Process]int{}
	emit := func(inv, comp *history.Op) {
		if comp != nil && comp.Type == history.Fail {
			return
		}
		unknown := comp == nil || comp.Type != history.OK
		if unknown && inv.F == "read" {
			return
		}
		in := rawIn{f: inv.F, key: inv.Key}
		o := rawOut{unknown: unknown}
		switch inv.F {
		case "write":
			var v int64
			_ = json.Unmarshal(inv.Value, &v)
			in.v = &v
		case "cas":
			var ft [2]int64
			_ = json.Unmarshal(inv.Value, &ft)
			in.from, in.to = ft[0], ft[1]
		case "read":
			_ = json.Unmarshal(comp.Value, &o.v)
		}
		ret := int64(math.MaxInt64)
		if !unknown {
			ret = comp.Time
		}
		out = append(out, porcupine.Operation{ClientId: int(inv.Process), Input: in, Call: inv.Time, Output: o, Return: ret})
	}
	for i := range ops {
		op := &ops[i]
		if !op.IsClient() {
			continue
		}
		if op.Type == history.Invoke {
			if j, ok := open[op.Process]; ok {
				emit(&ops[j], nil)
			}
			open[op.Process] = i
			continue
		}
		if j, ok := open[op.Process]; ok {
			delete(open, op.Process)
			emit(&ops[j], op)
		}
	}
	for _, j := range open {
		emit(&ops[j], nil)
	}
	return out
}

// TestRawBaselineAgrees keeps the baseline honest: it must reach the
// checker's verdicts.
func TestRawBaselineAgrees(t *testing.T) {
	valid := genHistory(5, 4000, 10, 6, 0.02)
	invalid := hist(w(0, "x", 1), w(1, "x", 2), r(0, "x", 1), w(0, "y", 1))
	for _, tc := range []struct {
		ops  []history.Op
		want bool
	}{{valid, true}, {invalid, false}} {
		if got := porcupine.CheckOperations(rawModel(), rawOperations(tc.ops)); got != tc.want {
			t.Errorf("raw porcupine says %v, want %v", got, tc.want)
		}
		if v := New(Options{}).Check(context.Background(), tc.ops).Verdict; (v == checker.Valid) != tc.want {
			t.Errorf("checker says %v", v)
		}
	}
}

func BenchmarkRawPorcupine100kOps(b *testing.B) {
	ops := genHistory(42, 100_000, 100, 10, 0.01)
	b.ReportAllocs()
	cpu := measure.CPUTime()
	for b.Loop() {
		if !porcupine.CheckOperations(rawModel(), rawOperations(ops)) {
			b.Fatal("not linearizable")
		}
	}
	b.ReportMetric(float64(measure.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkPrepare100k measures what the checker builds before
// Porcupine runs (paired operations, per-key histories) and the memory it
// holds per history op.
func BenchmarkPrepare100k(b *testing.B) {
	ops := genHistory(42, 100_000, 100, 10, 0.01)
	b.ReportAllocs()
	for b.Loop() {
		prepare(ops, defaultModel, false)
	}
	held := measure.HeldBytes(func() any { return prepare(ops, defaultModel, false) })
	b.ReportMetric(float64(held)/float64(len(ops)), "held-B/op")
}
