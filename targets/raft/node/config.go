package node

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/internal/nodeconf"
)

// Seeded bugs. This is the one place that names them: add a constant and
// an entry in bugs, then check cfg.Bug where the bug bites.
const (
	// BugStaleRead serves reads from local state without a ReadIndex
	// quorum check, so a partitioned or lagging node returns stale values.
	BugStaleRead = "stale-read"
	// BugAckBeforeCommit answers a write as soon as raft took the proposal,
	// before it is committed and applied.
	BugAckBeforeCommit = "ack-before-commit"
	// BugSkipReplay takes the persisted commit index as applied on
	// restart, so the entries after the last snapshot are never applied.
	BugSkipReplay = "skip-replay"
	// BugLeaseRead serves reads from the leader's lease
	// (ReadOnlyLeaseBased) timed with the node's wall clock, which a clock
	// set back or running slow stretches past a new leader's election.
	BugLeaseRead = "lease-read"
)

// Bug documents one seeded bug: its name, what it breaks, the faults
// that expose it and the nemesis options that aim them.
type Bug = targets.BugSpec

var bugs = nodeconf.Bugs{
	{
		Name:    BugStaleRead,
		Help:    "reads return the node's local state without a ReadIndex quorum check, so a partitioned, paused or lagging node serves stale values",
		Nemesis: []string{"partition", "pause"},
	},
	{
		Name:    BugAckBeforeCommit,
		Help:    "a write is acknowledged as soon as raft accepts the proposal, before it commits: a leader cut off from the majority acknowledges writes that a new leader overwrites, and even without faults a read can miss a write already acknowledged",
		Nemesis: []string{"partition"},
	},
	{
		Name:    BugSkipReplay,
		Help:    "on restart the node records as applied everything its journal says is committed, without applying the entries after the last snapshot (etcd 3.5's data-inconsistency bug had the applied index persisted ahead of the apply): a node back from a crash serves and computes on a state that lacks those writes, and diverges from the others",
		Nemesis: []string{"kill"},
	},
	{
		Name:    BugLeaseRead,
		Help:    "reads are served from the leader's lease (ReadOnlyLeaseBased with CheckQuorum), timed with the node's wall clock: a leader whose clock is set back or runs slow and that is cut off from the majority keeps serving reads after a new leader was elected; only clock faults expose it",
		Nemesis: []string{"clock", "partition"},
		// Each lease read the bug gets wrong needs a leader whose clock
		// runs slow (so its lease outlasts a new leader's election) to be
		// cut off while still slow. Drawn at random, the two rarely meet;
		// aimed at the leader, with the slow clock held long and
		// partitions coming often, they meet several times a minute.
		// Rates of 1/6 to 1/8 keep the slowed leader's heartbeats (every
		// tick, 50 ms / rate) inside the followers' election timeout.
		NemesisOpts: map[string]string{
			"clock": "drift", "clock-drift": "slow", "clock-targets": "leader",
			"clock-min-rate": "6", "clock-max-rate": "8", "clock-hold": "10s", "clock-quiet": "1s",
			"partition": "leader", "partition-hold": "3s", "partition-quiet": "3s",
		},
	},
}

// Bugs lists the seeded bugs the node accepts with --bug.
func Bugs() []Bug { return slices.Clone([]Bug(bugs)) }

// LookupBug returns the seeded bug called name.
func LookupBug(name string) (Bug, bool) { return bugs.Lookup(name) }

// Defaults.
const (
	DefaultTick           = 50 * time.Millisecond
	DefaultElectionTicks  = 10
	DefaultHeartbeatTicks = 1
	DefaultListen         = ":7000"
	// DefaultSnapshotEvery is how many applied entries trigger a snapshot
	// and a compaction of the log and the journal.
	DefaultSnapshotEvery = 4096
)

// Config configures one node.
type Config struct {
	ID    uint64
	Name  string            // for logs and /status; default "n<ID>"
	Peers map[uint64]string // raft id -> host:port of each member's HTTP port, self included
	// Listen is the address of the one HTTP server (client API and peer
	// messages).
	Listen  string
	DataDir string
	Bug     string // a seeded bug (see Bugs), "" for none

	Tick           time.Duration // default 50ms
	ElectionTicks  int           // default 10
	HeartbeatTicks int           // default 1
	// SnapshotEvery is how many entries are applied between snapshots
	// (default DefaultSnapshotEvery).
	SnapshotEvery uint64

	Logger *log.Logger // default: stderr
}

