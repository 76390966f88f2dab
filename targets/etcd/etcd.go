package etcd

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/dockerrt"
)

// Ports inside every container.
const (
	ClientPort = 2379
	PeerPort   = 2380
)

// dataDir is where each member keeps its data, inside its container (so
// it survives a kill and restart of the same container).
const dataDir = "/data/etcd"

// Read modes for the reads option.
const (
	ReadsLinearizable = "linearizable"
	ReadsSerializable = "serializable"
)

func init() {
	targets.Register(targets.Info{
		Name:    "etcd",
		Summary: "etcd " + Version + " (go.etcd.io/etcd/server/v3), built locally into a FROM scratch image; register ops and optimistic multi-key transactions through the v3 JSON API",
		Options: []targets.OptionSpec{
			{Name: "reads", Default: ReadsLinearizable, Help: "linearizable, or serializable (answered from a member's local state: behind the leader, and stale for as long as a partition lasts)"},
			{Name: "image", Default: DefaultImage(), Help: "an etcd image already on this Docker host (e.g. quay.io/coreos/etcd:" + Version + ") with etcd at " + BinaryInImage + "; skips the build, never pulls"},
			{Name: "binary", Default: "", Help: "a static linux etcd binary to put into an image instead of building " + Version},
		},
	}, New)
}

// Target is a running etcd cluster.
type Target struct {
	setup        targets.Setup
	serializable bool
	imageOpt     string // named image, "" = build
	binaryOpt    string // user's etcd binary, "" = build

	rt      *dockerrt.Runtime
	image   string
	cluster *dockerrt.Cluster
	nodes   []targets.Node

	mu      sync.Mutex
	ids     map[uint64]string // member id -> node name, learnt from statuses
	version string            // the server's version, from its status
}

var (
	_ targets.Target          = (*Target)(nil)
	_ targets.Killer          = (*Target)(nil)
	_ targets.Pauser          = (*Target)(nil)
	_ targets.Partitioner     = (*Target)(nil)
	_ targets.LogCollector    = (*Target)(nil)
	_ targets.KVClientFactory = (*Target)(nil)
	_ targets.Describer       = (*Target)(nil)
	_ targets.LeaderFinder    = (*Target)(nil)
)

// New validates the options; it does not touch Docker.
func New(s targets.Setup, opts targets.Options) (targets.Target, error) {
	t := &Target{setup: s, ids: map[uint64]string{}}
	switch r := opts["reads"]; r {
	case "", ReadsLinearizable:
	case ReadsSerializable:
		t.serializable = true
	default:
		return nil, fmt.Errorf("target etcd: option reads=%q: want %s or %s", r, ReadsLinearizable, ReadsSerializable)
	}
	if img := opts["image"]; img != "" && img != DefaultImage() {
		if strings.ContainsAny(img, " \t\n") {
			return nil, fmt.Errorf("target etcd: option image=%q: not an image reference", img)
		}
		t.imageOpt = img
	}
	t.binaryOpt = opts["binary"]
	if t.imageOpt != "" && t.binaryOpt != "" {
		return nil, errors.New("target etcd: options image and binary exclude each other")
	}
	if s.Nodes < 1 {
		return nil, errors.New("target etcd: need at least one node")
	}
	return t, nil
}

// Name implements targets.Target.
func (t *Target) Name() string { return "etcd" }

func (t *Target) logf(format string, a ...any) {
	if t.setup.NodeLogs != nil {
		fmt.Fprintf(t.setup.NodeLogs, format+"\n", a...)
	}
}

