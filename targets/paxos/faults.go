package paxos

import (
	"context"
	"fmt"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/nodeclock"
)

// The richer fault capabilities. CASPaxos has no leader, so the target is
// no targets.LeaderFinder; partitions with options and packet faults are
// the Docker runtime's.
var (
	_ targets.OptionPartitioner = (*Target)(nil)
	_ targets.ClockController   = (*Target)(nil)
	_ targets.PacketShaper      = (*Target)(nil)
)

// PartitionWith implements targets.OptionPartitioner.
func (t *Target) PartitionWith(ctx context.Context, g targets.Grudge, o targets.PartitionOptions) error {
	if err := t.need(); err != nil {
		return err
	}
	return t.cluster.PartitionWith(ctx, g, o)
}

// PacketSupport implements targets.PacketShaper.
func (t *Target) PacketSupport() targets.PacketSupport {
	if t.cluster == nil {
		return targets.PacketSupport{Available: targets.PacketBehaviours()}
	}
	return t.cluster.PacketSupport()
}

// ProbePacket implements targets.PacketShaper.
func (t *Target) ProbePacket(ctx context.Context) (targets.PacketSupport, error) {
	if err := t.need(); err != nil {
		return targets.PacketSupport{}, err
	}
	return t.cluster.ProbePacket(ctx)
}

// Shape implements targets.PacketShaper.
func (t *Target) Shape(ctx context.Context, nodes []string, f targets.PacketFaults) error {
	if err := t.need(); err != nil {
		return err
	}
	return t.cluster.Shape(ctx, nodes, f)
}

// Unshape implements targets.PacketShaper.
func (t *Target) Unshape(ctx context.Context) error {
	if err := t.need(); err != nil {
		return err
	}
	return t.cluster.Unshape(ctx)
}

func (t *Target) nodeURL(node string) (string, error) {
	for _, n := range t.nodes {
		if n.Name == node {
			return "http://" + n.Addr, nil
		}
	}
	return "", fmt.Errorf("target paxos: no node %q", node)
}

// live says whether node's process runs and is not frozen.
func (t *Target) live(ctx context.Context, node string) (bool, error) {
	st, err := t.cluster.State(ctx, node)
	if err != nil {
		return false, err
	}
	return st.Running && !st.Paused, nil
}

// Clock implements targets.ClockController through the node's clock
// endpoint; the nodes time their retry backoff on that clock (Paxos's
// safety does not depend on it). For a node that is down or frozen it
// returns the state the node will get when it comes back (see
// nodeclock.Remote).
func (t *Target) Clock(ctx context.Context, node string, cmd nodeclock.Command) (nodeclock.State, error) {
	if err := t.need(); err != nil {
		return nodeclock.State{}, err
	}
	url, err := t.nodeURL(node)
	if err != nil {
		return nodeclock.State{}, err
	}
	live, err := t.live(ctx, node)
	if err != nil {
		return nodeclock.State{}, err
	}
	return t.clocks.Apply(ctx, node, url, live, cmd)
}

// ClockState implements targets.ClockController.
func (t *Target) ClockState(ctx context.Context, node string) (nodeclock.State, error) {
	if err := t.need(); err != nil {
		return nodeclock.State{}, err
	}
	url, err := t.nodeURL(node)
	if err != nil {
		return nodeclock.State{}, err
	}
	live, err := t.live(ctx, node)
	if err != nil {
		return nodeclock.State{}, err
	}
	return t.clocks.State(ctx, node, url, live)
}

// reimposeClock gives a node that came back (restarted, or resumed) its
// mirror's clock.
func (t *Target) reimposeClock(ctx context.Context, node string, restarted bool) error {
	url, err := t.nodeURL(node)
	if err != nil {
		return err
	}
	return t.clocks.Reimpose(ctx, node, url, restarted)
}
