package workloads

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/counter"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/targets"
)

func init() { Register(counterWorkload{}) }

// counterWorkload is Jepsen's counter test: increments and reads of one
// integer, each a transaction through the log; every read must lie between
// the acknowledged and the attempted increments.
type counterWorkload struct{}

const counterKey = "counter"

var counterMixLabels = []string{"add", "read"}

func (counterWorkload) Info() Info {
	return Info{
		Name:    "counter",
		Summary: "increments and reads of one counter; every read must lie between acknowledged and attempted increments",
		Options: []targets.OptionSpec{
			{Name: "mix", Default: "1:1", Help: "relative weights of add:read"},
			{Name: "max-add", Default: "5", Help: "increments are drawn from 1..max-add"},
		},
	}
}

type counterParams struct {
	mix    mix
	maxAdd int
}

func parseCounterParams(opts map[string]string) (counterParams, error) {
	var p counterParams
	var err error
	if p.mix, err = mixOption(opts, counterMixLabels, mix{1, 1}); err != nil {
		return p, err
	}
	p.maxAdd, err = intOption(opts, "max-add", 5, 1, 1_000_000)
	return p, err
}

func (counterWorkload) Requires(t targets.Target) error { return requireTxn("counter", t) }

func (counterWorkload) Checkers(c CheckOptions) []checker.Checker {
	if _, err := parseCounterParams(c.Workload); err != nil {
		return []checker.Checker{badOptions("counter", err)}
	}
	return []checker.Checker{checker.StatsChecker(), counter.New()}
}

// FinalOps reads the counter once every fault is healed.
func (counterWorkload) FinalOps([]history.Op) []Op { return []Op{{F: "read"}} }

func (counterWorkload) NewGenerator(rng *rand.Rand, prm Params) (Generator, error) {
	p, err := parseCounterParams(prm.Options)
	if err != nil {
		return nil, err
	}
	return &counterGen{rng: rng, p: p}, nil
}

type counterGen struct {
	mu  sync.Mutex
	rng *rand.Rand
	p   counterParams
}

func (g *counterGen) Next(history.Process) (Op, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.p.mix.pick(g.rng) == 1 {
		return Op{F: "read"}, true
	}
	return Op{F: "add", Value: history.MustValue(1 + g.rng.IntN(g.p.maxAdd))}, true
}

func (counterWorkload) NewClient(t targets.Target, n targets.Node) (Client, error) {
	tc, err := openTxn(t, n)
	if err != nil {
		return nil, err
	}
	return counterClient{txnClient{tc}}, nil
}

type counterClient struct{ txnClient }

func (c counterClient) Invoke(ctx context.Context, op Op) Completion {
	switch op.F {
	case "add":
		v, err := strconv.ParseInt(string(op.Value), 10, 64)
		if err != nil {
			return Completion{Type: history.Fail, Error: "bad add value: " + string(op.Value)}
		}
		if _, done := c.run(ctx, false, targets.TxnOp{F: targets.TxnAdd, Key: counterKey, Value: v}); done != nil {
			return *done
		}
		return Completion{Type: history.OK}
	case "read":
		res, done := c.run(ctx, true, targets.TxnOp{F: targets.TxnRead, Key: counterKey})
		if done != nil {
			return *done
		}
		if res[0].IsList {
			return Completion{Type: history.Fail, Error: fmt.Sprintf("key %s holds a list, not a counter", counterKey)}
		}
		return Completion{Type: history.OK, Value: history.MustValue(res[0].Int)} // absent reads as 0
	}
	return Completion{Type: history.Fail, Error: "counter: unknown op " + op.F}
}
