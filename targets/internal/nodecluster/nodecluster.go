// Package nodecluster is the Docker side the bundled targets (raft,
// paxos) share: their nodes all run the faultline binary itself as
// `faultline node PROGRAM …`, speak kvhttp on one port and take their
// protocol time from a nodeclock. A target embeds Cluster and gets every
// fault capability from it — kill and restart, pause, partitions (also
// with options), packet faults, clock control (re-imposed on nodes that
// come back), node logs — plus key-value clients; it adds its own start
// arguments, health check and description.
package nodecluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/dockerrt"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/nodeclock"
)

var (
	_ targets.Killer            = (*Cluster)(nil)
	_ targets.Pauser            = (*Cluster)(nil)
	_ targets.Partitioner       = (*Cluster)(nil)
	_ targets.OptionPartitioner = (*Cluster)(nil)
	_ targets.PacketShaper      = (*Cluster)(nil)
	_ targets.ClockController   = (*Cluster)(nil)
	_ targets.LogCollector      = (*Cluster)(nil)
	_ targets.KVClientFactory   = (*Cluster)(nil)
)

// Cluster is one bundled target's running nodes.
type Cluster struct {
	target  string // the target's name, for messages
	setup   targets.Setup
	rt      *dockerrt.Runtime
	image   string
	cluster *dockerrt.Cluster
	nodes   []targets.Node
	clocks  nodeclock.Remote // the node clocks and their mirrors
}

// New returns the cluster of target, not started.
func New(target string, s targets.Setup) Cluster {
	return Cluster{target: target, setup: s}
}

// Launch connects to Docker, removes what dead controllers left, builds
// the node image if needed and starts n1…nN, each running the faultline
// binary with the arguments args returns for it (index from 0; peers is
// "1=n1:PORT,2=n2:PORT,…").
func (c *Cluster) Launch(ctx context.Context, port int, args func(name string, index int, peers string) []string) error {
	rt, err := dockerrt.Connect(ctx)
	if err != nil {
		return err
	}
	c.rt = rt
	if rep, err := rt.CleanOrphans(ctx); err == nil && rep.Total() > 0 {
		c.Logf("removed %s left by a controller that is gone", rep)
	}
	bin, err := dockerrt.NodeBinary()
	if err != nil {
		return err
	}
	if c.image, err = rt.EnsureImage(ctx, bin); err != nil {
		return err
	}
	names := make([]string, c.setup.Nodes)
	peers := make([]string, c.setup.Nodes)
	for i := range names {
		names[i] = "n" + strconv.Itoa(i+1)
		peers[i] = fmt.Sprintf("%d=%s:%d", i+1, names[i], port)
	}
	peerList := strings.Join(peers, ",")
	cmd := func(name string, i int) []string { return args(name, i, peerList) }
	c.cluster, err = rt.CreateCluster(ctx, dockerrt.ClusterSpec{
		RunID: c.setup.RunID, Image: c.image, Nodes: names, Port: port, Cmd: cmd, Logf: c.Logf,
	})
	if err != nil {
		return err
	}
	for _, n := range names {
		ip := c.cluster.IP(n)
		c.nodes = append(c.nodes, targets.Node{Name: n, IP: ip, Addr: fmt.Sprintf("%s:%d", ip, port)})
	}
	return nil
}

// Logf writes a progress line to the run's node log.
func (c *Cluster) Logf(format string, a ...any) {
	if c.setup.NodeLogs != nil {
		fmt.Fprintf(c.setup.NodeLogs, format+"\n", a...)
	}
}

// Describe adds what every bundled target reports to d: the image, the
// Docker API version and the nodes' addresses.
func (c *Cluster) Describe(d map[string]string) map[string]string {
	d["image"] = c.image
	if c.rt != nil {
		d["docker_api"] = c.rt.APIVersion()
	}
	var ns []string
	for _, n := range c.nodes {
		ns = append(ns, n.Name+"="+n.IP)
	}
	sort.Strings(ns)
	d["nodes"] = strings.Join(ns, " ")
	return d
}

// Nodes implements targets.Target.
func (c *Cluster) Nodes() []targets.Node { return append([]targets.Node(nil), c.nodes...) }

// Teardown implements targets.Target: it removes the cluster, and is safe
// after a failed Launch and when called twice.
func (c *Cluster) Teardown(ctx context.Context) error {
	if c.rt == nil {
		return nil
	}
	var err error
	if c.cluster != nil {
		err = c.cluster.Teardown(ctx)
	} else {
		_, err = c.rt.Clean(ctx, dockerrt.CleanOptions{RunID: c.setup.RunID})
	}
	return errors.Join(err, c.rt.Close())
}

func (c *Cluster) need() error {
	if c.cluster == nil {
		return fmt.Errorf("target %s: not started", c.target)
	}
	return nil
}

// Kill implements targets.Killer.
func (c *Cluster) Kill(ctx context.Context, n string) error {
	if err := c.need(); err != nil {
		return err
	}
	return c.cluster.Kill(ctx, n)
}

