package paxos

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/dockerrt"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/nodeclock"
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
		Bugs: bugSpecs(),
	}, New)
}

func bugSpecs() []targets.BugSpec {
	var out []targets.BugSpec
	for _, b := range node.Bugs() {
		out = append(out, targets.BugSpec{Name: b.Name, Help: b.Help, Nemesis: b.Nemesis, NemesisOpts: maps.Clone(b.NemesisOpts)})
	}
	return out
}

func bugNames() []string {
	var n []string
	for _, b := range node.Bugs() {
		n = append(n, b.Name)
	}
	return n
}

// Target is a running Paxos cluster.
type Target struct {
	setup     targets.Setup
	bug       string
	opTimeout time.Duration
	rt        *dockerrt.Runtime
	image     string
	cluster   *dockerrt.Cluster
	nodes     []targets.Node
	clocks    nodeclock.Remote // the node clocks and their mirrors (faults.go)
}

var (
	_ targets.Target          = (*Target)(nil)
	_ targets.Killer          = (*Target)(nil)
	_ targets.Pauser          = (*Target)(nil)
	_ targets.Partitioner     = (*Target)(nil)
	_ targets.LogCollector    = (*Target)(nil)
	_ targets.KVClientFactory = (*Target)(nil)
	_ targets.Describer       = (*Target)(nil)
	// harness.HealthWaiter, without importing the harness
	_ interface{ WaitHealthy(context.Context) error } = (*Target)(nil)
)

// New validates the options; it does not touch Docker.
func New(s targets.Setup, opts targets.Options) (targets.Target, error) {
	t := &Target{setup: s, bug: opts["bug"], opTimeout: node.DefaultOpTimeout}
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
	peers := make([]string, t.setup.Nodes)
	for i := range names {
		names[i] = "n" + strconv.Itoa(i+1)
		peers[i] = fmt.Sprintf("%d=%s:%d", i+1, names[i], port)
	}
	cmd := func(name string, i int) []string {
		c := []string{"node", "paxos", "--id", strconv.Itoa(i + 1), "--name", name,
			"--peers", strings.Join(peers, ","), "--listen", ":" + strconv.Itoa(port),
			"--data", "/data", "--op-timeout", t.opTimeout.String()}
		if t.bug != "" {
			c = append(c, "--bug", t.bug)
		}
		return c
	}
	t.cluster, err = rt.CreateCluster(ctx, dockerrt.ClusterSpec{
		RunID: t.setup.RunID, Image: t.image, Nodes: names, Port: port, Cmd: cmd, Logf: t.logf,
	})
	if err != nil {
		return err
	}
	for _, n := range names {
		ip := t.cluster.IP(n)
		t.nodes = append(t.nodes, targets.Node{Name: n, IP: ip, Addr: fmt.Sprintf("%s:%d", ip, port)})
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

// WaitHealthy returns once every node completes a read of HealthKey: each
// node is up and reaches a quorum of acceptors. CASPaxos has no leader to
// elect and no log to catch up on, so that is all recovery means. Nodes
// are probed in parallel, so one slow node does not delay the others.
func (t *Target) WaitHealthy(ctx context.Context) error {
	pending := append([]targets.Node(nil), t.nodes...)
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
		return errors.New("target paxos: not started")
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

// Restart implements targets.Killer. The fresh process's clock starts at
// real time; a skew imposed before the crash is imposed again.
func (t *Target) Restart(ctx context.Context, n string) error {
	if err := t.need(); err != nil {
		return err
	}
	if err := t.cluster.Restart(ctx, n); err != nil {
		return err
	}
	return t.reimposeClock(ctx, n, true)
}

// Pause implements targets.Pauser.
func (t *Target) Pause(ctx context.Context, n string) error {
	if err := t.need(); err != nil {
		return err
	}
	return t.cluster.Pause(ctx, n)
}

// Resume implements targets.Pauser. A frozen node may have missed a clock
// command; it gets its mirror's state.
func (t *Target) Resume(ctx context.Context, n string) error {
	if err := t.need(); err != nil {
		return err
	}
	if err := t.cluster.Resume(ctx, n); err != nil {
		return err
	}
	return t.reimposeClock(ctx, n, false)
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

// Describe implements targets.Describer.
func (t *Target) Describe() map[string]string {
	d := map[string]string{"image": t.image, "paxos": "CASPaxos (targets/paxos/node)", "op_timeout": t.opTimeout.String()}
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
