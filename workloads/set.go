package workloads

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/faultline-io/faultline/checker"
	setcheck "github.com/faultline-io/faultline/checker/set"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/targets"
)

func init() { Register(setWorkload{}) }

// setWorkload is Jepsen's set test: clients add unique integers, now and
// then one reads the whole set, and after healing a final read decides
// what was lost. On the target the set is a list under one key: an add is
// a transaction appending the element, a read one reading the list.
type setWorkload struct{}

const setKey = "set"

var setMixLabels = []string{"add", "read"}

func (setWorkload) Info() Info {
	return Info{
		Name:    "set",
		Summary: "unique adds to one set, periodic and final reads; reports lost, unexpected, recovered and stale elements (Jepsen's set / set-full)",
		Options: []targets.OptionSpec{
			{Name: "mix", Default: "99:1", Help: "relative weights of add:read (reads return the whole set; the final read is always made)"},
			{Name: "linearizable", Default: "true", Help: "count an element missing from a read that began after it was known present (stale) as an anomaly"},
		},
	}
}

type setParams struct {
	mix          mix
	linearizable bool
}

func parseSetParams(opts map[string]string) (setParams, error) {
	var p setParams
	var err error
	if p.mix, err = mixOption(opts, setMixLabels, mix{99, 1}); err != nil {
		return p, err
	}
	p.linearizable, err = boolOption(opts, "linearizable", true)
	return p, err
}

func (setWorkload) Requires(t targets.Target) error { return requireTxn("set", t) }

func (setWorkload) Checkers(c CheckOptions) []checker.Checker {
	p, err := parseSetParams(c.Workload)
	if err != nil {
		return []checker.Checker{badOptions("set", err)}
	}
	return []checker.Checker{checker.StatsChecker(), setcheck.New(setcheck.Options{Linearizable: p.linearizable})}
}

// FinalOps reads the set once every fault is healed.
func (setWorkload) FinalOps([]history.Op) []Op { return []Op{{F: "read"}} }

func (setWorkload) NewGenerator(rng *rand.Rand, prm Params) (Generator, error) {
	p, err := parseSetParams(prm.Options)
	if err != nil {
		return nil, err
	}
	return &setGen{rng: rng, mix: p.mix}, nil
}

type setGen struct {
	mu   sync.Mutex
	rng  *rand.Rand
	mix  mix
	next int64
}

func (g *setGen) Next(history.Process) (Op, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mix.pick(g.rng) == 1 {
		return Op{F: "read"}, true
	}
	e := g.next
	g.next++
	return Op{F: "add", Value: history.MustValue(e)}, true
}

func (setWorkload) NewClient(t targets.Target, n targets.Node) (Client, error) {
	tc, err := openTxn(t, n)
	if err != nil {
		return nil, err
	}
	return setClient{txnClient{tc}}, nil
}

type setClient struct{ txnClient }

func (c setClient) Invoke(ctx context.Context, op Op) Completion {
	switch op.F {
	case "add":
		e, err := strconv.ParseInt(string(op.Value), 10, 64)
		if err != nil {
			return Completion{Type: history.Fail, Error: "bad add value: " + string(op.Value)}
		}
		if _, done := c.run(ctx, false, targets.TxnOp{F: targets.TxnAppend, Key: setKey, Value: e}); done != nil {
			return *done
		}
		return Completion{Type: history.OK}
	case "read":
		res, done := c.run(ctx, true, targets.TxnOp{F: targets.TxnRead, Key: setKey})
		if done != nil {
			return *done
		}
		if res[0].Found && !res[0].IsList {
			return Completion{Type: history.Fail, Error: fmt.Sprintf("key %s holds %d, not a list", setKey, res[0].Int)}
		}
		elems := res[0].List
		if elems == nil {
			elems = []int64{}
		}
		b, _ := json.Marshal(elems)
		return Completion{Type: history.OK, Value: b}
	}
	return Completion{Type: history.Fail, Error: "set: unknown op " + op.F}
}

// badOptions is a checker that says the stored options are unusable; it
// gives Unknown, never a verdict on the history.
func badOptions(workload string, err error) checker.Checker {
	return optionsError{workload: workload, err: err}
}

type optionsError struct {
	workload string
	err      error
}

func (o optionsError) Name() string { return o.workload }

func (o optionsError) Check(context.Context, []history.Op) checker.Result {
	return checker.Result{Checker: o.workload, Verdict: checker.Unknown, Message: "cannot check: " + o.err.Error()}
}
