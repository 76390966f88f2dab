// Package faketarget is an in-process key-value "cluster" for testing the
// harness, the nemesis and reports without Docker. Faults are simulated
// with real consequences for clients: a killed node refuses connections, a
// paused node hangs until the op's deadline, and a node cut off from the
// majority cannot commit. With Bug "stale-read", reads are served from the
// node's own replica, which misses writes made while it was cut off, so the
// linearizability checker has something real to find.
//
// Tests register it under a name of their choosing with Register.
package faketarget

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/faultline-io/faultline/targets"
)

// Register adds the fake target to the registry under name.
func Register(name string) {
	targets.Register(targets.Info{
		Name:    name,
		Summary: "in-process simulated cluster for tests",
		Options: []targets.OptionSpec{{Name: "bug", Default: "none", Help: "stale-read"}},
		Bugs:    []targets.BugSpec{{Name: "stale-read", Help: "reads from the node's own replica", Nemesis: []string{"partition"}}},
	}, func(s targets.Setup, o targets.Options) (targets.Target, error) {
		bug := o["bug"]
		if bug != "" && bug != "none" && bug != "stale-read" {
			return nil, fmt.Errorf("unknown bug %q", bug)
		}
		return New(name, s.Nodes, bug == "stale-read"), nil
	})
}

// Cluster is the simulated cluster.
type Cluster struct {
	name      string
	staleRead bool

	mu       sync.Mutex
	names    []string
	data     map[string]int64            // the committed state
	replicas map[string]map[string]int64 // what each node has seen
	killed   map[string]bool
	paused   map[string]chan struct{} // closed on resume
	grudge   targets.Grudge
	started  bool
	torn     bool
	Events   []string // what was done to the cluster, for assertions
}

// New returns a cluster of n nodes.
func New(name string, n int, staleRead bool) *Cluster {
	c := &Cluster{name: name, staleRead: staleRead, data: map[string]int64{},
		replicas: map[string]map[string]int64{}, killed: map[string]bool{}, paused: map[string]chan struct{}{}}
	for i := 1; i <= n; i++ {
		nm := fmt.Sprintf("n%d", i)
		c.names = append(c.names, nm)
		c.replicas[nm] = map[string]int64{}
	}
	return c
}

var (
	_ targets.Killer          = (*Cluster)(nil)
	_ targets.Pauser          = (*Cluster)(nil)
	_ targets.Partitioner     = (*Cluster)(nil)
	_ targets.KVClientFactory = (*Cluster)(nil)
)

func (c *Cluster) Name() string { return c.name }

func (c *Cluster) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started = true
	c.Events = append(c.Events, "start")
	return nil
}

func (c *Cluster) Nodes() []targets.Node {
	var ns []targets.Node
	for _, n := range c.names {
		ns = append(ns, targets.Node{Name: n, Addr: "fake:" + n})
	}
	return ns
}

func (c *Cluster) Teardown(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.torn {
		c.Events = append(c.Events, "teardown")
	}
	c.torn = true
	for n, ch := range c.paused {
		close(ch)
		delete(c.paused, n)
	}
	return nil
}

// TornDown reports whether Teardown ran.
func (c *Cluster) TornDown() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.torn
}

func (c *Cluster) Kill(ctx context.Context, n string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.killed[n] = true
	c.Events = append(c.Events, "kill "+n)
	return nil
}

func (c *Cluster) Restart(ctx context.Context, n string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.killed, n)
	c.Events = append(c.Events, "restart "+n)
	return nil
}

func (c *Cluster) Pause(ctx context.Context, n string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.paused[n]; !ok {
		c.paused[n] = make(chan struct{})
	}
	c.Events = append(c.Events, "pause "+n)
	return nil
}

func (c *Cluster) Resume(ctx context.Context, n string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.paused[n]; ok {
		close(ch)
		delete(c.paused, n)
	}
	c.Events = append(c.Events, "resume "+n)
	return nil
}

func (c *Cluster) Partition(ctx context.Context, g targets.Grudge) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.grudge = g
	c.Events = append(c.Events, "partition")
	return nil
}

func (c *Cluster) Heal(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.grudge = nil
	c.Events = append(c.Events, "heal")
	return nil
}

// WaitHealthy lets replicas catch up, as a recovered cluster would.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.names {
		c.catchUp(n)
	}
	return nil
}

// reachable: how many nodes n can talk to, itself included.
func (c *Cluster) withMajority(n string) bool {
	cut := map[string]bool{}
	for _, o := range c.grudge[n] {
		cut[o] = true
	}
	count := 0
	for _, o := range c.names {
		if o == n || (!cut[o] && !c.killed[o] && !c.grudgeHas(o, n)) {
			count++
		}
	}
	return count > len(c.names)/2
}

func (c *Cluster) grudgeHas(a, b string) bool {
	for _, x := range c.grudge[a] {
		if x == b {
			return true
		}
	}
	return false
}

func (c *Cluster) catchUp(n string) {
	r := map[string]int64{}
	for k, v := range c.data {
		r[k] = v
	}
	c.replicas[n] = r
}

// errUnavailable is what a client sees from a node that cannot commit.
var errUnavailable = errors.New("no quorum")

// enter waits while n is paused and fails fast when it is killed.
func (c *Cluster) enter(ctx context.Context, n string) error {
	c.mu.Lock()
	if c.killed[n] {
		c.mu.Unlock()
		return targets.Definite(errors.New("connection refused"))
	}
	ch, paused := c.paused[n]
	c.mu.Unlock()
	if paused {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (c *Cluster) NewKVClient(n targets.Node) (targets.KVClient, error) {
	return &client{c: c, node: n.Name}, nil
}

type client struct {
	c    *Cluster
	node string
}

func (k *client) Close() error { return nil }

func (k *client) Read(ctx context.Context, key string) (int64, bool, error) {
	if err := k.c.enter(ctx, k.node); err != nil {
		return 0, false, err
	}
	c := k.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.staleRead {
		v, ok := c.replicas[k.node][key]
		return v, ok, nil
	}
	if !c.withMajority(k.node) {
		return 0, false, targets.Definite(errUnavailable)
	}
	c.catchUp(k.node)
	v, ok := c.data[key]
	return v, ok, nil
}

// commit applies f when n can reach a majority; otherwise the op hangs
// until its deadline, like a proposal stuck in a minority.
func (k *client) commit(ctx context.Context, f func()) error {
	if err := k.c.enter(ctx, k.node); err != nil {
		return err
	}
	c := k.c
	c.mu.Lock()
	if !c.withMajority(k.node) {
		c.mu.Unlock()
		<-ctx.Done()
		return ctx.Err()
	}
	defer c.mu.Unlock()
	f()
	for _, n := range c.names {
		if !c.killed[n] && c.withMajority(n) {
			c.catchUp(n)
		}
	}
	return nil
}

func (k *client) Write(ctx context.Context, key string, v int64) error {
	return k.commit(ctx, func() { k.c.data[key] = v })
}

func (k *client) CAS(ctx context.Context, key string, from, to int64) (bool, error) {
	swapped := false
	err := k.commit(ctx, func() {
		if cur, ok := k.c.data[key]; ok && cur == from {
			k.c.data[key] = to
			swapped = true
		}
	})
	return swapped, err
}
