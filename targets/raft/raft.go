package raft

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/dockerrt"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/nodeclock"
	"github.com/faultline-io/faultline/targets/raft/node"
)

// clientPort is where every node serves clients and peers.
const clientPort = 7000

func init() {
	var bugs []targets.BugSpec
	for _, b := range node.Bugs() {
		bugs = append(bugs, targets.BugSpec{Name: b.Name, Help: b.Help, Nemesis: b.Nemesis, NemesisOpts: maps.Clone(b.NemesisOpts)})
	}
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

// Target is a running Raft cluster.
type Target struct {
	setup   targets.Setup
	bug     string
	tick    time.Duration
	rt      *dockerrt.Runtime
	image   string
	cluster *dockerrt.Cluster
	nodes   []targets.Node
	clocks  nodeclock.Remote // the node clocks and their mirrors (faults.go)
}

var (
	_ targets.Target          = (*Target)(nil)
	_ targets.Killer          = (*Target)(nil)
	_ targets.Pauser          = (*Target)(nil)
	_ targets.Partitioner     = (*Target)(nil)
	_ targets.LogCollector    = (*Target)(nil)
	_ targets.KVClientFactory = (*Target)(nil)
	_ targets.Describer       = (*Target)(nil)
)

// New validates the options; it does not touch Docker.
func New(s targets.Setup, opts targets.Options) (targets.Target, error) {
	t := &Target{setup: s, bug: opts["bug"], tick: node.DefaultTick}
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
	rt, err := dockerrt.Connect(ctx)
	if err != nil {
		return err
	}
	t.rt = rt
	if rep, err := rt.CleanOrphans(ctx); err == nil && rep.Total() > 0 {
		t.logf("removed %s left by a controller that is gone", rep)
	}
	bin, err := dockerrt.NodeBinary()
	if err != nil {
		return err
	}
	if t.image, err = rt.EnsureImage(ctx, bin); err != nil {
		return err
	}
	names := make([]string, t.setup.Nodes)
	var peers []string
	for i := range names {
		names[i] = "n" + strconv.Itoa(i+1)
		peers = append(peers, fmt.Sprintf("%d=%s:%d", i+1, names[i], clientPort))
	}
	cmd := func(name string, i int) []string {
		c := []string{"node", "raft", "--id", strconv.Itoa(i + 1), "--name", name,
			"--peers", strings.Join(peers, ","), "--listen", ":" + strconv.Itoa(clientPort),
			"--data", "/data", "--tick", t.tick.String()}
		if t.bug != "" {
			c = append(c, "--bug", t.bug)
		}
		return c
	}
	t.cluster, err = rt.CreateCluster(ctx, dockerrt.ClusterSpec{
		RunID: t.setup.RunID, Image: t.image, Nodes: names, Port: clientPort, Cmd: cmd, Logf: t.logf,
	})
	if err != nil {
		return err
	}
	for _, n := range names {
		ip := t.cluster.IP(n)
		t.nodes = append(t.nodes, targets.Node{Name: n, IP: ip, Addr: fmt.Sprintf("%s:%d", ip, clientPort)})
	}
	hctx, cancel := context.WithTimeout(ctx, targets.HealthTimeout)
	defer cancel()
	return t.WaitHealthy(hctx)
}

func (t *Target) logf(format string, a ...any) {
	if t.setup.NodeLogs != nil {
		fmt.Fprintf(t.setup.NodeLogs, format+"\n", a...)
	}
}

// WaitHealthy polls every node's status until all name the same leader,
// the leader agrees it leads, and every node has applied what the leader
// had committed when the poll began.
func (t *Target) WaitHealthy(ctx context.Context) error {
	clients := make([]*kvhttp.Client, len(t.nodes))
	for i, n := range t.nodes {
		clients[i] = kvhttp.NewClient(n.Addr)
		defer clients[i].Close()
	}
	var last error
	for {
		last = t.healthy(ctx, clients)
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

func (t *Target) healthy(ctx context.Context, clients []*kvhttp.Client) error {
	var leader uint64
	var commit uint64
	sts := make([]kvhttp.Status, len(clients))
	for i, c := range clients {
		sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		st, err := c.Status(sctx)
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", t.nodes[i].Name, err)
		}
		if st.Leader == 0 {
			return fmt.Errorf("%s knows no leader", t.nodes[i].Name)
		}
		if leader != 0 && st.Leader != leader {
			return fmt.Errorf("%s follows %d, others %d", t.nodes[i].Name, st.Leader, leader)
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
			return fmt.Errorf("%s applied %d of %d", t.nodes[i].Name, st.Applied, commit)
		}
	}
	return nil
}

// Nodes implements targets.Target.
func (t *Target) Nodes() []targets.Node { return append([]targets.Node(nil), t.nodes...) }

// Teardown removes the cluster; safe after a failed Start and when called
// twice.
func (t *Target) Teardown(ctx context.Context) error {
	if t.rt == nil {
		return nil
	}
	var err error
	if t.cluster != nil {
		err = t.cluster.Teardown(ctx)
	} else {
		_, err = t.rt.Clean(ctx, dockerrt.CleanOptions{RunID: t.setup.RunID})
	}
	return errors.Join(err, t.rt.Close())
}

func (t *Target) need() error {
	if t.cluster == nil {
		return errors.New("target raft: not started")
	}
	return nil
}

// Kill implements targets.Killer.
func (t *Target) Kill(ctx context.Context, n string) error {
	if err := t.need(); err != nil {
		return err
	}
	return t.cluster.Kill(ctx, n)
}

// Restart implements targets.Killer.
func (t *Target) Restart(ctx context.Context, n string) error {
	if err := t.need(); err != nil {
		return err
	}
	if err := t.cluster.Restart(ctx, n); err != nil {
		return err
	}
	return t.reimposeClock(ctx, n, true) // faults.go
}

// Pause implements targets.Pauser.
func (t *Target) Pause(ctx context.Context, n string) error {
	if err := t.need(); err != nil {
		return err
	}
	return t.cluster.Pause(ctx, n)
}

// Resume implements targets.Pauser.
func (t *Target) Resume(ctx context.Context, n string) error {
	if err := t.need(); err != nil {
		return err
	}
	if err := t.cluster.Resume(ctx, n); err != nil {
		return err
	}
	return t.reimposeClock(ctx, n, false) // faults.go
}

// Partition implements targets.Partitioner.
func (t *Target) Partition(ctx context.Context, g targets.Grudge) error {
	if err := t.need(); err != nil {
		return err
	}
	return t.cluster.Partition(ctx, g)
}

// Heal implements targets.Partitioner.
func (t *Target) Heal(ctx context.Context) error {
	if err := t.need(); err != nil {
		return err
	}
	return t.cluster.Heal(ctx)
}

// CollectLogs implements targets.LogCollector.
func (t *Target) CollectLogs(ctx context.Context, dir string) error {
	if t.cluster == nil {
		return nil
	}
	return t.cluster.CollectLogs(ctx, dir)
}

// NewKVClient implements targets.KVClientFactory.
func (t *Target) NewKVClient(n targets.Node) (targets.KVClient, error) {
	return kvhttp.NewClient(n.Addr), nil
}

var _ targets.TxnClientFactory = (*Target)(nil)

// NewTxnClient implements targets.TxnClientFactory: transactions go
// through the Raft log (POST /kv/txn).
func (t *Target) NewTxnClient(n targets.Node) (targets.TxnClient, error) {
	return kvhttp.NewClient(n.Addr), nil
}

// Describe implements targets.Describer.
func (t *Target) Describe() map[string]string {
	d := map[string]string{"image": t.image, "raft": "go.etcd.io/raft/v3", "tick": t.tick.String()}
	if t.bug != "" {
		d["bug"] = t.bug
	}
	if t.rt != nil {
		d["docker_api"] = t.rt.APIVersion()
	}
	var ns []string
	for _, n := range t.nodes {
		ns = append(ns, n.Name+"="+n.IP)
	}
	sort.Strings(ns)
	d["nodes"] = strings.Join(ns, " ")
	return d
}
