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

// Seeded bugs. This is the one place that names them: add a constant and an
// entry in bugs, then check cfg.Bug where the bug bites.
const (
	// BugAmnesia keeps acceptor state (promises, accepted values) and the
	// ballot counter in memory only: a restarted node has forgotten
	// everything it promised and accepted.
	BugAmnesia = "amnesia"
	// BugAcceptLowerBallot makes an acceptor take any accept, without
	// comparing its ballot to the promise it made.
	BugAcceptLowerBallot = "accept-lower-ballot"
	// BugAdoptFirst makes the proposer continue from the value of the first
	// promise to arrive instead of the one with the highest accepted ballot.
	BugAdoptFirst = "adopt-first"
	// BugLocalRead answers reads from the local acceptor's accepted value,
	// without a Paxos round.
	BugLocalRead = "local-read"
	// BugMinorityQuorum counts n/2 answers as a quorum (an off-by-one in
	// the majority), so two disjoint groups can both decide.
	BugMinorityQuorum = "minority-quorum"
)

// Bug documents one seeded bug: its name, what it breaks, the faults
// that expose it and the nemesis options that aim them.
type Bug = targets.BugSpec

var bugs = nodeconf.Bugs{
	{
		Name:    BugAmnesia,
		Help:    "acceptor state (promises, accepted values, the ballot counter) lives in memory only, so a node restarted after a crash has forgotten what it promised and accepted; once the nodes that hold a key's value have all been restarted, a quorum of amnesiacs reads it as never written",
		Nemesis: []string{"kill"},
	},
	{
		Name:    BugAcceptLowerBallot,
		Help:    "an acceptor handles accept without comparing the ballot to its promise, so a proposer delayed between its two phases (paused, or slowed by contention) overwrites a newer value with one computed from an older state",
		Nemesis: []string{"pause"},
	},
	{
		Name:    BugAdoptFirst,
		Help:    "the proposer continues from the value in the first promise to arrive (usually its own acceptor's) instead of the one with the highest accepted ballot, so a node that missed writes while cut off or frozen writes its stale value back",
		Nemesis: []string{"partition", "pause"},
	},
	{
		Name:    BugLocalRead,
		Help:    "reads return the local acceptor's last accepted value without a Paxos round: a node cut off from the majority serves stale values, and any node may return a value that was accepted but never chosen",
		Nemesis: []string{"partition"},
	},
	{
		Name:    BugMinorityQuorum,
		Help:    "an off-by-one makes n/2 answers a quorum instead of n/2+1, so both sides of a partition (or two disjoint sets of fast acceptors) decide without hearing of each other",
		Nemesis: []string{"partition"},
	},
}

// Bugs lists the seeded bugs the node accepts with --bug.
func Bugs() []Bug { return slices.Clone([]Bug(bugs)) }

// LookupBug returns the seeded bug called name.
func LookupBug(name string) (Bug, bool) { return bugs.Lookup(name) }

// Defaults.
const (
	DefaultListen = ":7000"
	// DefaultOpTimeout bounds one client operation on the node. It is
	// shorter than the harness's default client deadline (2 s), so a round
	// that cannot reach a quorum is answered with a definite failure
	// rather than cut off by the client.
	DefaultOpTimeout = time.Second
	// DefaultPeerTimeout bounds one message to a peer (dial, send, answer).
	DefaultPeerTimeout = 500 * time.Millisecond
	// DefaultBackoff is the base of the randomized backoff after a lost
	// round; it doubles per attempt up to 32 times the base.
	DefaultBackoff = 5 * time.Millisecond
	// DefaultCompactBytes is the journal size that triggers a rewrite.
	DefaultCompactBytes = 8 << 20
)

