package nemesis

import (
	"time"

	"context"
	"errors"
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

// Preparer is implemented by faults that must check something on the
// running cluster before the first fault (e.g. which kernel features
// packet faults can use). Prepare returns what it found, for the history,
// and an error when the fault cannot work as configured.
type Preparer interface {
	Prepare(ctx context.Context) (any, error)
	// PrepareF names the action in the history, e.g. "probe-packet".
	PrepareF() string
}

// Env is what a fault is built from.
type Env struct {
	Target  targets.Target
	Nodes   []string // node names, in order
	Rand    *rand.Rand
	Options map[string]string // nemesis options (see OptionSpecs), by name

	// procs is shared by the faults of one Build, so process faults
	// that overlap (kill, pause) agree on which nodes are down or
	// frozen.
	procs *procState
}

// opt returns option name, or its registered default.
func (e Env) opt(name string) string {
	if v, ok := e.Options[name]; ok {
		return v
	}
	return optionDefault(name)
}

func (e Env) shared() *procState {
	if e.procs == nil {
		return newProcState()
	}
	return e.procs
}

// Factory builds a fault for a target, or says why it cannot.
type Factory func(env Env) (Fault, error)

// Info describes a fault for listings.
type Info struct {
	Name    string
	Summary string
	Options []OptionSpec // the options this fault reads
}

// UnsupportedError says the target lacks a capability a fault needs.
// Build skips such faults when they come from "all".
type UnsupportedError struct {
	Fault, Target, Why string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s faults unsupported by target %s: %s", e.Fault, e.Target, e.Why)
}

func unsupported(fault string, t targets.Target, format string, a ...any) error {
	return &UnsupportedError{Fault: fault, Target: t.Name(), Why: fmt.Sprintf(format, a...)}
}

type registration struct {
	info    Info
	factory Factory
}

var (
	mu       sync.Mutex
	registry = map[string]registration{}
)

// Suffixes of the per-class timing options: partition-hold=10s holds
// each partition about 10 s, clock-quiet=1s leaves about 1 s between
// clock faults. Both default to the schedule's Interval.
const (
	HoldSuffix  = "-hold"
	QuietSuffix = "-quiet"
)

// Bounds of a hold or quiet time.
const (
	minPhase = 100 * time.Millisecond
	maxPhase = time.Hour
)

// Register makes a fault available by name; it panics on a duplicate.
func Register(info Info, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[info.Name]; dup {
		panic("nemesis: Register called twice for " + info.Name)
	}
	// Every fault class gets its own hold and quiet times (the schedule's
	// loop for it), defaulting to --nemesis-interval.
	info.Options = append(info.Options,
		OptionSpec{Name: info.Name + HoldSuffix, Help: "mean time a " + info.Name + " fault is held (default: --nemesis-interval)", Check: checkDuration(minPhase, maxPhase)},
		OptionSpec{Name: info.Name + QuietSuffix, Help: "mean quiet time between " + info.Name + " faults (default: --nemesis-interval)", Check: checkDuration(minPhase, maxPhase)},
	)
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

// All is the --nemesis value that selects every fault the target supports.
const All = "all"

// ParseList splits a --nemesis value ("partition,kill", "all", "none" or
// "") into known fault names, rejecting unknown ones. "all" anywhere in
// the list makes the result just ["all"], which Build expands to every
// fault the target supports.
func ParseList(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return nil, nil
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == All {
			return []string{All}, nil
		}
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
	if env.Rand != nil {
		// A stream of its own: faults run concurrently (Schedule), and
		// rand.Rand is not safe for concurrent use.
		env.Rand = rand.New(rand.NewPCG(env.Rand.Uint64(), env.Rand.Uint64()))
	} else {
		env.Rand = rand.New(rand.NewPCG(1, 1))
	}
	f, err := r.factory(env)
	if err != nil {
		var ue *UnsupportedError
		if errors.As(err, &ue) {
			return nil, err // it names the fault already
		}
		return nil, fmt.Errorf("nemesis %s: %w", name, err)
	}
	return f, nil
}

// Build makes the faults named in names (as ParseList returns them) for
// one run. "all" stands for every registered fault; those the target does
// not support are skipped and described in skipped, while a fault named
// explicitly that the target does not support is an error (so "clock
// faults unsupported by target X" comes at setup, not mid-run). Options
// are checked first. Each fault gets its own random stream drawn from
// env.Rand (see New), and process faults share what they know about nodes.
func Build(names []string, env Env) (faults []Fault, skipped []string, err error) {
	if err := CheckOptions(env.Options); err != nil {
		return nil, nil, err
	}
	all := false
	var list []string
	for _, n := range names {
		if n == All {
			all = true
			list = Names()
			break
		}
		list = append(list, n)
	}
	env.procs = newProcState()
	var errs []error
	for _, n := range list {
		f, ferr := New(n, env)
		var ue *UnsupportedError
		switch {
		case ferr == nil:
			faults = append(faults, f)
		case all && errors.As(ferr, &ue):
			skipped = append(skipped, ferr.Error())
		default:
			errs = append(errs, ferr)
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return faults, skipped, nil
}

// pickN returns k distinct random nodes, in node order.
func pickN(rng *rand.Rand, nodes []string, k int) []string {
	if k > len(nodes) {
		k = len(nodes)
	}
	if k < 0 {
		k = 0
	}
	idx := rng.Perm(len(nodes))[:k]
	sort.Ints(idx)
	out := make([]string, k)
	for i, j := range idx {
		out[i] = nodes[j]
	}
	return out
}

// pickSome returns between 1 and max distinct nodes, in node order.
func pickSome(rng *rand.Rand, nodes []string, max int) []string {
	if max < 1 {
		max = 1
	}
	if max > len(nodes) {
		max = len(nodes)
	}
	return pickN(rng, nodes, 1+rng.IntN(max))
}

// minority is the largest number of nodes whose loss leaves a majority.
func minority(n int) int { return (n - 1) / 2 }

// majority is the smallest number of nodes that is more than half.
func majority(n int) int { return n/2 + 1 }

// procState is what the process faults of one run know about nodes.
type procState struct {
	mu     sync.Mutex // held for a whole kill or pause action
	down   map[string]bool
	paused map[string]bool
}

func newProcState() *procState {
	return &procState{down: map[string]bool{}, paused: map[string]bool{}}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
