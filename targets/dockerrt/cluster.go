package dockerrt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/faultline-io/faultline/targets"
)

// ClusterSpec says what cluster CreateCluster makes.
type ClusterSpec struct {
	RunID string   // unique per run: names and labels carry it
	Image string   // node image, e.g. from EnsureImage
	Nodes []string // node names, e.g. n1..nN: hostnames and network aliases
	Port  int      // the client port inside the containers (for Addr)
	// Cmd gives each node's command (the arguments after the image's
	// entrypoint /faultline), e.g. ["node", "raft", "--id", "1", …].
	// index is the node's 0-based position in Nodes. Nil keeps the
	// image's default.
	Cmd  func(node string, index int) []string
	Env  []string                         // environment of every node
	Logf func(format string, args ...any) // progress lines; may be nil
	// Entrypoint replaces the image's entrypoint when set, e.g.
	// ["/usr/local/bin/etcd"] for an image that has only a CMD.
	Entrypoint []string
	// SidecarImage is the image of the netfault sidecars, which run
	// `/faultline node netfault …`: a node image from EnsureImage. Empty
	// means Image, which suits nodes that run the faultline binary; a
	// target whose image holds another program must set it.
	SidecarImage string
}

// Cluster is one run's network and node containers.
type Cluster struct {
	rt      *Runtime
	spec    ClusterSpec
	netName string
	subnet  netip.Prefix
	nodes   []string
	ips     map[string]netip.Addr
	ids     map[string]string // node -> container id
	nodeMu  map[string]*sync.Mutex

	faultMu sync.Mutex // serializes Partition and Heal
	mu      sync.Mutex // guards grudge and applied
	grudge  map[string][]netip.Addr
	applied map[string]ruleState // what the node's namespace holds, as far as we know
	faults  faultState           // partition options and packet faults (faults.go); guarded by mu
}

// ruleState is the rule set installed in one incarnation of a node's
// network namespace (a restart makes a new one).
type ruleState struct {
	startedAt string // the container's State.StartedAt when installed
	key       string // dropKey of the installed sources; "" = no table
}

var (
	_ targets.Killer       = (*Cluster)(nil)
	_ targets.Pauser       = (*Cluster)(nil)
	_ targets.Partitioner  = (*Cluster)(nil)
	_ targets.LogCollector = (*Cluster)(nil)
)