// Config configures one node.
type Config struct {
	ID    uint64
	Name  string            // for logs and /status; default "n<ID>"
	Peers map[uint64]string // node id -> host:port of each member's HTTP port, self included
	// Listen is the address of the one HTTP server (client API and peer
	// messages).
	Listen  string
	DataDir string
	Bug     string // a seeded bug (see Bugs), "" for none

	OpTimeout    time.Duration // default DefaultOpTimeout
	PeerTimeout  time.Duration // default DefaultPeerTimeout
	Backoff      time.Duration // default DefaultBackoff
	CompactBytes int64         // default DefaultCompactBytes

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
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"op timeout", &c.OpTimeout, DefaultOpTimeout},
		{"peer timeout", &c.PeerTimeout, DefaultPeerTimeout},
		{"backoff", &c.Backoff, DefaultBackoff},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < 0 {
			return c, fmt.Errorf("%s must be positive, not %v", d.name, *d.v)
		}
	}
	if c.CompactBytes == 0 {
		c.CompactBytes = DefaultCompactBytes
	}
	if c.CompactBytes < 0 {
		return c, fmt.Errorf("compact bytes must be positive, not %d", c.CompactBytes)
	}
	if c.Logger == nil {
		c.Logger = log.New(os.Stderr, c.Name+" ", log.LstdFlags|log.Lmicroseconds|log.LUTC)
	}
	return c, nil
}

// quorum is how many acceptors must agree: a strict majority.
func (c Config) quorum() int {
	if c.Bug == BugMinorityQuorum {
		// SEEDED BUG: an off-by-one; n/2 is not a majority.
		return max(1, len(c.Peers)/2)
	}
	return len(c.Peers)/2 + 1
}

// ParsePeers parses "1=n1:7000,2=n2:7000,3=n3:7000".
func ParsePeers(s string) (map[uint64]string, error) { return nodeconf.ParsePeers(s) }

// ParseArgs turns `faultline node paxos` arguments into a Config.
func ParseArgs(args []string) (Config, error) {
	fs := flag.NewFlagSet("faultline node paxos", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		id          = fs.Uint64("id", 0, "id of this node (positive, required)")
		name        = fs.String("name", "", `node name for logs and /status (default "n<id>")`)
		peers       = fs.String("peers", "", "every member as ID=HOST:PORT,… including this node (required)")
		listen      = fs.String("listen", DefaultListen, "HTTP listen address (client API and peer messages)")
		data        = fs.String("data", "", "data directory (required)")
		bug         = fs.String("bug", "", "seeded bug to enable")
		opTimeout   = fs.Duration("op-timeout", DefaultOpTimeout, "deadline of one client operation on this node")
		peerTimeout = fs.Duration("peer-timeout", DefaultPeerTimeout, "deadline of one message to a peer")
		backoff     = fs.Duration("backoff", DefaultBackoff, "base of the randomized backoff after a lost round")
		compact     = fs.Int64("compact-bytes", DefaultCompactBytes, "journal size that triggers a rewrite")
	)
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("node paxos: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("node paxos: unexpected argument %q", fs.Arg(0))
	}
	if *id == 0 {
		return Config{}, errors.New("node paxos: --id is required and must be positive")
	}
	if *peers == "" {
		return Config{}, errors.New("node paxos: --peers is required")
	}
	p, err := ParsePeers(*peers)
	if err != nil {
		return Config{}, fmt.Errorf("node paxos: --peers: %w", err)
	}
	if *data == "" {
		return Config{}, errors.New("node paxos: --data is required")
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--op-timeout", *opTimeout}, {"--peer-timeout", *peerTimeout}, {"--backoff", *backoff}} {
		if d.v <= 0 {
			return Config{}, fmt.Errorf("node paxos: %s must be positive, not %v", d.flag, d.v)
		}
	}
	if *compact <= 0 {
		return Config{}, fmt.Errorf("node paxos: --compact-bytes must be positive, not %d", *compact)
	}
	if err := bugs.Check(*bug); err != nil {
		return Config{}, fmt.Errorf("node paxos: --bug: %w", err)
	}
	cfg := Config{
		ID: *id, Name: *name, Peers: p, Listen: *listen, DataDir: *data, Bug: *bug,
		OpTimeout: *opTimeout, PeerTimeout: *peerTimeout, Backoff: *backoff, CompactBytes: *compact,
	}
	cfg, err = cfg.withDefaults()
	if err != nil {
		return Config{}, fmt.Errorf("node paxos: %w", err)
	}
	return cfg, nil
}

// Main is the `faultline node paxos` program: it parses args and serves
// until ctx is cancelled.
func Main(ctx context.Context, args []string) error {
	cfg, err := ParseArgs(args)
	if err != nil {
		return err
	}
	return Run(ctx, cfg)
}
