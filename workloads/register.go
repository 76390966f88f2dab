package workloads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/targets"
)

func init() { Register(register{}) }

// register is Jepsen's linearizable-register test over independent keys:
// random reads, writes and compare-and-sets of small integers, each key a
// register of its own, checked per key with Porcupine. A key retires after
// a bounded number of ops so every per-key history stays checkable.
type register struct{}

const (
	regDefaultKeys     = 5
	regDefaultPerKey   = 200
	regDefaultValues   = 5
	regMaxValues       = 1_000_000
	regMaxKeysAtOnce   = 1000
	regMaxOpsPerKey    = 100_000
	regReadWriteCASMix = "1:1:1"
)

func (register) Info() Info {
	return Info{
		Name:    "register",
		Summary: "read / write / compare-and-set of independent integer registers, checked for linearizability",
		Options: []targets.OptionSpec{
			{Name: "keys", Default: strconv.Itoa(regDefaultKeys), Help: "keys in use at once"},
			{Name: "ops-per-key", Default: strconv.Itoa(regDefaultPerKey), Help: "ops on a key before it retires and a fresh key takes its place"},
			{Name: "values", Default: strconv.Itoa(regDefaultValues), Help: "values are drawn from 0..values-1"},
			{Name: "mix", Default: regReadWriteCASMix, Help: "relative weights of read:write:cas"},
		},
	}
}

func (register) Requires(t targets.Target) error {
	if _, ok := t.(targets.KVClientFactory); !ok {
		return fmt.Errorf("workload register needs a key-value client; target %s has none", t.Name())
	}
	return nil
}

func (register) Checkers(c CheckOptions) []checker.Checker {
	return []checker.Checker{
		checker.StatsChecker(),
		linearizable.New(linearizable.Options{Timeout: time.Duration(c.Timeout)}),
	}
}

// FinalOps reads every key a client touched.
func (register) FinalOps(ops []history.Op) []Op {
	seen := map[string]bool{}
	var keys []string
	for i := range ops {
		if k := ops[i].Key; ops[i].IsClient() && k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	final := make([]Op, len(keys))
	for i, k := range keys {
		final[i] = Op{F: "read", Key: k}
	}
	return final
}

type registerParams struct {
	keys, perKey, values int
	weights              [3]int // read, write, cas
}

func parseRegisterParams(opts map[string]string) (registerParams, error) {
	p := registerParams{keys: regDefaultKeys, perKey: regDefaultPerKey, values: regDefaultValues, weights: [3]int{1, 1, 1}}
	ints := []struct {
		name     string
		dst      *int
		min, max int
	}{
		{"keys", &p.keys, 1, regMaxKeysAtOnce},
		{"ops-per-key", &p.perKey, 1, regMaxOpsPerKey},
		{"values", &p.values, 1, regMaxValues},
	}
	for _, o := range ints {
		s, ok := opts[o.name]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < o.min || n > o.max {
			return p, fmt.Errorf("workload option %s=%q: want an integer from %d to %d", o.name, s, o.min, o.max)
		}
		*o.dst = n
	}
	if s, ok := opts["mix"]; ok {
		var r, w, c int
		if _, err := fmt.Sscanf(s, "%d:%d:%d", &r, &w, &c); err != nil || r < 0 || w < 0 || c < 0 || r+w+c == 0 {
			return p, fmt.Errorf("workload option mix=%q: want read:write:cas weights such as 1:1:1", s)
		}
		p.weights = [3]int{r, w, c}
	}
	return p, nil
}

func (register) NewGenerator(rng *rand.Rand, prm Params) (Generator, error) {
	p, err := parseRegisterParams(prm.Options)
	if err != nil {
		return nil, err
	}
	g := &registerGen{rng: rng, p: p, active: make([]keyState, p.keys)}
	for i := range g.active {
		g.active[i] = keyState{name: g.freshKey()}
	}
	return g, nil
}

type keyState struct {
	name string
	used int
}

// registerGen hands out ops over a window of active keys; a key that has
// had its ops retires and the next fresh key takes its slot (Jepsen's
// independent generator, flattened).
type registerGen struct {
	mu     sync.Mutex
	rng    *rand.Rand
	p      registerParams
	active []keyState
	next   int
}

func (g *registerGen) freshKey() string {
	k := "k" + strconv.Itoa(g.next)
	g.next++
	return k
}

func (g *registerGen) Next(history.Process) (Op, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	slot := g.rng.IntN(len(g.active))
	ks := &g.active[slot]
	key := ks.name
	ks.used++
	if ks.used >= g.p.perKey {
		*ks = keyState{name: g.freshKey()}
	}
	w := g.p.weights
	n := g.rng.IntN(w[0] + w[1] + w[2])
	switch {
	case n < w[0]:
		return Op{F: "read", Key: key}, true
	case n < w[0]+w[1]:
		return Op{F: "write", Key: key, Value: history.MustValue(g.rng.IntN(g.p.values))}, true
	default:
		from, to := g.rng.IntN(g.p.values), g.rng.IntN(g.p.values)
		return Op{F: "cas", Key: key, Value: history.MustValue([2]int{from, to})}, true
	}
}

func (register) NewClient(t targets.Target, n targets.Node) (Client, error) {
	f, ok := t.(targets.KVClientFactory)
	if !ok {
		return nil, fmt.Errorf("target %s has no key-value client", t.Name())
	}
	kv, err := f.NewKVClient(n)
	if err != nil {
		return nil, fmt.Errorf("open client to %s: %w", n.Name, err)
	}
	return registerClient{kv}, nil
}

type registerClient struct{ kv targets.KVClient }

func (c registerClient) Close() error { return c.kv.Close() }

// Invoke follows Jepsen's convention: a read that errs is a fail, because
// a read changes nothing whether or not it ran; a write or cas that errs
// without certainty is info.
func (c registerClient) Invoke(ctx context.Context, op Op) Completion {
	switch op.F {
	case "read":
		v, found, err := c.kv.Read(ctx, op.Key)
		if err != nil {
			return Completion{Type: history.Fail, Error: errText(err)}
		}
		if !found {
			return Completion{Type: history.OK, Value: json.RawMessage("null")}
		}
		return Completion{Type: history.OK, Value: history.MustValue(v)}
	case "write":
		var v int64
		if err := json.Unmarshal(op.Value, &v); err != nil {
			return Completion{Type: history.Fail, Error: "bad write value: " + err.Error()}
		}
		return uncertain(c.kv.Write(ctx, op.Key, v), nil)
	case "cas":
		var ft [2]int64
		if err := json.Unmarshal(op.Value, &ft); err != nil {
			return Completion{Type: history.Fail, Error: "bad cas value: " + err.Error()}
		}
		swapped, err := c.kv.CAS(ctx, op.Key, ft[0], ft[1])
		if err == nil && !swapped {
			return Completion{Type: history.Fail, Error: "compare failed"}
		}
		return uncertain(err, nil)
	}
	return Completion{Type: history.Fail, Error: "register: unknown op " + op.F}
}

// uncertain turns a write's error into ok, fail (definitely not applied)
// or info (unknown).
func uncertain(err error, v json.RawMessage) Completion {
	switch {
	case err == nil:
		return Completion{Type: history.OK, Value: v}
	case targets.IsDefinite(err):
		return Completion{Type: history.Fail, Error: errText(err)}
	default:
		return Completion{Type: history.Info, Error: errText(err)}
	}
}

func errText(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout: " + err.Error()
	}
	return err.Error()
}
