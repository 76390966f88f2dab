package nemesis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/faultline-io/faultline/targets"
)

func init() {
	Register(Info{Name: "partition", Summary: "cut the network into random halves, or isolate one node (silent packet drops)"}, newPartition)
}

type partition struct {
	p      targets.Partitioner
	nodes  []string
	rng    *rand.Rand
	active bool
}

func newPartition(env Env) (Fault, error) {
	p, ok := env.Target.(targets.Partitioner)
	if !ok {
		return nil, fmt.Errorf("target %s cannot partition its network", env.Target.Name())
	}
	if len(env.Nodes) < 2 {
		return nil, fmt.Errorf("a partition needs at least 2 nodes, have %d", len(env.Nodes))
	}
	return &partition{p: p, nodes: env.Nodes, rng: env.Rand}, nil
}

func (*partition) Name() string   { return "partition" }
func (*partition) StartF() string { return "start-partition" }
func (*partition) StopF() string  { return "stop-partition" }

// PartitionValue is what the history records for a partition: the shape,
// the components, and the grudge (who drops packets from whom).
type PartitionValue struct {
	Shape      string         `json:"shape"`
	Components [][]string     `json:"components"`
	Grudge     targets.Grudge `json:"grudge"`
}

func (f *partition) Start(ctx context.Context) (any, error) {
	var comps [][]string
	shape := "random-halves"
	if f.rng.IntN(2) == 0 {
		shape = "isolate-one"
		i := f.rng.IntN(len(f.nodes))
		rest := append(append([]string(nil), f.nodes[:i]...), f.nodes[i+1:]...)
		comps = [][]string{{f.nodes[i]}, rest}
	} else {
		perm := f.rng.Perm(len(f.nodes))
		half := len(f.nodes) / 2
		var a, b []string
		for i, j := range perm {
			if i < half {
				a = append(a, f.nodes[j])
			} else {
				b = append(b, f.nodes[j])
			}
		}
		sort.Strings(a)
		sort.Strings(b)
		comps = [][]string{a, b}
	}
	g := CompleteGrudge(comps)
	if err := f.p.Partition(ctx, g); err != nil {
		return nil, err
	}
	f.active = true
	return PartitionValue{Shape: shape, Components: comps, Grudge: g}, nil
}

func (f *partition) Stop(ctx context.Context) (any, error) {
	if err := f.p.Heal(ctx); err != nil {
		return nil, err
	}
	f.active = false
	return "fully connected", nil
}

// CompleteGrudge makes components mutually deaf: every node drops packets
// from every node outside its own component (Jepsen's complete-grudge).
func CompleteGrudge(components [][]string) targets.Grudge {
	g := targets.Grudge{}
	for i, c := range components {
		var others []string
		for j, d := range components {
			if i != j {
				others = append(others, d...)
			}
		}
		sort.Strings(others)
		for _, n := range c {
			if len(others) > 0 {
				g[n] = append([]string(nil), others...)
			}
		}
	}
	return g
}
