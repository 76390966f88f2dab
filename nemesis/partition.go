package nemesis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/faultline-io/faultline/targets"
)

// Partition modes.
const (
	ModeDrop   = "drop"   // silent: peers time out
	ModeReject = "reject" // ICMP admin-prohibited: peers fail at once
)

func init() {
	Register(Info{
		Name:    "partition",
		Summary: "cut the network by a shape (--partition: halves, one, majority, majorities-ring, bridge, minority-third, leader, one-way-…); drop or reject",
		Options: []OptionSpec{
			{Name: "partition", Default: "default", Help: "shapes to draw from: " + strings.Join(AllShapes(), ", ") + "; 'default' (" + strings.Join(defaultShapes, ", ") + ") or 'all'",
				Check: checkList(AllShapes(), "default", "all")},
			{Name: "partition-mode", Default: ModeDrop, Help: "drop (silent, peers time out) or reject (ICMP error, peers fail at once)",
				Check: checkList([]string{ModeDrop, ModeReject})},
		},
	}, newPartition)
}

type partition struct {
	p      targets.Partitioner
	op     targets.OptionPartitioner // nil: plain drops only
	lf     targets.LeaderFinder
	nodes  []string
	rng    *rand.Rand
	shapes []string
	mode   string
}

func newPartition(env Env) (Fault, error) {
	p, ok := env.Target.(targets.Partitioner)
	if !ok {
		return nil, unsupported("partition", env.Target, "it cannot partition its network")
	}
	if len(env.Nodes) < 2 {
		return nil, fmt.Errorf("a partition needs at least 2 nodes, have %d", len(env.Nodes))
	}
	f := &partition{p: p, nodes: env.Nodes, rng: env.Rand, mode: env.opt("partition-mode")}
	f.op, _ = env.Target.(targets.OptionPartitioner)
	f.lf, _ = env.Target.(targets.LeaderFinder)
	if f.mode != ModeDrop && f.mode != ModeReject {
		return nil, fmt.Errorf("option partition-mode=%q: want drop or reject", f.mode)
	}
	if f.mode == ModeReject && f.op == nil {
		return nil, unsupported("partition", env.Target, "partition-mode=reject needs a target that can reject (targets.OptionPartitioner)")
	}
	spec := env.opt("partition")
	explicit := spec != "default"
	var list []string
	switch spec {
	case "default":
		list = defaultShapes
	case "all":
		list, explicit = AllShapes(), false
	default:
		list = splitList(spec)
	}
	for _, s := range list {
		if !slices.Contains(AllShapes(), s) {
			return nil, fmt.Errorf("option partition: unknown shape %q (have: %s)", s, strings.Join(AllShapes(), ", "))
		}
		var why string
		switch {
		case len(env.Nodes) < shapeMinNodes(s):
			why = fmt.Sprintf("shape %s needs at least %d nodes, the run has %d", s, shapeMinNodes(s), len(env.Nodes))
		case strings.TrimPrefix(s, OneWayPrefix) == ShapeLeader && f.lf == nil:
			why = fmt.Sprintf("shape %s needs a target that can name its leader", s)
		case strings.HasPrefix(s, OneWayPrefix) && f.op == nil:
			why = fmt.Sprintf("shape %s needs a target that can cut one direction (targets.OptionPartitioner)", s)
		}
		if why != "" {
			if explicit {
				return nil, unsupported("partition", env.Target, "%s", why)
			}
			continue
		}
		f.shapes = append(f.shapes, s)
	}
	if len(f.shapes) == 0 {
		return nil, fmt.Errorf("option partition=%q: no shape works with %d nodes on target %s", spec, len(env.Nodes), env.Target.Name())
	}
	return f, nil
}

func (*partition) Name() string   { return "partition" }
func (*partition) StartF() string { return "start-partition" }
func (*partition) StopF() string  { return "stop-partition" }

// Start draws a shape and applies it; the value is a Partition.
func (f *partition) Start(ctx context.Context) (any, error) {
	shape := f.shapes[f.rng.IntN(len(f.shapes))]
	leader := ""
	if strings.TrimPrefix(shape, OneWayPrefix) == ShapeLeader {
		if l, err := f.lf.Leader(ctx); err == nil {
			leader = l
		}
	}
	p, err := DrawPartition(shape, f.nodes, f.rng, leader)
	if err != nil {
		return nil, err
	}
	p.Mode = f.mode
	if f.op != nil {
		err = f.op.PartitionWith(ctx, p.Grudge, targets.PartitionOptions{Reject: f.mode == ModeReject, OneWay: p.OneWay})
	} else {
		err = f.p.Partition(ctx, p.Grudge)
	}
	return p, err
}

func (f *partition) Stop(ctx context.Context) (any, error) {
	if err := f.p.Heal(ctx); err != nil {
		return nil, err
	}
	return "fully connected", nil
}
