package raft

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/nodeclock"
)

// The raft target's richer fault capabilities: it can name its leader,
// partition with options, skew node clocks, and shape packets.
var (
	_ targets.LeaderFinder      = (*Target)(nil)
	_ targets.OptionPartitioner = (*Target)(nil)
	_ targets.ClockController   = (*Target)(nil)
	_ targets.PacketShaper      = (*Target)(nil)
)

// Leader asks every node for its status and returns the node that says
// it leads (the one with the highest term, should two say so).
func (t *Target) Leader(ctx context.Context) (string, error) {
	if err := t.need(); err != nil {
		return "", err
	}
	type answer struct {
		st  kvhttp.Status
		err error
	}
	answers := make([]answer, len(t.nodes))
	var wg sync.WaitGroup
	for i, n := range t.nodes {
		wg.Go(func() {
			c := kvhttp.NewClient(n.Addr)
			defer c.Close()
			sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			st, err := c.Status(sctx)
			answers[i] = answer{st, err}
		})
	}
	wg.Wait()
	best, term := "", uint64(0)
	for i, a := range answers {
		if a.err == nil && a.st.Leader != 0 && a.st.Leader == a.st.ID && a.st.Term >= term {
			best, term = t.nodes[i].Name, a.st.Term
		}
	}
	if best == "" {
		return "", fmt.Errorf("target raft: %w", targets.ErrNoLeader)
	}
	return best, nil
}

// PartitionWith implements targets.OptionPartitioner.
func (t *Target) PartitionWith(ctx context.Context, g targets.Grudge, o targets.PartitionOptions) error {
	if err := t.need(); err != nil {
		return err
	}
	return t.cluster.PartitionWith(ctx, g, o)
}

// PacketSupport implements targets.PacketShaper (the Docker runtime's).
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
	return "", fmt.Errorf("target raft: no node %q", node)
}

// live says whether node's process runs and is not frozen, so that its
// clock endpoint can answer.
func (t *Target) live(ctx context.Context, node string) (bool, error) {
	st, err := t.cluster.State(ctx, node)
	if err != nil {
		return false, err
	}
	return st.Running && !st.Paused, nil
}

// Clock implements targets.ClockController through the node's
// /admin/clock endpoint. For a node that is down or frozen it returns the
// state the node will get when it comes back (see nodeclock.Remote).
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

// reimposeClock gives a node that came back (restarted or resumed) the
// clock its mirror holds.
func (t *Target) reimposeClock(ctx context.Context, node string, restarted bool) error {
	url, err := t.nodeURL(node)
	if err != nil {
		return err
	}
	return t.clocks.Reimpose(ctx, node, url, restarted)
}
