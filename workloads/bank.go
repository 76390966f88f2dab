package workloads

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/bank"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/targets"
)

func init() { Register(bankWorkload{}) }

// bankWorkload is Jepsen's bank test: transfers between a few accounts and
// reads of every balance in one transaction. The total must stay the same
// and no balance may go negative.
//
// A transfer is one transaction with the target's transfer micro-op, which
// aborts (a definite fail) when an account does not exist yet or the
// source holds too little. A read is one transaction that first opens
// every account with its initial balance (init: write if absent), then
// reads them all; so the accounts come into being with the first read,
// without a set-up step, and the read's invocation carries the initial
// balances (which is also how the client learns them: clients see only
// their ops).
type bankWorkload struct{}

var bankMixLabels = []string{"transfer", "read"}

func (bankWorkload) Info() Info {
	return Info{
		Name:    "bank",
		Summary: "transfers between accounts and reads of all balances in one transaction; totals conserved, no negative balance",
		Options: []targets.OptionSpec{
			{Name: "accounts", Default: "5", Help: "number of accounts, named 0..accounts-1"},
			{Name: "balance", Default: "10", Help: "initial balance of each account"},
			{Name: "max-transfer", Default: "5", Help: "transfer amounts are drawn from 1..max-transfer"},
			{Name: "mix", Default: "1:1", Help: "relative weights of transfer:read"},
		},
	}
}

type bankParams struct {
	accounts, balance, maxTransfer int
	mix                            mix
}

func parseBankParams(opts map[string]string) (bankParams, error) {
	var p bankParams
	var err error
	if p.accounts, err = intOption(opts, "accounts", 5, 2, 100); err != nil {
		return p, err
	}
	if p.balance, err = intOption(opts, "balance", 10, 0, 1_000_000_000); err != nil {
		return p, err
	}
	if p.maxTransfer, err = intOption(opts, "max-transfer", 5, 1, 1_000_000_000); err != nil {
		return p, err
	}
	if p.mix, err = mixOption(opts, bankMixLabels, mix{1, 1}); err != nil {
		return p, err
	}
	if p.mix[1] == 0 {
		return p, fmt.Errorf("workload option mix=%s: reads open the accounts, so their weight must be above 0", p.mix)
	}
	return p, nil
}

func (p bankParams) names() []string {
	n := make([]string, p.accounts)
	for i := range n {
		n[i] = strconv.Itoa(i)
	}
	return n
}

// initial is the read's invocation value: every account's opening balance.
func (p bankParams) initial() json.RawMessage {
	m := make(map[string]int, p.accounts)
	for _, a := range p.names() {
		m[a] = p.balance
	}
	return history.MustValue(m)
}

func (bankWorkload) Requires(t targets.Target) error { return requireTxn("bank", t) }

func (bankWorkload) Checkers(c CheckOptions) []checker.Checker {
	p, err := parseBankParams(c.Workload)
	if err != nil {
		return []checker.Checker{badOptions("bank", err)}
	}
	return []checker.Checker{checker.StatsChecker(),
		bank.New(bank.Options{Accounts: p.names(), Total: int64(p.accounts) * int64(p.balance)})}
}

// FinalOps reads every balance once every fault is healed. The opening
// balances come from the reads in the history, which all carry them.
func (bankWorkload) FinalOps(ops []history.Op) []Op {
	for i := len(ops) - 1; i >= 0; i-- {
		if op := &ops[i]; op.IsClient() && op.Type == history.Invoke && op.F == "read" {
			return []Op{{F: "read", Value: op.Value}}
		}
	}
	return nil // never read: there is nothing the run could compare against
}

func (bankWorkload) NewGenerator(rng *rand.Rand, prm Params) (Generator, error) {
	p, err := parseBankParams(prm.Options)
	if err != nil {
		return nil, err
	}
	return &bankGen{rng: rng, p: p, init: p.initial()}, nil
}

type bankGen struct {
	mu   sync.Mutex
	rng  *rand.Rand
	p    bankParams
	init json.RawMessage
}

// transfer is a transfer op's value, Jepsen's {:from :to :amount}.
type transfer struct {
	From   int   `json:"from"`
	To     int   `json:"to"`
	Amount int64 `json:"amount"`
}

func (g *bankGen) Next(history.Process) (Op, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.p.mix.pick(g.rng) == 1 {
		return Op{F: "read", Value: g.init}, true
	}
	from := g.rng.IntN(g.p.accounts)
	to := (from + 1 + g.rng.IntN(g.p.accounts-1)) % g.p.accounts
	return Op{F: "transfer", Value: history.MustValue(transfer{From: from, To: to, Amount: int64(1 + g.rng.IntN(g.p.maxTransfer))})}, true
}

func (bankWorkload) NewClient(t targets.Target, n targets.Node) (Client, error) {
	tc, err := openTxn(t, n)
	if err != nil {
		return nil, err
	}
	return bankClient{txnClient{tc}}, nil
}

type bankClient struct{ txnClient }

func accountKey(a string) string { return "account-" + a }

func (c bankClient) Invoke(ctx context.Context, op Op) Completion {
	switch op.F {
	case "transfer":
		var tr transfer
		if err := json.Unmarshal(op.Value, &tr); err != nil {
			return Completion{Type: history.Fail, Error: "bad transfer value: " + err.Error()}
		}
		_, done := c.run(ctx, false, targets.TxnOp{F: targets.TxnTransfer,
			Key: accountKey(strconv.Itoa(tr.From)), To: accountKey(strconv.Itoa(tr.To)), Value: tr.Amount})
		if done != nil {
			return *done
		}
		return Completion{Type: history.OK}
	case "read":
		var initial map[string]int64
		if err := json.Unmarshal(op.Value, &initial); err != nil || len(initial) == 0 {
			return Completion{Type: history.Fail, Error: "bad read value: want the opening balances"}
		}
		names := slices.Sorted(maps.Keys(initial))
		ops := make([]targets.TxnOp, 0, 2*len(names))
		for _, a := range names {
			ops = append(ops, targets.TxnOp{F: targets.TxnInit, Key: accountKey(a), Value: initial[a]})
		}
		for _, a := range names {
			ops = append(ops, targets.TxnOp{F: targets.TxnRead, Key: accountKey(a)})
		}
		// Not read-only: the first successful read opens the accounts, so
		// an unknown outcome is info, not fail.
		res, done := c.run(ctx, false, ops...)
		if done != nil {
			return *done
		}
		bal := make(map[string]*int64, len(names))
		for i, a := range names {
			v := res[len(names)+i]
			switch {
			case v.IsList:
				return Completion{Type: history.Fail, Error: fmt.Sprintf("account %s holds a list", a)}
			case v.Found:
				n := v.Int
				bal[a] = &n
			default:
				bal[a] = nil
			}
		}
		return Completion{Type: history.OK, Value: history.MustValue(bal)}
	}
	return Completion{Type: history.Fail, Error: "bank: unknown op " + op.F}
}
