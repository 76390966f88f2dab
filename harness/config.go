package harness

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/faultline-io/faultline/nemesis"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/workloads"
)

// Balance policies: how a client chooses the node for each op.
const (
	BalancePinned = "pinned" // client i always talks to node i mod n (Jepsen's default)
	BalanceRandom = "random" // each op goes to a random node
)

// Config is everything a run needs. Validate fills defaults and rejects
// nonsense before any container starts.
type Config struct {
	Name            string // test name; default <target>-<workload>
	Target          string
	TargetOpts      map[string]string
	Workload        string
	WorkloadOpts    map[string]string
	Nemesis         []string // fault names; empty = no faults; ["all"] = every fault the target supports
	NemesisInterval time.Duration
	// NemesisOpts are nemesis options by name (nemesis.OptionSpecs), from
	// --partition, --partition-mode and --nemesis-opt.
	NemesisOpts     map[string]string
	Nodes           int
	Concurrency     int     // client processes; 0 = 2 × nodes
	Rate            float64 // ops/s over all clients; 0 = as fast as they go
	TimeLimit       time.Duration
	OpTimeout       time.Duration
	RecoveryTimeout time.Duration // how long to wait for health after the final heal
	CheckTimeout    time.Duration // 0 = no limit
	Balance         string
	Seed            int64
	Store           string   // root of the run store
	Command         []string // argv that reproduces the run
	Version         string
	Log             io.Writer // progress lines; nil = discard
	// Progress, when set, receives a snapshot about once a second during
	// the load phase instead of the plain progress line every 5 s, so a
	// terminal can redraw a status line. It is called from one goroutine.
	Progress func(Progress)
}

// Limits on what a run may ask for.
const (
	MaxNodes       = 9
	MaxConcurrency = 1000
	MaxRate        = 100_000
)

// Validate fills defaults and checks the configuration; every error names
// the setting at fault.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Target == "" {
		bad("--target is required (have: %s)", strings.Join(targets.Names(), ", "))
	} else if _, ok := targets.Lookup(c.Target); !ok {
		bad("unknown target %q (have: %s)", c.Target, strings.Join(targets.Names(), ", "))
	}
	if c.Workload == "" {
		c.Workload = "register"
	}
	if w, err := workloads.Lookup(c.Workload); err != nil {
		bad("%v", err)
	} else if err := workloads.CheckOptionNames(w, c.WorkloadOpts); err != nil {
		bad("%v", err)
	}
	if err := nemesis.CheckOptions(c.NemesisOpts); err != nil {
		bad("%v", err)
	}
	for _, n := range c.Nemesis {
		if _, err := nemesis.ParseList(n); err != nil {
			bad("--nemesis: %v", err)
		}
	}
	if c.Nodes == 0 {
		c.Nodes = 5
	}
	if c.Nodes < 1 || c.Nodes > MaxNodes {
		bad("--nodes %d: want 1 to %d", c.Nodes, MaxNodes)
	}
	if c.Concurrency == 0 {
		c.Concurrency = 2 * c.Nodes
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		bad("--concurrency %d: want 1 to %d", c.Concurrency, MaxConcurrency)
	}
	if c.Rate < 0 || c.Rate > MaxRate || math.IsNaN(c.Rate) {
		bad("--rate %v: want 0 (unlimited) to %d ops/s", c.Rate, MaxRate)
	}
	if c.TimeLimit == 0 {
		c.TimeLimit = 60 * time.Second
	}
	if c.TimeLimit < time.Second || c.TimeLimit > 24*time.Hour {
		bad("--time-limit %v: want 1s to 24h", c.TimeLimit)
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = 2 * time.Second
	}
	if c.OpTimeout < 10*time.Millisecond || c.OpTimeout > 5*time.Minute {
		bad("--op-timeout %v: want 10ms to 5m", c.OpTimeout)
	}
	if c.NemesisInterval == 0 {
		c.NemesisInterval = 5 * time.Second
	}
	if c.NemesisInterval < 100*time.Millisecond || c.NemesisInterval > time.Hour {
		bad("--nemesis-interval %v: want 100ms to 1h", c.NemesisInterval)
	}
	if c.RecoveryTimeout == 0 {
		c.RecoveryTimeout = 30 * time.Second
	}
	if c.CheckTimeout < 0 {
		bad("--check-timeout %v: want 0 (no limit) or more", c.CheckTimeout)
	}
	switch c.Balance {
	case "":
		c.Balance = BalancePinned
	case BalancePinned, BalanceRandom:
	default:
		bad("--balance %q: want %s or %s", c.Balance, BalancePinned, BalanceRandom)
	}
	if c.Store == "" {
		c.Store = "store"
	}
	if c.Name == "" {
		c.Name = c.Target + "-" + c.Workload
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return errors.Join(errs...)
}
