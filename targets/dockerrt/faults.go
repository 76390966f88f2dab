package dockerrt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/dockerrt/netfault"
)

// faultState is what the cluster imposes on top of the grudge: how the
// grudge is enforced, and the packet faults in force.
type faultState struct {
	opts        targets.PartitionOptions
	packetNodes map[string]bool // the nodes whose traffic is shaped; empty: none
	packet      targets.PacketFaults
}

var (
	_ targets.OptionPartitioner = (*Cluster)(nil)
	_ targets.PacketShaper      = (*Cluster)(nil)
)

// PartitionWith makes g the grudge in force, enforced as o says (reject
// instead of drop; one-way: drop only what the peer initiates). See
// Partition for the rest; Partition is PartitionWith with zero options.
func (c *Cluster) PartitionWith(ctx context.Context, g targets.Grudge, o targets.PartitionOptions) error {
	want, err := c.resolve(g)
	if err != nil {
		return err
	}
	c.faultMu.Lock()
	defer c.faultMu.Unlock()
	c.mu.Lock()
	c.grudge = want
	c.faults.opts = o
	c.mu.Unlock()
	c.logf("partition%s: %s", describeOptions(o), describeGrudge(c.nodes, g))
	return c.syncAll(ctx)
}

func describeOptions(o targets.PartitionOptions) string {
	var s []string
	if o.Reject {
		s = append(s, "reject")
	}
	if o.OneWay {
		s = append(s, "one-way")
	}
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, ", ") + ")"
}

// Shape imposes packet faults on the traffic between each of nodes and
// every other node of the cluster, in both directions and once per
// packet: loss is dropped by the receiver (an nftables numgen rule), and
// rate, delay, jitter, duplication and reordering are applied by the
// sender (an htb class, with netem under it where the kernel has it).
// Traffic from and to the controller is not touched. Like a grudge, the
// faults are kept across restarts. Shape replaces earlier packet faults.
func (c *Cluster) Shape(ctx context.Context, nodes []string, f targets.PacketFaults) error {
	set := map[string]bool{}
	for _, n := range nodes {
		if _, ok := c.ips[n]; !ok {
			return fmt.Errorf("packet faults: no node %q in run %s (have %v)", n, c.spec.RunID, c.nodes)
		}
		set[n] = true
	}
	if f.LossPercent < 0 || f.LossPercent > 100 || f.DuplicatePercent < 0 || f.DuplicatePercent > 100 || f.ReorderPercent < 0 || f.ReorderPercent > 100 {
		return fmt.Errorf("packet faults: percentages must be from 0 to 100: %+v", f)
	}
	if (f.Jitter > 0 || f.ReorderPercent > 0) && f.Latency == 0 {
		return errors.New("packet faults: jitter and reordering need a latency")
	}
	c.faultMu.Lock()
	defer c.faultMu.Unlock()
	c.mu.Lock()
	c.faults.packetNodes, c.faults.packet = set, f
	c.mu.Unlock()
	c.logf("packet faults %v on %v", f.Behaviours(), nodes)
	return c.syncAll(ctx)
}

// Unshape removes every packet fault. It is idempotent.
func (c *Cluster) Unshape(ctx context.Context) error {
	c.faultMu.Lock()
	defer c.faultMu.Unlock()
	c.mu.Lock()
	c.faults.packetNodes, c.faults.packet = nil, targets.PacketFaults{}
	c.mu.Unlock()
	c.logf("packet faults removed")
	return c.syncAll(ctx)
}

// rulesLocked is everything node's namespace should hold; c.mu is held.
func (c *Cluster) rulesLocked(node string) netfault.Rules {
	r := netfault.Rules{Drop: c.grudge[node]}
	if len(r.Drop) > 0 {
		r.Reject, r.OneWay = c.faults.opts.Reject, c.faults.opts.OneWay
	}
	if len(c.faults.packetNodes) == 0 {
		return r
	}
	// The peers whose traffic with node is degraded: every other node
	// when node is shaped, else the shaped nodes.
	var peers []netip.Addr
	for _, n := range c.nodes {
		if n != node && (c.faults.packetNodes[node] || c.faults.packetNodes[n]) {
			peers = append(peers, c.ips[n])
		}
	}
	if len(peers) == 0 {
		return r
	}
	slices.SortFunc(peers, func(a, b netip.Addr) int { return a.Compare(b) })
	p := c.faults.packet
	if p.LossPercent > 0 {
		r.LossPercent, r.LossFrom = p.LossPercent, peers
	}
	sh := netfault.Shape{RateBits: p.RateBitsPerSec, Delay: p.Latency, Jitter: p.Jitter,
		DuplicatePercent: p.DuplicatePercent, ReorderPercent: p.ReorderPercent}
	if sh != (netfault.Shape{}) {
		r.ShapeTo, r.Shape = peers, sh
	}
	return r
}

// ruleKey identifies a rule set: for a plain partition, the dropped
// sources (dropKey); otherwise the netfault arguments.
func ruleKey(r netfault.Rules) string {
	if !r.Reject && !r.OneWay && r.LossPercent == 0 && len(r.ShapeTo) == 0 {
		return dropKey(r.Drop)
	}
	return strings.Join(r.Args(), " ")
}

// PacketSupport says what the Docker runtime's packet faults can do on
// a kernel that has every feature: loss through nftables, rate through
// htb, and latency, jitter, duplication and reordering through netem.
// ProbePacket says what the running kernel really has.
func (c *Cluster) PacketSupport() targets.PacketSupport {
	return targets.PacketSupport{Available: targets.PacketBehaviours()}
}

// ProbePacket runs `netfault probe` next to the first running node and
// turns what it found into the behaviours this kernel supports.
func (c *Cluster) ProbePacket(ctx context.Context) (targets.PacketSupport, error) {
	var lastErr error
	for _, n := range c.nodes {
		id, mu, err := c.lookup(n)
		if err != nil {
			return targets.PacketSupport{}, err
		}
		mu.Lock()
		st, err := c.state(ctx, n, id)
		var out string
		if err == nil && st.Running {
			out, err = c.sidecar(ctx, n, id, []string{"probe"})
		} else if err == nil {
			err = fmt.Errorf("node %s is not running", n)
		}
		mu.Unlock()
		if err != nil {
			lastErr = err
			continue
		}
		return parseProbe(out)
	}
	return targets.PacketSupport{}, fmt.Errorf("packet probe: no node could run it: %w", lastErr)
}

func parseProbe(out string) (targets.PacketSupport, error) {
	i := strings.Index(out, "{")
	var rep netfault.Report
	if i < 0 || json.Unmarshal([]byte(out[i:]), &rep) != nil {
		return targets.PacketSupport{}, fmt.Errorf("packet probe: unreadable answer %q", out)
	}
	s := targets.PacketSupport{Unavailable: map[string]string{}}
	add := func(b, why string) {
		if why == "" {
			s.Available = append(s.Available, b)
		} else {
			s.Unavailable[b] = why
		}
	}
	add(targets.PacketLoss, rep.Numgen)
	add(targets.PacketRate, rep.Htb)
	for _, b := range []string{targets.PacketLatency, targets.PacketJitter, targets.PacketDuplicate, targets.PacketReorder} {
		add(b, rep.Netem)
	}
	return s, nil
}
