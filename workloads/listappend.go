package workloads

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/elle"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/targets"
)

func init() { Register(listAppend{}) }

// listAppend is Elle's list-append test: transactions of appends and reads
// over a few keys, each key a list. Every append to a key is a value never
// appended to it before, so the lists that reads return reveal the order
// of the writes, and from that the checker infers dependencies between
// transactions and looks for cycles. Ops are {f: "txn", value: [["append",
// k, v], ["r", k, nil]]}, as in Jepsen; an ok completion fills the reads.
type listAppend struct{}

func (listAppend) Info() Info {
	return Info{
		Name:    "list-append",
		Summary: "Elle-style transactions of appends and reads over a few list keys; reports G0, G1a/b/c, G-single, G2 and the strongest consistency model satisfied",
		Options: []targets.OptionSpec{
			{Name: "keys", Default: "3", Help: "keys in use at once"},
			{Name: "min-txn-length", Default: "1", Help: "fewest micro-ops in a transaction"},
			{Name: "max-txn-length", Default: "4", Help: "most micro-ops in a transaction"},
			{Name: "max-writes-per-key", Default: "32", Help: "appends to a key before it retires and a fresh key takes its place"},
			{Name: "consistency-model", Default: "strict-serializable", Help: "the model the history must satisfy: " + strings.Join(elle.ModelNames(), ", ")},
		},
	}
}

type appendParams struct {
	keys, minLen, maxLen, maxWrites int
	model                           string
}

func parseAppendParams(opts map[string]string) (appendParams, error) {
	var p appendParams
	var err error
	if p.keys, err = intOption(opts, "keys", 3, 1, 1000); err != nil {
		return p, err
	}
	if p.minLen, err = intOption(opts, "min-txn-length", 1, 1, 100); err != nil {
		return p, err
	}
	if p.maxLen, err = intOption(opts, "max-txn-length", 4, 1, 100); err != nil {
		return p, err
	}
	if p.minLen > p.maxLen {
		return p, fmt.Errorf("workload options min-txn-length=%d max-txn-length=%d: the minimum is above the maximum", p.minLen, p.maxLen)
	}
	if p.maxWrites, err = intOption(opts, "max-writes-per-key", 32, 1, 100_000); err != nil {
		return p, err
	}
	p.model = opts["consistency-model"]
	if p.model == "" {
		p.model = "strict-serializable"
	}
	if _, err := elle.New(elle.Options{Model: p.model}); err != nil {
		return p, fmt.Errorf("workload option consistency-model: %w", err)
	}
	return p, nil
}

func (listAppend) Requires(t targets.Target) error { return requireTxn("list-append", t) }

func (listAppend) Checkers(c CheckOptions) []checker.Checker {
	p, err := parseAppendParams(c.Workload)
	if err != nil {
		return []checker.Checker{badOptions("list-append", err)}
	}
	ec, err := elle.New(elle.Options{Model: p.model})
	if err != nil {
		return []checker.Checker{badOptions("list-append", err)}
	}
	return []checker.Checker{checker.StatsChecker(), ec}
}

// FinalOps: none; every transaction reads, so the history shows the lists.
func (listAppend) FinalOps([]history.Op) []Op { return nil }

func (listAppend) NewGenerator(rng *rand.Rand, prm Params) (Generator, error) {
	p, err := parseAppendParams(prm.Options)
	if err != nil {
		return nil, err
	}
	g := &appendGen{rng: rng, p: p, active: make([]appendKey, p.keys)}
	for i := range g.active {
		g.active[i] = appendKey{id: g.nextKey}
		g.nextKey++
	}
	return g, nil
}

type appendKey struct {
	id     int
	writes int // values appended so far: the next is writes+1
}

// appendGen hands out transactions over a window of active keys; a key
// retires after max-writes-per-key appends so lists stay short, as Elle's
// generator does.
type appendGen struct {
	mu      sync.Mutex
	rng     *rand.Rand
	p       appendParams
	active  []appendKey
	nextKey int
}

func (g *appendGen) Next(history.Process) (Op, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.p.minLen + g.rng.IntN(g.p.maxLen-g.p.minLen+1)
	mops := make([][3]any, n)
	for i := range mops {
		slot := g.rng.IntN(len(g.active))
		k := &g.active[slot]
		if g.rng.IntN(2) == 0 {
			mops[i] = [3]any{"r", k.id, nil}
			continue
		}
		k.writes++
		mops[i] = [3]any{"append", k.id, k.writes}
		if k.writes >= g.p.maxWrites {
			*k = appendKey{id: g.nextKey}
			g.nextKey++
		}
	}
	return Op{F: "txn", Value: history.MustValue(mops)}, true
}

func (listAppend) NewClient(t targets.Target, n targets.Node) (Client, error) {
	tc, err := openTxn(t, n)
	if err != nil {
		return nil, err
	}
	return appendClient{txnClient{tc}}, nil
}

type appendClient struct{ txnClient }

func listKey(k int64) string { return "list-" + strconv.FormatInt(k, 10) }

// microOp is [f, key, value] as the history holds it.
type microOp struct {
	F   string
	Key int64
	Val json.RawMessage
}

func (c appendClient) Invoke(ctx context.Context, op Op) Completion {
	if op.F != "txn" {
		return Completion{Type: history.Fail, Error: "list-append: unknown op " + op.F}
	}
	var raw [][3]json.RawMessage
	if err := json.Unmarshal(op.Value, &raw); err != nil {
		return Completion{Type: history.Fail, Error: "bad txn value: " + err.Error()}
	}
	mops := make([]microOp, len(raw))
	ops := make([]targets.TxnOp, len(raw))
	readOnly := true
	for i, r := range raw {
		m := &mops[i]
		if json.Unmarshal(r[0], &m.F) != nil || json.Unmarshal(r[1], &m.Key) != nil {
			return Completion{Type: history.Fail, Error: fmt.Sprintf("bad micro-op %d: want [f, integer key, value]", i)}
		}
		switch m.F {
		case "r":
			ops[i] = targets.TxnOp{F: targets.TxnRead, Key: listKey(m.Key)}
		case "append":
			var v int64
			if err := json.Unmarshal(r[2], &v); err != nil {
				return Completion{Type: history.Fail, Error: fmt.Sprintf("bad micro-op %d: append takes an integer", i)}
			}
			ops[i] = targets.TxnOp{F: targets.TxnAppend, Key: listKey(m.Key), Value: v}
			readOnly = false
		default:
			return Completion{Type: history.Fail, Error: fmt.Sprintf("bad micro-op %d: unknown f %q", i, m.F)}
		}
		m.Val = r[2]
	}
	res, done := c.run(ctx, readOnly, ops...)
	if done != nil {
		return *done
	}
	out := make([][3]any, len(mops))
	for i, m := range mops {
		v := any(m.Val)
		if m.F == "r" {
			switch {
			case !res[i].Found:
				v = nil
			case !res[i].IsList:
				return Completion{Type: history.Info, Error: fmt.Sprintf("key %d holds an integer, not a list (transaction applied)", m.Key)}
			default:
				v = res[i].List
			}
		}
		out[i] = [3]any{m.F, m.Key, v}
	}
	return Completion{Type: history.OK, Value: history.MustValue(out)}
}
