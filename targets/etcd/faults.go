package etcd

import (
	"context"

	"github.com/faultline-io/faultline/targets"
)

// The Docker runtime's richer network faults work on any image, so etcd
// gets them as they are: rejecting and one-way partitions, and packet
// faults (what the kernel supports is probed on the running cluster).
// Clock faults do not apply: etcd reads the system clock, and faultline
// never grants a container SYS_TIME.

var (
	_ targets.OptionPartitioner = (*Target)(nil)
	_ targets.PacketShaper      = (*Target)(nil)
)

// PartitionWith implements targets.OptionPartitioner.
func (t *Target) PartitionWith(ctx context.Context, g targets.Grudge, o targets.PartitionOptions) error {
	c, err := t.cl()
	if err != nil {
		return err
	}
	return c.PartitionWith(ctx, g, o)
}

// PacketSupport implements targets.PacketShaper. The harness asks before
// Start, when there is no cluster yet to ask.
func (t *Target) PacketSupport() targets.PacketSupport {
	if t.cluster == nil {
		return targets.PacketSupport{Available: targets.PacketBehaviours()}
	}
	return t.cluster.PacketSupport()
}

// ProbePacket implements targets.PacketShaper.
func (t *Target) ProbePacket(ctx context.Context) (targets.PacketSupport, error) {
	c, err := t.cl()
	if err != nil {
		return targets.PacketSupport{}, err
	}
	return c.ProbePacket(ctx)
}

// Shape implements targets.PacketShaper.
func (t *Target) Shape(ctx context.Context, nodes []string, f targets.PacketFaults) error {
	c, err := t.cl()
	if err != nil {
		return err
	}
	return c.Shape(ctx, nodes, f)
}

// Unshape implements targets.PacketShaper.
func (t *Target) Unshape(ctx context.Context) error {
	c, err := t.cl()
	if err != nil {
		return err
	}
	return c.Unshape(ctx)
}
