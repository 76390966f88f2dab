package nemesis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	"github.com/faultline-io/faultline/targets"
)

// Fault is one kind of fault.
type Fault interface {
	// Name is the registered name, e.g. "partition".
	Name() string
	// StartF and StopF name the actions in the history, e.g.
	// "start-partition" / "stop-partition" or "kill" / "restart".
	StartF() string
	StopF() string
	// Start injects the fault and returns what it did, for the history.
	Start(ctx context.Context) (any, error)
	// Stop heals what Start did and returns what it did. It is idempotent.
	Stop(ctx context.Context) (any, error)
}

// Env is what a fault is built from.
type Env struct {
	Target  targets.Target
	Nodes   []string // node names, in order
	Rand    *rand.Rand
	Options map[string]string
}

// Factory builds a fault for a target, or says why it cannot.
type Factory func(env Env) (Fault, error)

// Info describes a fault for listings.
type Info struct {
	Name    string
	Summary string
}

type registration struct {
	info    Info
	factory Factory
}

var (
	mu       sync.Mutex
	registry = map[string]registration{}
)

// Register makes a fault available by name; it panics on a duplicate.
func Register(info Info, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[info.Name]; dup {
		panic("nemesis: Register called twice for " + info.Name)
	}
	registry[info.Name] = registration{info, f}
}

// Names lists the registered faults, sorted.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	var n []string
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Infos describes every registered fault, sorted by name.
func Infos() []Info {
	var out []Info
	for _, n := range Names() {
		mu.Lock()
		out = append(out, registry[n].info)
		mu.Unlock()
	}
	return out
}

// ParseList splits a --nemesis value ("partition,kill", "all", "none" or
// "") into known fault names, rejecting unknown ones.
func ParseList(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return nil, nil
	}
	if s == "all" {
		return Names(), nil
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		mu.Lock()
		_, ok := registry[n]
		mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("unknown nemesis %q (have: %s, all, none)", n, strings.Join(Names(), ", "))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// New builds the named fault.
func New(name string, env Env) (Fault, error) {
	mu.Lock()
	r, ok := registry[name]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unknown nemesis %q (have: %s)", name, strings.Join(Names(), ", "))
	}
	f, err := r.factory(env)
	if err != nil {
		return nil, fmt.Errorf("nemesis %s: %w", name, err)
	}
	return f, nil
}

// pickSome returns between 1 and max distinct nodes, in node order.
func pickSome(rng *rand.Rand, nodes []string, max int) []string {
	if max < 1 {
		max = 1
	}
	if max > len(nodes) {
		max = len(nodes)
	}
	k := 1 + rng.IntN(max)
	idx := rng.Perm(len(nodes))[:k]
	sort.Ints(idx)
	out := make([]string, k)
	for i, j := range idx {
		out[i] = nodes[j]
	}
	return out
}

// minority is the largest number of nodes whose loss leaves a majority.
func minority(n int) int { return (n - 1) / 2 }