// Start provides the image (named, from a given binary, or built), starts
// one member per node and waits until every member is healthy.
func (t *Target) Start(ctx context.Context) error {
	rt, err := dockerrt.Connect(ctx)
	if err != nil {
		return err
	}
	t.rt = rt
	if rep, err := rt.CleanOrphans(ctx); err == nil && rep.Total() > 0 {
		t.logf("removed %s left by a controller that is gone", rep)
	}
	switch {
	case t.imageOpt != "":
		t.image, err = namedImage(ctx, rt, t.imageOpt)
	case t.binaryOpt != "":
		t.image, err = binaryImage(ctx, rt, t.binaryOpt)
	default:
		t.image, err = PrepareImage(ctx, rt, t.logf)
	}
	if err != nil {
		return err
	}
	// Partitions run the faultline binary in sidecars; the etcd image has
	// no faultline in it, so the sidecars get a node image of their own.
	bin, err := dockerrt.NodeBinary()
	if err != nil {
		return fmt.Errorf("target etcd: partitions need the faultline binary in a sidecar image: %w", err)
	}
	sidecar, err := rt.EnsureImage(ctx, bin)
	if err != nil {
		return err
	}
	names := make([]string, t.setup.Nodes)
	for i := range names {
		names[i] = "n" + strconv.Itoa(i+1)
	}
	t.cluster, err = rt.CreateCluster(ctx, dockerrt.ClusterSpec{
		RunID: t.setup.RunID, Image: t.image, Nodes: names, Port: ClientPort,
		Entrypoint:   []string{BinaryInImage},
		Cmd:          func(n string, _ int) []string { return memberFlags(n, names, "faultline-"+t.setup.RunID) },
		SidecarImage: sidecar,
		Logf:         t.logf,
	})
	if err != nil {
		return err
	}
	for _, n := range names {
		t.nodes = append(t.nodes, targets.Node{Name: n, IP: t.cluster.IP(n), Addr: t.cluster.Addr(n)})
	}
	hctx, cancel := context.WithTimeout(ctx, targets.HealthTimeout)
	defer cancel()
	return t.WaitHealthy(hctx)
}

// memberFlags is one member's command line. Members find each other by
// node name, which Docker's DNS resolves on the run network; clients
// advertise the name too. The initial cluster is ignored when a killed
// member restarts with its data.
func memberFlags(name string, names []string, token string) []string {
	peers := make([]string, len(names))
	for i, n := range names {
		peers[i] = fmt.Sprintf("%s=http://%s:%d", n, n, PeerPort)
	}
	return []string{
		"--name", name,
		"--data-dir", dataDir,
		"--listen-client-urls", fmt.Sprintf("http://0.0.0.0:%d", ClientPort),
		"--advertise-client-urls", fmt.Sprintf("http://%s:%d", name, ClientPort),
		"--listen-peer-urls", fmt.Sprintf("http://0.0.0.0:%d", PeerPort),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://%s:%d", name, PeerPort),
		"--initial-cluster", strings.Join(peers, ","),
		"--initial-cluster-state", "new",
		"--initial-cluster-token", token,
	}
}

// status asks every member for its status at once; a member that does
// not answer within a short time has a nil entry and an error.
func (t *Target) statuses(ctx context.Context) ([]*Status, []error) {
	sts := make([]*Status, len(t.nodes))
	errs := make([]error, len(t.nodes))
	var wg sync.WaitGroup
	for i, n := range t.nodes {
		wg.Go(func() {
			c := NewClient(n.Addr, false)
			defer c.Close()
			sctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			st, err := c.Status(sctx)
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", n.Name, err)
				return
			}
			sts[i] = &st
		})
	}
	wg.Wait()
	t.mu.Lock()
	for i, st := range sts {
		if st != nil {
			t.ids[st.Header.MemberID] = t.nodes[i].Name
			if st.Version != "" {
				t.version = st.Version
			}
		}
	}
	t.mu.Unlock()
	return sts, errs
}