// Restart implements targets.Killer. The fresh process's clock starts at
// real time; a skew imposed before the crash is imposed again.
func (c *Cluster) Restart(ctx context.Context, n string) error {
	if err := c.need(); err != nil {
		return err
	}
	if err := c.cluster.Restart(ctx, n); err != nil {
		return err
	}
	return c.reimposeClock(ctx, n, true)
}

// Pause implements targets.Pauser.
func (c *Cluster) Pause(ctx context.Context, n string) error {
	if err := c.need(); err != nil {
		return err
	}
	return c.cluster.Pause(ctx, n)
}

// Resume implements targets.Pauser. A frozen node may have missed a clock
// command; it gets its mirror's state.
func (c *Cluster) Resume(ctx context.Context, n string) error {
	if err := c.need(); err != nil {
		return err
	}
	if err := c.cluster.Resume(ctx, n); err != nil {
		return err
	}
	return c.reimposeClock(ctx, n, false)
}

// Partition implements targets.Partitioner.
func (c *Cluster) Partition(ctx context.Context, g targets.Grudge) error {
	if err := c.need(); err != nil {
		return err
	}
	return c.cluster.Partition(ctx, g)
}

// PartitionWith implements targets.OptionPartitioner.
func (c *Cluster) PartitionWith(ctx context.Context, g targets.Grudge, o targets.PartitionOptions) error {
	if err := c.need(); err != nil {
		return err
	}
	return c.cluster.PartitionWith(ctx, g, o)
}

// Heal implements targets.Partitioner.
func (c *Cluster) Heal(ctx context.Context) error {
	if err := c.need(); err != nil {
		return err
	}
	return c.cluster.Heal(ctx)
}

// PacketSupport implements targets.PacketShaper (the Docker runtime's).
func (c *Cluster) PacketSupport() targets.PacketSupport {
	if c.cluster == nil {
		return targets.PacketSupport{Available: targets.PacketBehaviours()}
	}
	return c.cluster.PacketSupport()
}

// ProbePacket implements targets.PacketShaper.
func (c *Cluster) ProbePacket(ctx context.Context) (targets.PacketSupport, error) {
	if err := c.need(); err != nil {
		return targets.PacketSupport{}, err
	}
	return c.cluster.ProbePacket(ctx)
}

// Shape implements targets.PacketShaper.
func (c *Cluster) Shape(ctx context.Context, nodes []string, f targets.PacketFaults) error {
	if err := c.need(); err != nil {
		return err
	}
	return c.cluster.Shape(ctx, nodes, f)
}

// Unshape implements targets.PacketShaper.
func (c *Cluster) Unshape(ctx context.Context) error {
	if err := c.need(); err != nil {
		return err
	}
	return c.cluster.Unshape(ctx)
}

// CollectLogs implements targets.LogCollector.
func (c *Cluster) CollectLogs(ctx context.Context, dir string) error {
	if c.cluster == nil {
		return nil
	}
	return c.cluster.CollectLogs(ctx, dir)
}

// NewKVClient implements targets.KVClientFactory.
func (c *Cluster) NewKVClient(n targets.Node) (targets.KVClient, error) {
	return kvhttp.NewClient(n.Addr), nil
}

// Clock implements targets.ClockController through the node's clock
// endpoint (nodeclock.Path). For a node that is down or frozen it returns
// the state the node will get when it comes back (see nodeclock.Remote).
func (c *Cluster) Clock(ctx context.Context, node string, cmd nodeclock.Command) (nodeclock.State, error) {
	url, live, err := c.clockTarget(ctx, node)
	if err != nil {
		return nodeclock.State{}, err
	}
	return c.clocks.Apply(ctx, node, url, live, cmd)
}

// ClockState implements targets.ClockController.
func (c *Cluster) ClockState(ctx context.Context, node string) (nodeclock.State, error) {
	url, live, err := c.clockTarget(ctx, node)
	if err != nil {
		return nodeclock.State{}, err
	}
	return c.clocks.State(ctx, node, url, live)
}

// clockTarget returns node's base URL and whether its process runs and is
// not frozen, so that its clock endpoint can answer.
func (c *Cluster) clockTarget(ctx context.Context, node string) (url string, live bool, err error) {
	if err := c.need(); err != nil {
		return "", false, err
	}
	if url, err = c.nodeURL(node); err != nil {
		return "", false, err
	}
	st, err := c.cluster.State(ctx, node)
	if err != nil {
		return "", false, err
	}
	return url, st.Running && !st.Paused, nil
}

func (c *Cluster) nodeURL(node string) (string, error) {
	for _, n := range c.nodes {
		if n.Name == node {
			return "http://" + n.Addr, nil
		}
	}
	return "", fmt.Errorf("target %s: no node %q", c.target, node)
}

// reimposeClock gives a node that came back (restarted or resumed) the
// clock its mirror holds.
func (c *Cluster) reimposeClock(ctx context.Context, node string, restarted bool) error {
	url, err := c.nodeURL(node)
	if err != nil {
		return err
	}
	return c.clocks.Reimpose(ctx, node, url, restarted)
}