var (
	runIDRe    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,47}$`)
	nodeNameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)
)

// NetworkName is the name of a run's network.
func NetworkName(runID string) string { return "faultline-" + runID }

// ContainerName is the name of a node's container.
func ContainerName(runID, node string) string { return "faultline-" + runID + "-" + node }

func (s *ClusterSpec) validate() error {
	if !runIDRe.MatchString(s.RunID) {
		return fmt.Errorf("run id %q: use 1-48 letters, digits, '_', '.' or '-', starting with a letter or digit", s.RunID)
	}
	if s.Image == "" {
		return errors.New("cluster spec: no image")
	}
	if len(s.Nodes) == 0 {
		return errors.New("cluster spec: no nodes")
	}
	if len(s.Nodes) > maxNodes {
		return fmt.Errorf("cluster spec: %d nodes, at most %d fit in the run's /24", len(s.Nodes), maxNodes)
	}
	seen := map[string]bool{}
	for _, n := range s.Nodes {
		if !nodeNameRe.MatchString(n) {
			return fmt.Errorf("cluster spec: node name %q: use lowercase letters, digits and '-' (a hostname label)", n)
		}
		if seen[n] {
			return fmt.Errorf("cluster spec: node %q listed twice", n)
		}
		seen[n] = true
	}
	if s.Port < 0 || s.Port > 65535 {
		return fmt.Errorf("cluster spec: bad port %d", s.Port)
	}
	return nil
}

func (c *Cluster) logf(format string, args ...any) {
	if c.spec.Logf != nil {
		c.spec.Logf(format, args...)
	}
}

// CreateCluster creates the run's network and one started container per
// node. On any failure it removes what it created and returns the error.
func (r *Runtime) CreateCluster(ctx context.Context, spec ClusterSpec) (_ *Cluster, err error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	c := &Cluster{
		rt:      r,
		spec:    spec,
		netName: NetworkName(spec.RunID),
		nodes:   append([]string(nil), spec.Nodes...),
		ips:     map[string]netip.Addr{},
		ids:     map[string]string{},
		nodeMu:  map[string]*sync.Mutex{},
		grudge:  map[string][]netip.Addr{},
		applied: map[string]ruleState{},
	}
	for _, n := range c.nodes {
		c.nodeMu[n] = new(sync.Mutex)
	}
	defer func() {
		// Remove what this call created, by the run label; but when the
		// network could not be created (e.g. its name is taken), nothing is
		// ours, and the run label may belong to someone else's run.
		if err != nil && c.subnet.IsValid() {
			if terr := c.Teardown(ctx); terr != nil {
				err = fmt.Errorf("%w (and removing the partial cluster: %v)", err, terr)
			}
		}
	}()
	// Creating objects is never cancelled in flight: a request cancelled
	// half-way may still create its object on the daemon after a cleanup
	// has looked (seen with Ctrl-C during start-up). Cancellation is
	// honoured between steps instead.
	mkCtx, cancelMk := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancelMk()
	if err := c.createNetwork(mkCtx); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, n := range c.nodes {
		c.ips[n] = nodeAddr(c.subnet, i)
	}
	c.logf("network %s: %s", c.netName, c.subnet)

	// Create and start the nodes in parallel.
	var mu sync.Mutex
	err = parallel(c.nodes, func(n string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		id, err := c.createNode(mkCtx, n)
		if err != nil {
			return err
		}
		mu.Lock()
		c.ids[n] = id
		mu.Unlock()
		if err := r.cli.ContainerStart(mkCtx, id, container.StartOptions{}); err != nil {
			return fmt.Errorf("start node %s: %w", n, err)
		}
		return nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	c.logf("started %d nodes: %v", len(c.nodes), c.nodes)
	return c, nil
}

func (c *Cluster) createNetwork(ctx context.Context) error {
	used, err := c.rt.usedSubnets(ctx)
	if err != nil {
		return err
	}
	rnd := rand.New(rand.NewPCG(rand.Uint64(), uint64(time.Now().UnixNano())))
	tried := map[netip.Prefix]bool{}
	labels := c.rt.baseLabels(c.spec.RunID)
	const attempts = 12
	for i := 0; ; i++ {
		p, err := chooseSubnet(rnd, SubnetPool, used, tried)
		if err != nil {
			return err
		}
		tried[p] = true
		_, err = c.rt.cli.NetworkCreate(ctx, c.netName, network.CreateOptions{
			Driver:   "bridge",
			Internal: true,
			Labels:   labels,
			IPAM: &network.IPAM{Config: []network.IPAMConfig{{
				Subnet:  p.String(),
				Gateway: hostAddr(p, 1).String(),
			}}},
		})
		if err == nil {
			c.subnet = p
			return nil
		}
		if !isSubnetClash(err) || i+1 >= attempts {
			return fmt.Errorf("create network %s (%s): %w", c.netName, p, err)
		}
		c.logf("network %s: subnet %s taken (%v), trying another", c.netName, p, err)
	}
}

// usedSubnets lists the IPv4 subnets of every network on the daemon.
func (r *Runtime) usedSubnets(ctx context.Context) ([]netip.Prefix, error) {
	nets, err := r.cli.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	var used []netip.Prefix
	for _, n := range nets {
		for _, cfg := range n.IPAM.Config {
			if p, err := netip.ParsePrefix(cfg.Subnet); err == nil {
				used = append(used, p)
			}
		}
	}
	return used, nil
}

func (c *Cluster) createNode(ctx context.Context, n string) (string, error) {
	idx := c.index(n)
	labels := c.rt.baseLabels(c.spec.RunID)
	labels[LabelRole] = RoleNode
	labels[LabelNode] = n
	var cmd []string
	if c.spec.Cmd != nil {
		cmd = c.spec.Cmd(n, idx)
	}
	init := true
	resp, err := c.rt.cli.ContainerCreate(ctx,
		&container.Config{
			Image:      c.spec.Image,
			Hostname:   n,
			Entrypoint: c.spec.Entrypoint,
			Cmd:        cmd,
			Env:        c.spec.Env,
			Labels:     labels,
		},
		&container.HostConfig{
			NetworkMode: container.NetworkMode(c.netName),
			Init:        &init, // docker-init as PID 1: reaps zombies, forwards signals
			// No CapAdd, never Privileged, never AutoRemove (logs must outlive the process).
		},
		&network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			c.netName: {
				IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: c.ips[n].String()},
				Aliases:    []string{n},
			},
		}},
		nil, ContainerName(c.spec.RunID, n))
	if err != nil {
		return "", fmt.Errorf("create node %s: %w", n, err)
	}
	return resp.ID, nil
}

func (c *Cluster) index(node string) int {
	for i, n := range c.nodes {
		if n == node {
			return i
		}
	}
	return -1
}

// RunID is the run the cluster belongs to.
func (c *Cluster) RunID() string { return c.spec.RunID }

// Nodes lists the node names in the order of the spec.
func (c *Cluster) Nodes() []string { return append([]string(nil), c.nodes...) }

// IP is a node's pinned IPv4 address on the run network ("" for an unknown
// node). It stays the same across Kill and Restart.
func (c *Cluster) IP(node string) string {
	if a, ok := c.ips[node]; ok {
		return a.String()
	}
	return ""
}

// Addr is IP:Port of a node's client port ("" for an unknown node).
func (c *Cluster) Addr(node string) string {
	ip := c.IP(node)
	if ip == "" {
		return ""
	}
	return net.JoinHostPort(ip, strconv.Itoa(c.spec.Port))
}

// Subnet is the run network's /24.
func (c *Cluster) Subnet() netip.Prefix { return c.subnet }

// Network is the name of the run network.
func (c *Cluster) Network() string { return c.netName }

// ContainerID is a node's container id ("" for an unknown node).
func (c *Cluster) ContainerID(node string) string { return c.ids[node] }

func (c *Cluster) lookup(node string) (string, *sync.Mutex, error) {
	id, ok := c.ids[node]
	if !ok {
		return "", nil, fmt.Errorf("no node %q in run %s (have %v)", node, c.spec.RunID, c.nodes)
	}
	return id, c.nodeMu[node], nil
}

// NodeState is what Docker says about a node's container.
type NodeState struct {
	Running   bool // true also while paused
	Paused    bool
	Status    string // created, running, paused, exited, …
	ExitCode  int
	StartedAt string
}

// State inspects a node's container.
func (c *Cluster) State(ctx context.Context, node string) (NodeState, error) {
	id, _, err := c.lookup(node)
	if err != nil {
		return NodeState{}, err
	}
	return c.state(ctx, node, id)
}

func (c *Cluster) state(ctx context.Context, node, id string) (NodeState, error) {
	in, err := c.rt.cli.ContainerInspect(ctx, id)
	if err != nil {
		return NodeState{}, fmt.Errorf("inspect node %s: %w", node, err)
	}
	if in.State == nil {
		return NodeState{}, fmt.Errorf("inspect node %s: no state", node)
	}
	return NodeState{
		Running:   in.State.Running,
		Paused:    in.State.Paused,
		Status:    in.State.Status,
		ExitCode:  in.State.ExitCode,
		StartedAt: in.State.StartedAt,
	}, nil
}

// Kill crashes a node with SIGKILL and returns once its container is not
// running. Killing a node that is not running does nothing.
func (c *Cluster) Kill(ctx context.Context, node string) error {
	id, mu, err := c.lookup(node)
	if err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if err := c.rt.cli.ContainerKill(ctx, id, "SIGKILL"); err != nil {
		st, serr := c.state(ctx, node, id)
		if serr == nil && !st.Running {
			return nil // already dead
		}
		return fmt.Errorf("kill node %s: %w", node, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	waitC, errC := c.rt.cli.ContainerWait(wctx, id, container.WaitConditionNotRunning)
	select {
	case <-waitC:
		return nil
	case err := <-errC:
		return fmt.Errorf("kill node %s: wait for it to stop: %w", node, err)
	}
}

// Restart starts a killed node again (same container, so the same data,
// name and IP) and re-applies its part of the grudge in force: a started
// container has a fresh network namespace without the partition rules.
// Restarting a running node only re-checks its rules.
func (c *Cluster) Restart(ctx context.Context, node string) error {
	id, mu, err := c.lookup(node)
	if err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if err := c.rt.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return fmt.Errorf("restart node %s: %w", node, err)
	}
	if err := c.syncNodeLocked(ctx, node, id); err != nil {
		return fmt.Errorf("restart node %s: re-apply partition: %w", node, err)
	}
	return nil
}

// Pause freezes every process of a node (cgroup freezer). Peers' TCP
// handshakes still complete (the kernel answers them), but nothing is read.
func (c *Cluster) Pause(ctx context.Context, node string) error {
	id, mu, err := c.lookup(node)
	if err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if err := c.rt.cli.ContainerPause(ctx, id); err != nil {
		return fmt.Errorf("pause node %s: %w", node, err)
	}
	return nil
}

// Resume thaws a paused node, then makes sure its partition rules match
// the grudge in force.
func (c *Cluster) Resume(ctx context.Context, node string) error {
	id, mu, err := c.lookup(node)
	if err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if err := c.rt.cli.ContainerUnpause(ctx, id); err != nil {
		return fmt.Errorf("resume node %s: %w", node, err)
	}
	if err := c.syncNodeLocked(ctx, node, id); err != nil {
		return fmt.Errorf("resume node %s: apply partition: %w", node, err)
	}
	return nil
}

// Exec runs cmd in a node's container (no shell: cmd[0] is a path, e.g.
// /faultline) and returns its output and exit code. err is about running
// it at all; a command that ran and failed has err == nil and a non-zero
// exitCode. Exec fails on a paused or stopped node.
func (c *Cluster) Exec(ctx context.Context, node string, cmd []string) (stdout, stderr string, exitCode int, err error) {
	id, _, err := c.lookup(node)
	if err != nil {
		return "", "", -1, err
	}
	ex, err := c.rt.cli.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return "", "", -1, fmt.Errorf("exec on node %s: %w", node, err)
	}
	hr, err := c.rt.cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		return "", "", -1, fmt.Errorf("exec on node %s: attach: %w", node, err)
	}
	stop := context.AfterFunc(ctx, func() { hr.Close() })
	var so, se bytes.Buffer
	_, cerr := stdcopy.StdCopy(&so, &se, hr.Reader)
	stop()
	hr.Close()
	if ctx.Err() != nil {
		return so.String(), se.String(), -1, fmt.Errorf("exec on node %s: %w", node, ctx.Err())
	}
	if cerr != nil {
		return so.String(), se.String(), -1, fmt.Errorf("exec on node %s: read output: %w", node, cerr)
	}
	// The stream ends when the process exits; the exit code may lag a moment.
	for delay := time.Millisecond; ; delay *= 2 {
		in, err := c.rt.cli.ContainerExecInspect(ctx, ex.ID)
		if err != nil {
			return so.String(), se.String(), -1, fmt.Errorf("exec on node %s: inspect: %w", node, err)
		}
		if !in.Running {
			return so.String(), se.String(), in.ExitCode, nil
		}
		if delay > time.Second {
			return so.String(), se.String(), -1, fmt.Errorf("exec on node %s: output ended but the command still runs", node)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return so.String(), se.String(), -1, fmt.Errorf("exec on node %s: %w", node, ctx.Err())
		}
	}
}

// CollectLogs writes <dir>/<node>.log for every node: the container's
// stdout and stderr with Docker's timestamps, across all restarts. It
// works for killed nodes (the containers are kept until Teardown).
func (c *Cluster) CollectLogs(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("collect logs: %w", err)
	}
	var errs []error
	for _, n := range c.nodes {
		if err := c.collectLog(ctx, n, filepath.Join(dir, n+".log")); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Cluster) collectLog(ctx context.Context, node, path string) (err error) {
	rc, err := c.rt.cli.ContainerLogs(ctx, c.ids[node], container.LogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true})
	if err != nil {
		return fmt.Errorf("logs of node %s: %w", node, err)
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("logs of node %s: %w", node, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("logs of node %s: %w", node, cerr)
		}
	}()
	if _, err := stdcopy.StdCopy(f, f, rc); err != nil {
		return fmt.Errorf("logs of node %s: %w", node, err)
	}
	return nil
}

// Teardown force-removes the run's containers (nodes and sidecars, found
// by the run label, so it also cleans up after a partial CreateCluster)
// and its network. It is idempotent, and it keeps going when ctx is
// cancelled (for up to two minutes), so that an interrupted run still
// cleans up.
func (c *Cluster) Teardown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	_, err := c.rt.removeObjects(ctx, runFilter(c.spec.RunID), false)
	if err != nil {
		return fmt.Errorf("teardown of run %s: %w", c.spec.RunID, err)
	}
	return nil
}

// runFilter selects the objects of one run (every run when runID is "").
func runFilter(runID string) filters.Args {
	f := filters.NewArgs(filters.Arg("label", LabelOwner+"="+OwnerValue))
	if runID != "" {
		f.Add("label", LabelRun+"="+runID)
	}
	return f
}

// parallel runs f for each item at once and joins the errors.
func parallel(items []string, f func(string) error) error {
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() { errs[i] = f(it) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func ignoreNotFound(err error) error {
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	return err
}
