package workloads

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/targets"
)

// Op is a request a generator makes: what to ask, about which key, with
// which argument.
type Op struct {
	F     string
	Key   string
	Value json.RawMessage
}

// Completion is what a client learned: Type is OK, Fail or Info.
type Completion struct {
	Type  history.Type
	Value json.RawMessage
	Error string
}

// Generator decides what each process does next. It is called from many
// goroutines.
type Generator interface {
	// Next returns the next op for process p, or ok=false when p has
	// nothing more to do.
	Next(p history.Process) (op Op, ok bool)
}

// Client performs ops against one node. Invoke must return OK or Fail
// only when certain, and Info otherwise.
type Client interface {
	Invoke(ctx context.Context, op Op) Completion
	Close() error
}

// Params are the harness settings a workload may use.
type Params struct {
	Concurrency int
	Nodes       int
	Options     map[string]string // --workload-opt key=value
}

// Info describes a workload for listings and --help.
type Info struct {
	Name    string
	Summary string
	Options []targets.OptionSpec
}

// Workload is a kind of test.
type Workload interface {
	Info() Info
	// Requires checks that the target offers what the clients need,
	// before any container starts.
	Requires(t targets.Target) error
	NewGenerator(rng *rand.Rand, p Params) (Generator, error)
	NewClient(t targets.Target, n targets.Node) (Client, error)
	// FinalOps are the ops to run once every fault is healed, e.g. a
	// read of every key the history touched.
	FinalOps(ops []history.Op) []Op
	// Checkers judge a history of this workload.
	Checkers(c CheckOptions) []checker.Checker
}

// CheckOptions tune the checkers.
type CheckOptions struct {
	Timeout  int64 // nanoseconds for the whole check; 0 = no limit
	Workload map[string]string
}

var (
	mu       sync.Mutex
	registry = map[string]Workload{}
)

// Register makes a workload available by name; it panics on a duplicate.
func Register(w Workload) {
	mu.Lock()
	defer mu.Unlock()
	name := w.Info().Name
	if _, dup := registry[name]; dup {
		panic("workloads: Register called twice for " + name)
	}
	registry[name] = w
}

// Names lists registered workloads, sorted.
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

// Lookup finds a workload by name.
func Lookup(name string) (Workload, error) {
	mu.Lock()
	w, ok := registry[name]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unknown workload %q (have: %s)", name, strings.Join(Names(), ", "))
	}
	return w, nil
}

// CheckOptionNames rejects options the workload does not know.
func CheckOptionNames(w Workload, opts map[string]string) error {
	known := map[string]bool{}
	var names []string
	for _, o := range w.Info().Options {
		known[o.Name] = true
		names = append(names, o.Name)
	}
	for k := range opts {
		if !known[k] {
			return fmt.Errorf("workload %s has no option %q (have: %s)", w.Info().Name, k, strings.Join(names, ", "))
		}
	}
	return nil
}
