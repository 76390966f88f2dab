package paxos

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/internal/nodecluster"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/paxos/node"
)

// port is where every node serves clients, peers and its clock.
const port = 7000

// HealthKey is the key WaitHealthy reads through every node. Workloads
// never use it.
const HealthKey = "faultline-health"

func init() {
	targets.Register(targets.Info{
		Name:    "paxos",
		Summary: "bundled key-value store on CASPaxos written here: single-decree Paxos per key, every read and write a quorum round",
		Options: []targets.OptionSpec{
			{Name: "bug", Default: "none", Help: "seeded bug to turn on: " + strings.Join(bugNames(), ", ")},
			{Name: "op-timeout", Default: node.DefaultOpTimeout.String(), Help: "how long a node tries to complete one client operation before a definite failure"},
		},
		Bugs: node.Bugs(),
	}, New)
}

func bugNames() []string {
	var n []string
	for _, b := range node.Bugs() {
		n = append(n, b.Name)
	}
	return n
}

// Target is a running Paxos cluster. The embedded cluster gives it every
// fault capability and its key-value clients (targets/internal/nodecluster);
// CASPaxos has no leader, so it is no targets.LeaderFinder.
type Target struct {
	nodecluster.Cluster
	bug       string
	opTimeout time.Duration
}

var (
	_ targets.Target            = (*Target)(nil)
	_ targets.Killer            = (*Target)(nil)
	_ targets.Pauser            = (*Target)(nil)
	_ targets.Partitioner       = (*Target)(nil)
	_ targets.OptionPartitioner = (*Target)(nil)
	_ targets.PacketShaper      = (*Target)(nil)
	_ targets.ClockController   = (*Target)(nil)
	_ targets.LogCollector      = (*Target)(nil)
	_ targets.KVClientFactory   = (*Target)(nil)
	_ targets.Describer         = (*Target)(nil)
	// harness.HealthWaiter, without importing the harness
	_ interface{ WaitHealthy(context.Context) error } = (*Target)(nil)
)

// New validates the options; it does not touch Docker.
func New(s targets.Setup, opts targets.Options) (targets.Target, error) {
	t := &Target{Cluster: nodecluster.New("paxos", s), bug: opts["bug"], opTimeout: node.DefaultOpTimeout}
	if t.bug == "none" {
		t.bug = ""
	}
	if t.bug != "" {
		if _, ok := node.LookupBug(t.bug); !ok {
			return nil, fmt.Errorf("target paxos: unknown bug %q (have: %s)", t.bug, strings.Join(bugNames(), ", "))
		}
	}
	if v, ok := opts["op-timeout"]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond || d > time.Minute {
			return nil, fmt.Errorf("target paxos: option op-timeout=%q: want a duration from 10ms to 1m", v)
		}
		t.opTimeout = d
	}
	if s.Nodes < 1 {
		return nil, errors.New("target paxos: need at least one node")
	}
	return t, nil
}

// Name implements targets.Target.
func (t *Target) Name() string { return "paxos" }

// Start builds the node image if needed, starts the containers and waits
// until a read succeeds through every node.
func (t *Target) Start(ctx context.Context) error {
	err := t.Launch(ctx, port, func(name string, i int, peers string) []string {
		c := []string{"node", "paxos", "--id", strconv.Itoa(i + 1), "--name", name,
			"--peers", peers, "--listen", ":" + strconv.Itoa(port),
			"--data", "/data", "--op-timeout", t.opTimeout.String()}
		if t.bug != "" {
			c = append(c, "--bug", t.bug)
		}
		return c
	})
	if err != nil {
		return err
	}
	hctx, cancel := context.WithTimeout(ctx, targets.HealthTimeout)
	defer cancel()
	return t.WaitHealthy(hctx)
}

// WaitHealthy returns once every node completes a read of HealthKey: each
// node is up and reaches a quorum of acceptors. CASPaxos has no leader to
// elect and no log to catch up on, so that is all recovery means. Nodes
// are probed in parallel, so one slow node does not delay the others.
func (t *Target) WaitHealthy(ctx context.Context) error {
	pending := t.Nodes()
	for {
		errs := make([]error, len(pending))
		var wg sync.WaitGroup
		for i, n := range pending {
			wg.Go(func() { errs[i] = t.probe(ctx, n) })
		}
		wg.Wait()
		var still []targets.Node
		var last error
		for i, n := range pending {
			if errs[i] != nil {
				still = append(still, n)
				last = fmt.Errorf("%s: %w", n.Name, errs[i])
			}
		}
		if len(still) == 0 {
			return nil
		}
		pending = still
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not healthy: %w", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// probe reads HealthKey through n, bounded by a little more than the
// node's own op timeout.
func (t *Target) probe(ctx context.Context, n targets.Node) error {
	c := kvhttp.NewClient(n.Addr)
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, t.opTimeout+time.Second)
	defer cancel()
	_, _, err := c.Read(pctx, HealthKey)
	return err
}

// Describe implements targets.Describer.
func (t *Target) Describe() map[string]string {
	d := map[string]string{"paxos": "CASPaxos (targets/paxos/node)", "op_timeout": t.opTimeout.String()}
	if t.bug != "" {
		d["bug"] = t.bug
	}
	return t.Cluster.Describe(d)
}
