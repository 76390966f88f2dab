package workloads

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/targets"
)

// This file holds what the transactional workloads (set, counter, bank,
// unique-ids, list-append) share: the target capability they need, running
// a transaction and classifying its outcome, and option parsing.

func requireTxn(workload string, t targets.Target) error {
	if _, ok := t.(targets.TxnClientFactory); !ok {
		return fmt.Errorf("workload %s needs transactions; target %s has none", workload, t.Name())
	}
	return nil
}

func openTxn(t targets.Target, n targets.Node) (targets.TxnClient, error) {
	f, ok := t.(targets.TxnClientFactory)
	if !ok {
		return nil, fmt.Errorf("target %s has no transaction client", t.Name())
	}
	c, err := f.NewTxnClient(n)
	if err != nil {
		return nil, fmt.Errorf("open transaction client to %s: %w", n.Name, err)
	}
	return c, nil
}

// txnClient is a transaction client; the workloads' clients embed it.
type txnClient struct{ tc targets.TxnClient }

func (c txnClient) Close() error { return c.tc.Close() }

// run performs ops. On error it returns the completion to record: a
// read-only transaction changes nothing, so any failure is a fail (as
// Jepsen records failed reads); otherwise fail when the error is definite
// (an abort included) and info when the outcome is unknown.
func (c txnClient) run(ctx context.Context, readOnly bool, ops ...targets.TxnOp) ([]targets.TxnValue, *Completion) {
	res, err := c.tc.Txn(ctx, ops)
	if err == nil {
		return res, nil
	}
	if readOnly {
		return nil, &Completion{Type: history.Fail, Error: errText(err)}
	}
	done := uncertain(err, nil)
	return nil, &done
}

// intOption parses an integer option within [lo, hi], or returns def.
func intOption(opts map[string]string, name string, def, lo, hi int) (int, error) {
	s, ok := opts[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("workload option %s=%q: want an integer from %d to %d", name, s, lo, hi)
	}
	return n, nil
}

// boolOption parses true/false, or returns def.
func boolOption(opts map[string]string, name string, def bool) (bool, error) {
	s, ok := opts[name]
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("workload option %s=%q: want true or false", name, s)
	}
	return b, nil
}

// mix is relative weights of a workload's kinds of op, e.g. "1:1" for
// transfer:read.
type mix []int

// mixOption parses "w1:w2:…" with one non-negative weight per label and a
// positive sum, or returns def.
func mixOption(opts map[string]string, labels []string, def mix) (mix, error) {
	s, ok := opts["mix"]
	if !ok {
		return def, nil
	}
	parts := strings.Split(s, ":")
	bad := fmt.Errorf("workload option mix=%q: want %s weights such as %s", s, strings.Join(labels, ":"), def)
	if len(parts) != len(labels) {
		return nil, bad
	}
	m := make(mix, len(parts))
	sum := 0
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 1_000_000 {
			return nil, bad
		}
		m[i] = n
		sum += n
	}
	if sum == 0 {
		return nil, bad
	}
	return m, nil
}

func (m mix) String() string {
	s := make([]string, len(m))
	for i, w := range m {
		s[i] = strconv.Itoa(w)
	}
	return strings.Join(s, ":")
}

// pick draws an index with probability proportional to its weight.
func (m mix) pick(rng *rand.Rand) int {
	sum := 0
	for _, w := range m {
		sum += w
	}
	n := rng.IntN(sum)
	for i, w := range m {
		if n < w {
			return i
		}
		n -= w
	}
	return len(m) - 1
}
