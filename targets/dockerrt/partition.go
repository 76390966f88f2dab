package dockerrt

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/faultline-io/faultline/targets"
)

// unknownRules marks a namespace whose rules are unknown (a failed apply).
const unknownRules = "?"

// Partition makes g the grudge in force: every running node drops the
// packets whose source is one of the nodes it holds a grudge against, and
// a node without a grudge drops nothing. It replaces any earlier grudge,
// works on all nodes in parallel, and is idempotent (a node whose rules
// already match is left alone). A node that is not running gets its rules
// when it is restarted; a paused node gets them at once. A node never
// drops its own packets, so a node listed in its own grudge is ignored
// there.
//
// Partition returns an error naming the nodes it could not update; the
// grudge stays in force, so a later Partition, Heal, Restart or Resume
// retries them.
func (c *Cluster) Partition(ctx context.Context, g targets.Grudge) error {
	return c.PartitionWith(ctx, g, targets.PartitionOptions{}) // faults.go
}

// Heal clears the grudge in force and removes the rules from every running
// node. It is idempotent.
func (c *Cluster) Heal(ctx context.Context) error {
	c.faultMu.Lock()
	defer c.faultMu.Unlock()
	c.mu.Lock()
	c.grudge = map[string][]netip.Addr{}
	c.mu.Unlock()
	c.logf("heal")
	return c.syncAll(ctx)
}

// Grudge returns the grudge in force (nil when healed).
func (c *Cluster) Grudge() targets.Grudge {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.grudge) == 0 {
		return nil
	}
	byIP := map[netip.Addr]string{}
	for n, a := range c.ips {
		byIP[a] = n
	}
	g := targets.Grudge{}
	for n, addrs := range c.grudge {
		for _, a := range addrs {
			g[n] = append(g[n], byIP[a])
		}
	}
	return g
}

// resolve turns a grudge into sorted source addresses per node.
func (c *Cluster) resolve(g targets.Grudge) (map[string][]netip.Addr, error) {
	want := map[string][]netip.Addr{}
	for n, peers := range g {
		if _, ok := c.ips[n]; !ok {
			return nil, fmt.Errorf("partition: no node %q in run %s (have %v)", n, c.spec.RunID, c.nodes)
		}
		var addrs []netip.Addr
		for _, p := range peers {
			a, ok := c.ips[p]
			if !ok {
				return nil, fmt.Errorf("partition: node %s holds a grudge against unknown node %q (have %v)", n, p, c.nodes)
			}
			if p == n {
				continue
			}
			addrs = append(addrs, a)
		}
		slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
		addrs = slices.Compact(addrs)
		if len(addrs) > 0 {
			want[n] = addrs
		}
	}
	return want, nil
}

func describeGrudge(nodes []string, g targets.Grudge) string {
	var parts []string
	for _, n := range nodes {
		if len(g[n]) > 0 {
			parts = append(parts, n+" drops "+strings.Join(g[n], ","))
		}
	}
	if len(parts) == 0 {
		return "nobody drops anything"
	}
	return strings.Join(parts, "; ")
}

func (c *Cluster) syncAll(ctx context.Context) error {
	return parallel(c.nodes, func(n string) error {
		id, mu, err := c.lookup(n)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if err := c.syncNodeLocked(ctx, n, id); err != nil {
			return fmt.Errorf("node %s: %w", n, err)
		}
		return nil
	})
}

// dropKey identifies a rule set.
func dropKey(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

// syncNodeLocked makes a node's rules match the grudge in force. The
// caller holds the node's lock. A node that is not running is skipped: it
// gets a fresh namespace, and its rules, when it is restarted.
func (c *Cluster) syncNodeLocked(ctx context.Context, node, id string) error {
	st, err := c.state(ctx, node, id)
	if err != nil {
		return err
	}
	if !st.Running {
		return nil
	}
	c.mu.Lock()
	want := c.rulesLocked(node) // the grudge, partition options and packet faults (faults.go)
	rec, ok := c.applied[node]
	c.mu.Unlock()
	wantKey := ruleKey(want)
	haveKey := "" // a namespace we never touched holds no rules of ours
	if ok && rec.startedAt == st.StartedAt {
		haveKey = rec.key
	}
	if haveKey == wantKey {
		return nil
	}
	args := want.Args()
	if args == nil {
		args = []string{"heal"}
	}
	err = c.runSidecar(ctx, node, id, args)
	c.mu.Lock()
	if err == nil {
		c.applied[node] = ruleState{startedAt: st.StartedAt, key: wantKey}
	} else {
		c.applied[node] = ruleState{startedAt: st.StartedAt, key: unknownRules}
	}
	c.mu.Unlock()
	if err != nil {
		// A node that died meanwhile gets its rules when restarted.
		if st2, serr := c.state(context.WithoutCancel(ctx), node, id); serr == nil && !st2.Running {
			return nil
		}
		return err
	}
	return nil
}

// runSidecar runs `faultline node netfault ARGS` in a one-shot container
// sharing the node's network namespace with CAP_NET_ADMIN as its only
// capability, waits for it, checks its exit code and removes it.
func (c *Cluster) runSidecar(ctx context.Context, node, id string, args []string) error {
	_, err := c.sidecar(ctx, node, id, args)
	return err
}

// sidecar is runSidecar that also returns what the sidecar printed.
func (c *Cluster) sidecar(ctx context.Context, node, id string, args []string) (string, error) {
	labels := c.rt.baseLabels(c.spec.RunID)
	labels[LabelRole] = RoleSidecar
	labels[LabelNode] = node
	cmd := append([]string{"node", "netfault"}, args...)
	image := c.spec.SidecarImage
	if image == "" {
		image = c.spec.Image
	}
	resp, err := c.rt.cli.ContainerCreate(ctx,
		&container.Config{Image: image, Cmd: cmd, Labels: labels},
		&container.HostConfig{
			NetworkMode: container.NetworkMode("container:" + id),
			// NET_ADMIN is all nftables needs; the rest of Docker's
			// default set is dropped.
			CapDrop: []string{"ALL"},
			CapAdd:  []string{"NET_ADMIN"},
		},
		nil, nil, ContainerName(c.spec.RunID, node)+"-netfault-"+randHex(4))
	if err != nil {
		return "", fmt.Errorf("create netfault sidecar: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = c.rt.cli.ContainerRemove(rctx, resp.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	}()
	if err := c.rt.cli.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		return "", fmt.Errorf("start netfault sidecar: %w", err)
	}
	waitC, errC := c.rt.cli.ContainerWait(ctx, resp.ID, container.WaitConditionNotRunning)
	var code int64
	select {
	case w := <-waitC:
		if w.Error != nil && w.Error.Message != "" {
			return "", fmt.Errorf("netfault sidecar: %s", w.Error.Message)
		}
		code = w.StatusCode
	case err := <-errC:
		return "", fmt.Errorf("wait for netfault sidecar: %w", err)
	}
	if code != 0 {
		return "", fmt.Errorf("`faultline %s` exited with %d: %s", strings.Join(cmd, " "), code, c.sidecarOutput(ctx, resp.ID))
	}
	return c.sidecarOutput(ctx, resp.ID), nil
}

func (c *Cluster) sidecarOutput(ctx context.Context, id string) string {
	rc, err := c.rt.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer rc.Close()
	var out bytes.Buffer
	_, _ = stdcopy.StdCopy(&out, &out, rc)
	s := strings.TrimSpace(out.String())
	if s == "" {
		return "(no output)"
	}
	return s
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