// withDefaults fills in defaults and validates.
func (c Config) withDefaults() (Config, error) {
	if err := nodeconf.CheckMembership(c.ID, c.Peers, c.DataDir); err != nil {
		return c, err
	}
	if err := bugs.Check(c.Bug); err != nil {
		return c, err
	}
	if c.Name == "" {
		c.Name = "n" + strconv.FormatUint(c.ID, 10)
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	if c.Tick < 0 {
		return c, fmt.Errorf("tick must be positive, not %v", c.Tick)
	}
	if c.ElectionTicks == 0 {
		c.ElectionTicks = DefaultElectionTicks
	}
	if c.HeartbeatTicks == 0 {
		c.HeartbeatTicks = DefaultHeartbeatTicks
	}
	if c.HeartbeatTicks < 0 || c.ElectionTicks <= c.HeartbeatTicks {
		return c, fmt.Errorf("election ticks (%d) must exceed heartbeat ticks (%d) > 0", c.ElectionTicks, c.HeartbeatTicks)
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.Logger == nil {
		c.Logger = log.New(os.Stderr, c.Name+" ", log.LstdFlags|log.Lmicroseconds|log.LUTC)
	}
	return c, nil
}

// ParsePeers parses "1=n1:7000,2=n2:7000,3=n3:7000".
func ParsePeers(s string) (map[uint64]string, error) { return nodeconf.ParsePeers(s) }

// ParseArgs turns `faultline node raft` arguments into a Config.
func ParseArgs(args []string) (Config, error) {
	fs := flag.NewFlagSet("faultline node raft", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		id        = fs.Uint64("id", 0, "raft id of this node (positive, required)")
		name      = fs.String("name", "", `node name for logs and /status (default "n<id>")`)
		peers     = fs.String("peers", "", "every member as ID=HOST:PORT,… including this node (required)")
		listen    = fs.String("listen", DefaultListen, "HTTP listen address (client API and peer messages)")
		data      = fs.String("data", "", "data directory (required)")
		bug       = fs.String("bug", "", "seeded bug to enable")
		tick      = fs.Duration("tick", DefaultTick, "raft tick interval")
		election  = fs.Int("election-ticks", DefaultElectionTicks, "election timeout in ticks")
		heartbeat = fs.Int("heartbeat-ticks", DefaultHeartbeatTicks, "heartbeat interval in ticks")
		snapEvery = fs.Uint64("snapshot-every", DefaultSnapshotEvery, "applied entries between snapshots")
	)
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("node raft: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("node raft: unexpected argument %q", fs.Arg(0))
	}
	if *id == 0 {
		return Config{}, errors.New("node raft: --id is required and must be positive")
	}
	if *peers == "" {
		return Config{}, errors.New("node raft: --peers is required")
	}
	p, err := ParsePeers(*peers)
	if err != nil {
		return Config{}, fmt.Errorf("node raft: --peers: %w", err)
	}
	if *data == "" {
		return Config{}, errors.New("node raft: --data is required")
	}
	if *tick <= 0 {
		return Config{}, fmt.Errorf("node raft: --tick must be positive, not %v", *tick)
	}
	if *heartbeat <= 0 || *election <= *heartbeat {
		return Config{}, fmt.Errorf("node raft: --election-ticks (%d) must exceed --heartbeat-ticks (%d) > 0", *election, *heartbeat)
	}
	if *snapEvery == 0 {
		return Config{}, errors.New("node raft: --snapshot-every must be positive")
	}
	if err := bugs.Check(*bug); err != nil {
		return Config{}, fmt.Errorf("node raft: --bug: %w", err)
	}
	cfg := Config{
		ID: *id, Name: *name, Peers: p, Listen: *listen, DataDir: *data, Bug: *bug,
		Tick: *tick, ElectionTicks: *election, HeartbeatTicks: *heartbeat, SnapshotEvery: *snapEvery,
	}
	cfg, err = cfg.withDefaults()
	if err != nil {
		return Config{}, fmt.Errorf("node raft: %w", err)
	}
	return cfg, nil
}

// Main is the `faultline node raft` program: it parses args and serves
// until ctx is cancelled.
func Main(ctx context.Context, args []string) error {
	cfg, err := ParseArgs(args)
	if err != nil {
		return err
	}
	return Run(ctx, cfg)
}
