package targets

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/faultline-io/faultline/targets/nodeclock"
)

// This file holds the optional capabilities of the richer faults (issue
// #5): leader targeting, partition options, clock control and packet
// faults. Like Killer or Pauser they are found by type assertion; a fault
// whose capability is missing is refused when the run is set up.

// LeaderFinder reports the node that currently leads, for faults that
// target the leader (Jepsen's primaries).
type LeaderFinder interface {
	// Leader returns the name of the node that leads now, or an error
	// wrapping ErrNoLeader when no node is known to lead.
	Leader(ctx context.Context) (string, error)
}

// ErrNoLeader says no node is known to lead at the moment.
var ErrNoLeader = errors.New("no leader known")

// PartitionOptions say how a grudge is enforced.
type PartitionOptions struct {
	// Reject answers each dropped packet with an ICMP "administratively
	// prohibited" error, so the sender fails at once instead of timing
	// out (drop is silent).
	Reject bool
	// OneWay makes "a drops b" mean: a receives nothing b initiates
	// (connections b opens, datagrams b sends first), while traffic a
	// initiates towards b, and b's answers to it, still flow. For
	// protocols where a node dials the peer it sends to (HTTP, gRPC,
	// most Raft transports) that is a true one-way cut of messages from
	// b to a. Without it, dropping b's packets at a also drops b's
	// answers to a, so TCP is cut both ways and only datagrams see a
	// one-way partition.
	OneWay bool
}

// OptionPartitioner is a Partitioner that can also reject instead of
// dropping, and cut in one direction only.
type OptionPartitioner interface {
	Partitioner
	// PartitionWith makes g the grudge in force, enforced as o says.
	PartitionWith(ctx context.Context, g Grudge, o PartitionOptions) error
}

// ClockController skews the clock of a node whose protocol time comes
// from a controllable clock (targets/nodeclock in the bundled targets).
// It must keep a node's clock state across a restart of the node (the
// process's clock starts at real time), as a Partitioner keeps grudges.
type ClockController interface {
	// Clock applies cmd to node's clock and returns the state after it.
	Clock(ctx context.Context, node string, cmd nodeclock.Command) (nodeclock.State, error)
	// ClockState reads node's clock.
	ClockState(ctx context.Context, node string) (nodeclock.State, error)
}

// Packet behaviours a PacketShaper may offer.
const (
	PacketLoss      = "loss"      // drop a percentage of packets at random
	PacketRate      = "rate"      // limit bandwidth
	PacketLatency   = "latency"   // delay packets
	PacketJitter    = "jitter"    // vary the delay
	PacketDuplicate = "duplicate" // send some packets twice
	PacketReorder   = "reorder"   // deliver some packets out of order
)

// PacketBehaviours lists every behaviour name, in a stable order.
func PacketBehaviours() []string {
	return []string{PacketLoss, PacketRate, PacketLatency, PacketJitter, PacketDuplicate, PacketReorder}
}

// PacketFaults is one set of packet faults to impose on the traffic
// between nodes. Zero fields are off.
type PacketFaults struct {
	LossPercent      float64       `json:"loss_percent,omitempty"`
	RateBitsPerSec   uint64        `json:"rate_bps,omitempty"`
	Latency          time.Duration `json:"latency_ns,omitempty"`
	Jitter           time.Duration `json:"jitter_ns,omitempty"`
	DuplicatePercent float64       `json:"duplicate_percent,omitempty"`
	ReorderPercent   float64       `json:"reorder_percent,omitempty"`
}

// Behaviours lists the behaviours f turns on.
func (f PacketFaults) Behaviours() []string {
	var b []string
	if f.LossPercent > 0 {
		b = append(b, PacketLoss)
	}
	if f.RateBitsPerSec > 0 {
		b = append(b, PacketRate)
	}
	if f.Latency > 0 {
		b = append(b, PacketLatency)
	}
	if f.Jitter > 0 {
		b = append(b, PacketJitter)
	}
	if f.DuplicatePercent > 0 {
		b = append(b, PacketDuplicate)
	}
	if f.ReorderPercent > 0 {
		b = append(b, PacketReorder)
	}
	return b
}

// PacketSupport says which behaviours a target can impose; for each one
// it cannot, the reason.
type PacketSupport struct {
	Available   []string          `json:"available"`
	Unavailable map[string]string `json:"unavailable,omitempty"`
}

// Check returns an error naming every behaviour of want that is not
// available, with the reasons; nil when all are.
func (s PacketSupport) Check(target string, want []string) error {
	var missing []string
	for _, b := range want {
		ok := false
		for _, a := range s.Available {
			ok = ok || a == b
		}
		if !ok {
			why := s.Unavailable[b]
			if why == "" {
				why = "not offered"
			}
			missing = append(missing, b+" ("+why+")")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("packet faults unsupported by target %s: %s", target, strings.Join(missing, "; "))
}

// String is a one-line summary for logs.
func (s PacketSupport) String() string {
	var un []string
	for b, why := range s.Unavailable {
		un = append(un, b+": "+why)
	}
	sort.Strings(un)
	out := "available: " + strings.Join(s.Available, ", ")
	if len(s.Available) == 0 {
		out = "available: none"
	}
	if len(un) > 0 {
		out += "; unavailable: " + strings.Join(un, "; ")
	}
	return out
}

// PacketShaper imposes packet faults on the traffic between nodes.
type PacketShaper interface {
	// PacketSupport says, without touching the cluster, which
	// behaviours the target's mechanism offers.
	PacketSupport() PacketSupport
	// ProbePacket checks on the running cluster that the kernel
	// features behind the offered behaviours work, and returns what
	// really is available.
	ProbePacket(ctx context.Context) (PacketSupport, error)
	// Shape imposes f on every packet between a node of nodes and any
	// other node, in both directions (traffic from the controller is
	// left alone), replacing earlier shaping; it is kept across
	// restarts of nodes until Unshape.
	Shape(ctx context.Context, nodes []string, f PacketFaults) error
	// Unshape removes all packet faults. It is idempotent.
	Unshape(ctx context.Context) error
}
