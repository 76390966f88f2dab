package targets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Node is one member of a running cluster.
type Node struct {
	Name string // stable name: n1, n2, … (hostname and network alias)
	// Addr is the host:port where the controller reaches the node's client
	// API.
	Addr string
	IP   string // the node's address on the cluster network
}

// Options are a target's settings, from --target-opt key=value.
type Options map[string]string

// Setup says how the harness wants a cluster.
type Setup struct {
	RunID    string    // unique per run; containers and networks carry it
	Nodes    int       // how many nodes
	NodeLogs io.Writer // where progress lines go (may be nil)
}

// Target is one running system under test.
type Target interface {
	// Name is the registered name, e.g. "raft".
	Name() string
	// Start creates the cluster and returns when every node is healthy.
	Start(ctx context.Context) error
	// Nodes lists the nodes in a stable order; valid after Start.
	Nodes() []Node
	// Teardown removes everything Start created. It is idempotent and
	// must work after a failed or partial Start.
	Teardown(ctx context.Context) error
}

// Killer crashes a node (SIGKILL) and starts it again with its data.
type Killer interface {
	Kill(ctx context.Context, node string) error
	Restart(ctx context.Context, node string) error
}

// Pauser freezes a node's processes (SIGSTOP-like) and resumes them.
type Pauser interface {
	Pause(ctx context.Context, node string) error
	Resume(ctx context.Context, node string) error
}

// Grudge says, for each node, which nodes' packets it drops. A node absent
// from the map drops nothing.
type Grudge map[string][]string

// Partitioner cuts the network between nodes. Partition replaces any
// grudge in force; Heal restores full connectivity. A partitioner keeps
// the grudge in force across node restarts.
type Partitioner interface {
	Partition(ctx context.Context, g Grudge) error
	Heal(ctx context.Context) error
}

// LogCollector copies every node's log into dir, one file per node. It must
// work for nodes that were killed.
type LogCollector interface {
	CollectLogs(ctx context.Context, dir string) error
}

// Describer reports facts about a running target for run.json (image,
// versions, ports). Optional.
type Describer interface {
	Describe() map[string]string
}

// KVClient talks to one node of a key-value target with integer values.
//
// Errors: wrap ErrDefinite when the operation certainly had no effect (the
// request was refused before it was sent, or the node said so); any other
// error leaves the outcome unknown.
type KVClient interface {
	// Read returns the value of key, and found=false when it has none.
	Read(ctx context.Context, key string) (value int64, found bool, err error)
	Write(ctx context.Context, key string, value int64) error
	// CAS sets key to to when it holds from. swapped=false with a nil
	// error means the comparison failed: a definite no-op.
	CAS(ctx context.Context, key string, from, to int64) (swapped bool, err error)
	Close() error
}

// KVClientFactory is the capability of targets that serve a key-value API.
type KVClientFactory interface {
	NewKVClient(node Node) (KVClient, error)
}

// TxnClient runs atomic multi-key transactions against one node: the
// micro-ops (see TxnOp) execute in order, all or nothing, and the reads
// among them are linearizable. Errors are classified as KVClient's: an
// error wrapping ErrDefinite (including *TxnAbortedError) means nothing took
// effect; any other error leaves the outcome unknown.
type TxnClient interface {
	// Txn returns one TxnValue per op: what a read saw, the zero value
	// for every other micro-op.
	Txn(ctx context.Context, ops []TxnOp) ([]TxnValue, error)
	Close() error
}

// TxnClientFactory is the capability of targets that run transactions.
type TxnClientFactory interface {
	NewTxnClient(node Node) (TxnClient, error)
}

// ErrDefinite marks an error after which the operation is known not to
// have taken effect.
var ErrDefinite = errors.New("operation did not take effect")

// Definite wraps err to say the operation certainly did not take effect.
func Definite(err error) error {
	if err == nil {
		return nil
	}
	return &definiteError{err}
}

type definiteError struct{ err error }

func (e *definiteError) Error() string   { return e.err.Error() }
func (e *definiteError) Unwrap() []error { return []error{e.err, ErrDefinite} }

// IsDefinite reports whether err says the operation did not take effect.
func IsDefinite(err error) bool { return errors.Is(err, ErrDefinite) }

// OptionSpec documents one option a target accepts.
type OptionSpec struct {
	Name    string
	Default string
	Help    string
}

// Info describes a registered target for `faultline targets` and --help.
type Info struct {
	Name    string
	Summary string
	Options []OptionSpec
	// Bugs are the seeded bugs selectable with bug=NAME.
	Bugs []BugSpec
}

// BugSpec documents one seeded bug.
type BugSpec struct {
	Name    string
	Help    string
	Nemesis []string // faults that expose it
	// NemesisOpts are nemesis options (--nemesis-opt) that aim those
	// faults where the bug bites, e.g. clock faults at the leader; nil
	// when the faults' defaults do.
	NemesisOpts map[string]string
}

// Factory makes a target from its options and the harness's setup. It
// rejects unknown or malformed options with an error naming them; it must
// not touch Docker.
type Factory func(s Setup, opts Options) (Target, error)

type registration struct {
	info    Info
	factory Factory
}

var (
	mu       sync.Mutex
	registry = map[string]registration{}
)

// Register makes a target available by name. It panics on a duplicate,
// as database/sql.Register does.
func Register(info Info, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[info.Name]; dup {
		panic("targets: Register called twice for " + info.Name)
	}
	registry[info.Name] = registration{info, f}
}

// Names lists the registered targets, sorted.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns a target's description.
func Lookup(name string) (Info, bool) {
	mu.Lock()
	defer mu.Unlock()
	r, ok := registry[name]
	return r.info, ok
}

// New makes the named target.
func New(name string, s Setup, opts Options) (Target, error) {
	mu.Lock()
	r, ok := registry[name]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unknown target %q (have: %s)", name, strings.Join(Names(), ", "))
	}
	for k := range opts {
		if !r.info.hasOption(k) {
			return nil, fmt.Errorf("target %s has no option %q (have: %s)", name, k, r.info.optionNames())
		}
	}
	return r.factory(s, opts)
}

func (i Info) hasOption(k string) bool {
	for _, o := range i.Options {
		if o.Name == k {
			return true
		}
	}
	return false
}

func (i Info) optionNames() string {
	var n []string
	for _, o := range i.Options {
		n = append(n, o.Name)
	}
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ", ")
}

// HealthTimeout is how long Start may wait for a cluster to become healthy
// unless a target says otherwise.
const HealthTimeout = 60 * time.Second
