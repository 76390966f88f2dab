package elle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/internal/hist"
	"github.com/faultline-io/faultline/harness/history"
)

// Micro-op helpers: keys are strings here ("x", "y"); the workload uses
// integers, and the checker takes either.
func app(k string, v int) []any { return []any{"append", k, v} }
func r(k string, l ...int) []any {
	if l == nil {
		return []any{"r", k, nil}
	}
	return []any{"r", k, l}
}
func rq(k string) []any     { return []any{"r", k, nil} } // a read as invoked
func tx(m ...[]any) [][]any { return m }

// call runs one transaction of process p, invoke then ok. The invocation
// carries the reads unfilled.
func call(b *hist.Builder, p int, m ...[]any) *hist.Builder {
	inv := make([][]any, len(m))
	for i, x := range m {
		inv[i] = x
		if x[0] == "r" {
			inv[i] = rq(x[1].(string))
		}
	}
	return b.Invoke(p, "txn", inv).OK(p, "txn", m)
}

func check(t *testing.T, ops []history.Op, model string) (checker.Result, Details) {
	t.Helper()
	c, err := New(Options{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	res := c.Check(context.Background(), ops)
	d, _ := res.Details.(Details)
	return res, d
}

func TestValidSerialHistory(t *testing.T) {
	b := &hist.Builder{}
	call(b, 0, app("x", 1), r("x", 1))
	call(b, 1, r("x", 1), app("y", 1), app("x", 2))
	b.Invoke(2, "txn", tx(app("y", 9))).Fail(2, "txn", tx(app("y", 9)))
	b.Invoke(3, "txn", tx(app("y", 2))).Info(3, "txn", tx(app("y", 2)))
	call(b, 0, r("x", 1, 2), r("y", 1, 2), r("z"))
	res, d := check(t, b.Ops(), "")
	if res.Verdict != checker.Valid {
		t.Fatalf("%v: %s", res.Verdict, res.Message)
	}
	if !slices.Equal(d.Strongest, []string{"strict-serializable"}) || len(d.AnomalyTypes) != 0 || d.Not != nil {
		t.Fatalf("boundary %+v, anomalies %v", d.Boundary, d.AnomalyTypes)
	}
	if d.Txns != (TxnCounts{OK: 3, Info: 1, Fail: 1, Keys: 3}) || d.Graph.Nodes != 4 || d.Graph.SCCs != 0 {
		t.Fatalf("txns %+v graph %+v", d.Txns, d.Graph)
	}
}

// Each hand-made history must come out invalid with the anomaly named, the
// transactions that form it, and the right place among the models.
func TestAnomalies(t *testing.T) {
	for _, tc := range []struct {
		name      string
		build     func(b *hist.Builder)
		anomaly   string
		strongest []string
		ops       int // transactions the first example names (cycle length or ops)
	}{
		{"G0 write cycle", func(b *hist.Builder) {
			b.Invoke(0, "txn", tx(app("x", 1), app("y", 1))).Invoke(1, "txn", tx(app("x", 2), app("y", 2)))
			b.OK(0, "txn", tx(app("x", 1), app("y", 1))).OK(1, "txn", tx(app("x", 2), app("y", 2)))
			call(b, 2, r("x", 1, 2), r("y", 2, 1))
		}, G0, []string{}, 2},
		{"G1c circular information flow", func(b *hist.Builder) {
			b.Invoke(0, "txn", tx(app("x", 1), rq("y"))).Invoke(1, "txn", tx(app("y", 1), rq("x")))
			b.OK(0, "txn", tx(app("x", 1), r("y", 1))).OK(1, "txn", tx(app("y", 1), r("x", 1)))
		}, G1c, []string{"read-uncommitted"}, 2},
		{"G-single read skew", func(b *hist.Builder) {
			b.Invoke(0, "txn", tx(rq("x"), rq("y"))).Invoke(1, "txn", tx(app("x", 1), app("y", 1)))
			b.OK(1, "txn", tx(app("x", 1), app("y", 1))).OK(0, "txn", tx(r("x"), r("y", 1)))
			call(b, 2, r("x", 1))
		}, GSingle, []string{"read-committed"}, 2},
		{"G2 write skew", func(b *hist.Builder) {
			b.Invoke(0, "txn", tx(rq("x"), app("y", 1))).Invoke(1, "txn", tx(rq("y"), app("x", 1)))
			b.OK(0, "txn", tx(r("x"), app("y", 1))).OK(1, "txn", tx(r("y"), app("x", 1)))
			call(b, 2, r("x", 1), r("y", 1))
		}, G2, []string{"snapshot-isolation"}, 2},
		{"G1a aborted read", func(b *hist.Builder) {
			b.Invoke(0, "txn", tx(app("x", 5))).Fail(0, "txn", tx(app("x", 5)))
			call(b, 1, r("x", 5))
		}, G1a, []string{"read-uncommitted"}, 2},
		{"G1b intermediate read", func(b *hist.Builder) {
			b.Invoke(0, "txn", tx(app("x", 1), app("x", 2))).Invoke(1, "txn", tx(rq("x")))
			b.OK(1, "txn", tx(r("x", 1))).OK(0, "txn", tx(app("x", 1), app("x", 2)))
		}, G1b, []string{"read-uncommitted"}, 2},
		{"internal inconsistency", func(b *hist.Builder) {
			call(b, 0, app("x", 1), r("x"))
		}, Internal, []string{"repeatable-read"}, 1},
		{"incompatible orders", func(b *hist.Builder) {
			call(b, 0, app("x", 1))
			b.Invoke(1, "txn", tx(app("x", 2))).Invoke(2, "txn", tx(app("x", 3)))
			b.OK(1, "txn", tx(app("x", 2))).OK(2, "txn", tx(app("x", 3)))
			call(b, 0, r("x", 1, 2))
			call(b, 0, r("x", 1, 3))
		}, IncompatibleOrd, []string{"read-uncommitted"}, 2},
		{"duplicate elements", func(b *hist.Builder) {
			call(b, 0, app("x", 1))
			call(b, 1, r("x", 1, 1))
		}, DuplicateElems, []string{}, 1},
		{"garbage read", func(b *hist.Builder) {
			call(b, 1, r("x", 9))
		}, GarbageRead, []string{}, 1},
		{"G-single-realtime stale read", func(b *hist.Builder) {
			call(b, 0, app("x", 1))
			call(b, 1, r("x")) // began after the append completed, missed it
			call(b, 2, r("x", 1))
		}, GSingle + "-realtime", []string{"strong-session-serializable"}, 2},
		{"G-single-process: a process misses its own write", func(b *hist.Builder) {
			call(b, 0, app("x", 1))
			call(b, 0, r("x"))
			call(b, 2, r("x", 1))
		}, GSingle + "-process", []string{"serializable"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &hist.Builder{}
			tc.build(b)
			res, d := check(t, b.Ops(), "")
			if res.Verdict != checker.Invalid || !slices.Contains(d.AnomalyTypes, tc.anomaly) {
				t.Fatalf("%v %v: %s", res.Verdict, d.AnomalyTypes, res.Message)
			}
			x := d.Anomalies[tc.anomaly][0]
			if n := len(x.Ops) + len(x.Cycle); n != tc.ops || x.Explanation == "" {
				t.Errorf("example names %d ops, want %d: %+v", n, tc.ops, x)
			}
			if !slices.Equal(d.Strongest, tc.strongest) {
				t.Errorf("strongest %v, want %v (not %v, also-not %v; anomalies %v)", d.Strongest, tc.strongest, d.Not, d.AlsoNot, d.AnomalyTypes)
			}
			if !strings.Contains(res.Message, tc.anomaly) {
				t.Errorf("message lacks %s: %s", tc.anomaly, res.Message)
			}
		})
	}
}

func TestCycleStepsExplainEdges(t *testing.T) {
	b := &hist.Builder{}
	b.Invoke(0, "txn", tx(rq("x"), app("y", 1))).Invoke(1, "txn", tx(rq("y"), app("x", 1)))
	b.OK(0, "txn", tx(r("x"), app("y", 1))).OK(1, "txn", tx(r("y"), app("x", 1)))
	call(b, 2, r("x", 1), r("y", 1))
	_, d := check(t, b.Ops(), "")
	cyc := d.Anomalies[G2][0].Cycle
	if len(cyc) != 2 || cyc[0].Rel != "rw" || cyc[1].Rel != "rw" || cyc[0].Op.Index == cyc[1].Op.Index {
		t.Fatalf("cycle %+v", cyc)
	}
	for _, s := range cyc {
		if !strings.Contains(s.Why, "without 1, which") || s.Key == "" {
			t.Errorf("step %+v", s)
		}
	}
}

func TestWeakerModelAcceptsWriteSkew(t *testing.T) {
	b := &hist.Builder{}
	b.Invoke(0, "txn", tx(rq("x"), app("y", 1))).Invoke(1, "txn", tx(rq("y"), app("x", 1)))
	b.OK(0, "txn", tx(r("x"), app("y", 1))).OK(1, "txn", tx(r("y"), app("x", 1)))
	call(b, 2, r("x", 1), r("y", 1))
	res, d := check(t, b.Ops(), "snapshot-isolation")
	if res.Verdict != checker.Valid || !slices.Equal(d.AnomalyTypes, []string{G2}) || !slices.Equal(d.Not, []string{"repeatable-read"}) {
		t.Fatalf("%v: %s; not %v", res.Verdict, res.Message, d.Not)
	}
	if _, err := New(Options{Model: "linearizable-ish"}); err == nil || !strings.Contains(err.Error(), "strict-serializable") {
		t.Fatalf("unknown model: %v", err)
	}
}

func TestUnknown(t *testing.T) {
	b := &hist.Builder{}
	b.Invoke(0, "txn", tx(app("x", 1))).Info(0, "txn", tx(app("x", 1)))
	if res, _ := check(t, b.Ops(), ""); res.Verdict != checker.Unknown {
		t.Fatalf("no ok txn: %v", res.Verdict)
	}
	b = &hist.Builder{}
	call(b, 0, app("x", 1))
	call(b, 1, app("x", 1), r("x", 1))
	if res, _ := check(t, b.Ops(), ""); res.Verdict != checker.Unknown || !strings.Contains(res.Message, "not unique") {
		t.Fatalf("duplicate appends: %v %s", res.Verdict, res.Message)
	}
	b = &hist.Builder{}
	call(b, 0, []any{"put", "x", 1})
	if res, _ := check(t, b.Ops(), ""); res.Verdict != checker.Unknown || !strings.Contains(res.Message, "interpreted") {
		t.Fatalf("malformed: %v %s", res.Verdict, res.Message)
	}
	// A search that runs out of budget never passes a cyclic history.
	b = &hist.Builder{}
	b.Invoke(0, "txn", tx(rq("x"), app("y", 1))).Invoke(1, "txn", tx(rq("y"), app("x", 1)))
	b.OK(0, "txn", tx(r("x"), app("y", 1))).OK(1, "txn", tx(r("y"), app("x", 1)))
	call(b, 2, r("x", 1), r("y", 1))
	c, _ := New(Options{Model: "snapshot-isolation", SearchBudget: 1})
	if res := c.Check(context.Background(), b.Ops()); res.Verdict != checker.Unknown || !strings.Contains(res.Message, "budget") {
		t.Fatalf("budget: %v %s", res.Verdict, res.Message)
	}
}

// simulate produces a history of a store that applies each transaction
// atomically at one instant between its invocation and completion
// (strict serializability), with stale reads when stale is set: a read
// then sometimes misses the latest element of a key.
func simulate(seed uint64, procs, n int, stale bool) []history.Op {
	rng := rand.New(rand.NewPCG(seed, 7))
	state := map[string][]int64{}
	next := map[string]int64{}
	// Three keys at a time, each retired after 32 appends, as the
	// workload's generator does, so lists stay short.
	keys := []string{"k0", "k1", "k2"}
	fresh := 3
	type inflight struct {
		inv     [][]any
		done    [][]any
		applied bool
	}
	fly := make([]*inflight, procs)
	b := &hist.Builder{}
	pid := make([]int, procs)
	for i := range pid {
		pid[i] = i
	}
	started := 0
	for started < n || slices.ContainsFunc(fly, func(f *inflight) bool { return f != nil }) {
		p := rng.IntN(procs)
		f := fly[p]
		switch {
		case f == nil && started < n:
			var inv [][]any
			for range 1 + rng.IntN(4) {
				slot := rng.IntN(len(keys))
				k := keys[slot]
				if rng.IntN(2) == 0 {
					next[k]++
					inv = append(inv, []any{"append", k, next[k]})
					if next[k] == 32 {
						keys[slot] = fmt.Sprintf("k%d", fresh)
						fresh++
					}
				} else {
					inv = append(inv, []any{"r", k, nil})
				}
			}
			fly[p] = &inflight{inv: inv}
			b.Invoke(pid[p], "txn", inv)
			started++
		case f == nil:
		case !f.applied:
			f.applied = true
			for _, m := range f.inv {
				k := m[1].(string)
				if m[0] == "append" {
					state[k] = append(state[k], m[2].(int64))
					f.done = append(f.done, m)
					continue
				}
				l := slices.Clone(state[k])
				if stale && len(l) > 0 && rng.IntN(10) == 0 {
					l = l[:len(l)-1]
				}
				f.done = append(f.done, []any{"r", k, l})
			}
		default:
			if rng.IntN(20) == 0 { // the client times out: indeterminate
				b.Info(pid[p], "txn", f.inv)
				pid[p] += procs
			} else {
				b.OK(pid[p], "txn", f.done)
			}
			fly[p] = nil
		}
	}
	return b.Ops()
}

func TestSimulatedStrictSerializableHistoriesAreValid(t *testing.T) {
	for seed := range uint64(10) {
		ops := simulate(seed, 5, 300, false)
		res, d := check(t, ops, "")
		if res.Verdict != checker.Valid {
			t.Fatalf("seed %d: %v: %s", seed, res.Verdict, res.Message)
		}
		if d.Graph.Edges == 0 || d.Txns.OK < 200 {
			t.Fatalf("seed %d: graph %+v txns %+v", seed, d.Graph, d.Txns)
		}
	}
}

func TestSimulatedStaleReadsAreCaught(t *testing.T) {
	for seed := range uint64(5) {
		res, d := check(t, simulate(seed, 5, 300, true), "")
		if res.Verdict != checker.Invalid || len(d.Not) == 0 {
			t.Fatalf("seed %d: %v: %s", seed, res.Verdict, res.Message)
		}
	}
}