// WaitHealthy polls every member's status until all answer without
// errors (alarms), all are in one cluster and follow the same leader,
// which is one of them, and every member has applied what the leader had
// committed when the poll began.
func (t *Target) WaitHealthy(ctx context.Context) error {
	if t.cluster == nil {
		return errors.New("target etcd: not started")
	}
	for {
		last := t.healthy(ctx)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("etcd cluster not healthy: %w", last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (t *Target) healthy(ctx context.Context) error {
	sts, errs := t.statuses(ctx)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var leader, commit uint64
	for i, st := range sts {
		n := t.nodes[i].Name
		switch {
		case len(st.Errors) > 0:
			return fmt.Errorf("%s reports %s", n, strings.Join(st.Errors, "; "))
		case st.Header.ClusterID != sts[0].Header.ClusterID:
			return fmt.Errorf("%s is in cluster %x, %s in %x", n, st.Header.ClusterID, t.nodes[0].Name, sts[0].Header.ClusterID)
		case st.Leader == 0:
			return fmt.Errorf("%s knows no leader", n)
		case leader != 0 && st.Leader != leader:
			return fmt.Errorf("%s follows %x, others %x", n, st.Leader, leader)
		}
		leader = st.Leader
	}
	found := false
	for _, st := range sts {
		if st.Header.MemberID == leader {
			commit, found = st.RaftIndex, true
		}
	}
	if !found {
		return fmt.Errorf("leader %x is none of the members", leader)
	}
	for i, st := range sts {
		if st.RaftAppliedIndex < commit {
			return fmt.Errorf("%s applied %d of %d", t.nodes[i].Name, st.RaftAppliedIndex, commit)
		}
	}
	return nil
}

// Leader returns the node that leads, as far as the members that answer
// know: among those naming a leader, the ones with the highest Raft term
// decide (a deposed leader cut off by a partition may still believe it
// leads, in an older term). It fails with targets.ErrNoLeader when no
// answering member knows a leader, e.g. during an election.
func (t *Target) Leader(ctx context.Context) (string, error) {
	if t.cluster == nil {
		return "", errors.New("target etcd: not started")
	}
	sts, errs := t.statuses(ctx)
	var term, leader uint64
	for _, st := range sts {
		if st != nil && st.Leader != 0 && st.RaftTerm >= term {
			term, leader = st.RaftTerm, st.Leader
		}
	}
	if leader == 0 {
		if err := errors.Join(errs...); err != nil {
			return "", fmt.Errorf("target etcd: %w among the members that answer (%v)", targets.ErrNoLeader, err)
		}
		return "", fmt.Errorf("target etcd: %w: no member knows one", targets.ErrNoLeader)
	}
	t.mu.Lock()
	name, ok := t.ids[leader]
	t.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("target etcd: leader %x is not a member faultline started", leader)
	}
	return name, nil
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

// cl returns the cluster, or an error before Start.
func (t *Target) cl() (*dockerrt.Cluster, error) {
	if t.cluster == nil {
		return nil, errors.New("target etcd: not started")
	}
	return t.cluster, nil
}

// Kill implements targets.Killer.
func (t *Target) Kill(ctx context.Context, n string) error {
	c, err := t.cl()
	if err != nil {
		return err
	}
	return c.Kill(ctx, n)
}

// Restart implements targets.Killer.
func (t *Target) Restart(ctx context.Context, n string) error {
	c, err := t.cl()
	if err != nil {
		return err
	}
	return c.Restart(ctx, n)
}

// Pause implements targets.Pauser.
func (t *Target) Pause(ctx context.Context, n string) error {
	c, err := t.cl()
	if err != nil {
		return err
	}
	return c.Pause(ctx, n)
}

// Resume implements targets.Pauser.
func (t *Target) Resume(ctx context.Context, n string) error {
	c, err := t.cl()
	if err != nil {
		return err
	}
	return c.Resume(ctx, n)
}

// Partition implements targets.Partitioner.
func (t *Target) Partition(ctx context.Context, g targets.Grudge) error {
	c, err := t.cl()
	if err != nil {
		return err
	}
	return c.Partition(ctx, g)
}

// Heal implements targets.Partitioner.
func (t *Target) Heal(ctx context.Context) error {
	c, err := t.cl()
	if err != nil {
		return err
	}
	return c.Heal(ctx)
}

// CollectLogs implements targets.LogCollector: each member's zap log.
func (t *Target) CollectLogs(ctx context.Context, dir string) error {
	if t.cluster == nil {
		return nil
	}
	return t.cluster.CollectLogs(ctx, dir)
}

// NewKVClient implements targets.KVClientFactory.
func (t *Target) NewKVClient(n targets.Node) (targets.KVClient, error) {
	return NewClient(n.Addr, t.serializable), nil
}

// Describe implements targets.Describer.
func (t *Target) Describe() map[string]string {
	reads := ReadsLinearizable
	if t.serializable {
		reads = ReadsSerializable
	}
	d := map[string]string{"image": t.image, "reads": reads}
	t.mu.Lock()
	if t.version != "" {
		d["etcd_version"] = t.version
	}
	t.mu.Unlock()
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
