package histgen

import (
	"cmp"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
)

func op(p int, t history.Type, f, key string, v any) history.Op {
	return history.Op{Process: history.Process(p), Type: t, F: f, Key: key, Value: history.MustValue(v)}
}

// Register simulates nOps/2 operations of conc concurrent clients on
// nKeys registers that are really linearizable: each operation takes effect
// at a random point between its invocation and its completion. A fraction
// infoRate of operations complete info (taking effect or not, at random),
// after which the client continues as a new process, as the harness does.
func Register(seed uint64, nOps, nKeys, conc int, infoRate float64) []history.Op {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type sim struct {
		proc                  int
		f                     string
		key                   string
		v, from, to           int
		invoke, lin, complete int64
		info, applied         bool
	}
	sims := make([]sim, 0, nOps/2)
	next := make([]int64, conc) // next invocation time per slot
	proc := make([]int, conc)
	for i := range proc {
		proc[i] = i
		next[i] = rng.Int64N(1000)
	}
	nextProc := conc
	for len(sims) < nOps/2 {
		s := 0
		for i := range next {
			if next[i] < next[s] {
				s = i
			}
		}
		o := sim{proc: proc[s], key: "k" + strconv.Itoa(rng.IntN(nKeys)), invoke: next[s]}
		switch x := rng.IntN(4); {
		case x < 2:
			o.f = "read"
		case x == 2:
			o.f, o.v = "write", rng.IntN(5)
		default:
			o.f, o.from, o.to = "cas", rng.IntN(5), rng.IntN(5)
		}
		o.lin = o.invoke + 1 + rng.Int64N(200_000)
		o.complete = o.lin + 1 + rng.Int64N(200_000)
		if rng.Float64() < infoRate {
			o.info, o.applied = true, rng.IntN(2) == 0
			proc[s] = nextProc
			nextProc++
		}
		next[s] = o.complete + 1 + rng.Int64N(50_000)
		sims = append(sims, o)
	}
	// Apply the operations in the order they take effect.
	order := make([]int, len(sims))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(sims[a].lin, sims[b].lin) })
	type reg struct {
		set bool
		v   int
	}
	regs := map[string]reg{}
	type result struct {
		t history.Type
		v any
	}
	res := make([]result, len(sims))
	for _, i := range order {
		o := &sims[i]
		g := regs[o.key]
		rs := result{t: history.OK}
		switch o.f {
		case "read":
			if g.set {
				rs.v = g.v
			}
		case "write":
			if !o.info || o.applied {
				g = reg{true, o.v}
			}
			rs.v = o.v
		case "cas":
			rs.v = []int{o.from, o.to}
			if g.set && g.v == o.from {
				if !o.info || o.applied {
					g = reg{true, o.to}
				}
			} else {
				rs.t = history.Fail
			}
		}
		if o.info {
			rs = result{t: history.Info, v: nil}
		}
		regs[o.key] = g
		res[i] = rs
	}
	type ev struct {
		t   int64
		seq int
		op  history.Op
	}
	evs := make([]ev, 0, 2*len(sims))
	for i, o := range sims {
		var iv any
		switch o.f {
		case "write":
			iv = o.v
		case "cas":
			iv = []int{o.from, o.to}
		}
		evs = append(evs, ev{o.invoke, 2 * i, op(o.proc, history.Invoke, o.f, o.key, iv)})
		evs = append(evs, ev{o.complete, 2*i + 1, op(o.proc, res[i].t, o.f, o.key, res[i].v)})
	}
	slices.SortFunc(evs, func(a, b ev) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	ops := make([]history.Op, len(evs))
	for i, e := range evs {
		e.op.Index, e.op.Time = int64(i), e.t
		ops[i] = e.op
	}
	return ops
}

// WriteRunDir makes dir a run directory of the register workload holding
// ops as its history.jsonl, as if a run had recorded them, so `faultline
// check` and `faultline report` can be timed on generated histories.
func WriteRunDir(dir string, ops []history.Op, seed int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, store.HistoryFile))
	if err != nil {
		return err
	}
	if err := history.Encode(f, ops); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var last int64
	if len(ops) > 0 {
		last = ops[len(ops)-1].Time
	}
	return store.WriteJSON(filepath.Join(dir, store.RunFile), store.RunInfo{
		Name: "generated-register", RunID: "generated", Target: "generated", Workload: "register",
		Nemesis: []string{}, Seed: seed, Start: start, End: start.Add(time.Duration(last)),
	})
}
