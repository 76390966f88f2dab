package raft

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/internal/nodecluster"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/raft/node"
)

// clientPort is where every node serves clients and peers.
const clientPort = 7000

func init() {
	bugs := node.Bugs()
	targets.Register(targets.Info{
		Name:    "raft",
		Summary: "bundled key-value store on etcd's Raft library (go.etcd.io/raft/v3), linearizable reads via ReadIndex",
		Options: []targets.OptionSpec{
			{Name: "bug", Default: "none", Help: "seeded bug to turn on: " + bugNames(bugs)},
			{Name: "tick", Default: node.DefaultTick.String(), Help: "Raft tick; elections take 10 ticks, heartbeats 1"},
		},
		Bugs: bugs,
	}, New)
}

func bugNames(bugs []targets.BugSpec) string {
	var n []string
	for _, b := range bugs {
		n = append(n, b.Name)
	}
	return strings.Join(n, ", ")
}

// Target is a running Raft cluster. The embedded cluster gives it every
// fault capability and its key-value clients (targets/internal/nodecluster).
type Target struct {
	nodecluster.Cluster
	bug  string
	tick time.Duration
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
	_ targets.TxnClientFactory  = (*Target)(nil)
	_ targets.Describer         = (*Target)(nil)
)

// New validates the options; it does not touch Docker.
func New(s targets.Setup, opts targets.Options) (targets.Target, error) {
	t := &Target{Cluster: nodecluster.New("raft", s), bug: opts["bug"], tick: node.DefaultTick}
	if t.bug == "none" {
		t.bug = ""
	}
	if t.bug != "" {
		if _, ok := node.LookupBug(t.bug); !ok {
			return nil, fmt.Errorf("target raft: unknown bug %q (have: %s)", t.bug, bugNames(targetsBugs()))
		}
	}
	if v, ok := opts["tick"]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 5*time.Millisecond || d > 10*time.Second {
			return nil, fmt.Errorf("target raft: option tick=%q: want a duration from 5ms to 10s", v)
		}
		t.tick = d
	}
	if s.Nodes < 1 {
		return nil, fmt.Errorf("target raft: need at least one node")
	}
	return t, nil
}

func targetsBugs() []targets.BugSpec {
	i, _ := targets.Lookup("raft")
	return i.Bugs
}

// Name implements targets.Target.
func (t *Target) Name() string { return "raft" }

// Start builds the node image if needed, starts the containers and waits
// until every node agrees on a leader.
func (t *Target) Start(ctx context.Context) error {
	err := t.Launch(ctx, clientPort, func(name string, i int, peers string) []string {
		c := []string{"node", "raft", "--id", strconv.Itoa(i + 1), "--name", name,
			"--peers", peers, "--listen", ":" + strconv.Itoa(clientPort),
			"--data", "/data", "--tick", t.tick.String()}
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

// WaitHealthy polls every node's status until all name the same leader,
// the leader agrees it leads, and every node has applied what the leader
// had committed when the poll began.
func (t *Target) WaitHealthy(ctx context.Context) error {
	nodes := t.Nodes()
	clients := make([]*kvhttp.Client, len(nodes))
	for i, n := range nodes {
		clients[i] = kvhttp.NewClient(n.Addr)
		defer clients[i].Close()
	}
	var last error
	for {
		last = t.healthy(ctx, nodes, clients)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not healthy: %w", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (t *Target) healthy(ctx context.Context, nodes []targets.Node, clients []*kvhttp.Client) error {
	var leader uint64
	var commit uint64
	sts := make([]kvhttp.Status, len(clients))
	for i, c := range clients {
		sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		st, err := c.Status(sctx)
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", nodes[i].Name, err)
		}
		if st.Leader == 0 {
			return fmt.Errorf("%s knows no leader", nodes[i].Name)
		}
		if leader != 0 && st.Leader != leader {
			return fmt.Errorf("%s follows %d, others %d", nodes[i].Name, st.Leader, leader)
		}
		leader = st.Leader
		sts[i] = st
	}
	for _, st := range sts {
		if st.ID == leader {
			commit = st.Commit
		}
	}
	for i, st := range sts {
		if st.Applied < commit {
			return fmt.Errorf("%s applied %d of %d", nodes[i].Name, st.Applied, commit)
		}
	}
	return nil
}

// NewTxnClient implements targets.TxnClientFactory: transactions go
// through the Raft log (POST /kv/txn).
func (t *Target) NewTxnClient(n targets.Node) (targets.TxnClient, error) {
	return kvhttp.NewClient(n.Addr), nil
}

// Describe implements targets.Describer.
func (t *Target) Describe() map[string]string {
	d := map[string]string{"raft": "go.etcd.io/raft/v3", "tick": t.tick.String()}
	if t.bug != "" {
		d["bug"] = t.bug
	}
	return t.Cluster.Describe(d)
}
