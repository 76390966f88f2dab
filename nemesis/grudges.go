package nemesis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/faultline-io/faultline/targets"
)

// Partition shapes (Jepsen's grudges). Every shape may be prefixed with
// OneWayPrefix.
const (
	ShapeHalves         = "halves"          // first ⌊n/2⌋ nodes in node order vs the rest
	ShapeRandomHalves   = "random-halves"   // shuffle, then halves
	ShapeOne            = "one"             // isolate one random node
	ShapeMajority       = "majority"        // shuffled clean majority vs minority
	ShapeMajoritiesRing = "majorities-ring" // every node sees a majority, no two the same
	ShapeBridge         = "bridge"          // random halves, one node of the second talks to both
	ShapeMinorityThird  = "minority-third"  // split off ⌊(n-1)/3⌋ (at least one) random nodes
	ShapeLeader         = "leader"          // isolate the current leader (needs targets.LeaderFinder)

	// OneWayPrefix turns a shape one-way: of every pair of nodes the
	// shape separates, only one drops what the other initiates (see
	// targets.PartitionOptions.OneWay), e.g. "one-way-halves".
	OneWayPrefix = "one-way-"
)

// baseShapes lists the symmetric shapes in documentation order.
var baseShapes = []string{ShapeHalves, ShapeRandomHalves, ShapeOne, ShapeMajority, ShapeMajoritiesRing, ShapeBridge, ShapeMinorityThird, ShapeLeader}

// defaultShapes are what --partition defaults to (Jepsen's default set,
// plus random halves, bridge and leader); shapes the cluster or target
// cannot do are dropped from the default, never from an explicit list.
var defaultShapes = []string{ShapeOne, ShapeMajority, ShapeMajoritiesRing, ShapeMinorityThird, ShapeRandomHalves, ShapeBridge, ShapeLeader}

// AllShapes lists every shape name, one-way variants included.
func AllShapes() []string {
	out := append([]string(nil), baseShapes...)
	for _, s := range baseShapes {
		out = append(out, OneWayPrefix+s)
	}
	return out
}

// Partition is one drawn partition: what the history records.
type Partition struct {
	Shape string `json:"shape"`
	// Components are the groups that can talk among themselves, for
	// shapes made of groups (nil for majorities-ring and bridge, whose
	// connectivity is not a set of groups).
	Components [][]string `json:"components,omitempty"`
	// Bridge is the node that talks to both sides (bridge shape).
	Bridge string `json:"bridge,omitempty"`
	// Grudge says which nodes each node drops packets from.
	Grudge targets.Grudge `json:"grudge"`
	OneWay bool           `json:"one_way,omitempty"`
	Mode   string         `json:"mode"` // "drop" or "reject"
}

// shapeMinNodes is the smallest cluster in which a shape cuts something.
func shapeMinNodes(shape string) int {
	switch strings.TrimPrefix(shape, OneWayPrefix) {
	case ShapeMajoritiesRing:
		return 4 // with 3 nodes a symmetric ring of majorities is everyone
	case ShapeBridge:
		return 3
	default:
		return 2
	}
}

// DrawPartition builds shape over nodes. leader names the leader for the
// leader shape ("" when unknown: a random node is isolated instead, and
// the shape says so).
func DrawPartition(shape string, nodes []string, rng *rand.Rand, leader string) (Partition, error) {
	base, oneWay := strings.CutPrefix(shape, OneWayPrefix)
	if len(nodes) < shapeMinNodes(shape) {
		return Partition{}, fmt.Errorf("partition shape %s needs at least %d nodes, have %d", shape, shapeMinNodes(shape), len(nodes))
	}
	p := Partition{Shape: shape, OneWay: oneWay}
	n := len(nodes)
	shuffled := func() []string {
		s := append([]string(nil), nodes...)
		rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
		return s
	}
	split := func(s []string, k int) [][]string {
		a, b := append([]string(nil), s[:k]...), append([]string(nil), s[k:]...)
		sort.Strings(a)
		sort.Strings(b)
		return [][]string{a, b}
	}
	isolate := func(x string) [][]string {
		rest := slices.DeleteFunc(append([]string(nil), nodes...), func(y string) bool { return y == x })
		return [][]string{{x}, rest}
	}
	switch base {
	case ShapeHalves:
		p.Components = split(nodes, n/2)
	case ShapeRandomHalves:
		p.Components = split(shuffled(), n/2)
	case ShapeOne:
		p.Components = isolate(nodes[rng.IntN(n)])
	case ShapeMajority:
		p.Components = split(shuffled(), majority(n))
	case ShapeMinorityThird:
		p.Components = split(shuffled(), max(1, (n-1)/3))
	case ShapeLeader:
		if leader == "" || !slices.Contains(nodes, leader) {
			p.Shape += " (no leader known: one random node)"
			leader = nodes[rng.IntN(n)]
		}
		p.Components = isolate(leader)
	case ShapeMajoritiesRing:
		p.Grudge = majoritiesRing(shuffled())
	case ShapeBridge:
		s := shuffled()
		halves := split(s, n/2)
		p.Bridge = s[n/2] // the first node of the second half
		g := CompleteGrudge(halves)
		delete(g, p.Bridge)
		for k, v := range g {
			g[k] = slices.DeleteFunc(v, func(y string) bool { return y == p.Bridge })
		}
		p.Grudge = g
	default:
		return Partition{}, fmt.Errorf("unknown partition shape %q (have: %s)", shape, strings.Join(AllShapes(), ", "))
	}
	if p.Components != nil {
		p.Grudge = CompleteGrudge(p.Components)
	}
	if oneWay {
		p.Grudge = oneWayGrudge(p, nodes, rng)
	}
	return p, nil
}

// majoritiesRing puts the nodes on a ring (in the given, shuffled, order);
// each sees itself and its k nearest neighbours on either side, with
// 2k+1 the smallest odd number ≥ a majority, and drops the rest. Views
// are symmetric, each a majority, and all different (n ≥ 4).
func majoritiesRing(ring []string) targets.Grudge {
	n := len(ring)
	k := majority(n) / 2 // 2k+1 >= majority(n)
	g := targets.Grudge{}
	for i, a := range ring {
		for j, b := range ring {
			d := (j - i + n) % n
			if min(d, n-d) > k {
				g[a] = append(g[a], b)
			}
		}
		sort.Strings(g[a])
	}
	return g
}

// oneWayGrudge keeps, of every pair that drops each other, only one
// direction: with components, the nodes of an earlier component (in a
// random order of components) drop the later ones, so traffic flows from
// earlier to later components only; otherwise by a random node order.
func oneWayGrudge(p Partition, nodes []string, rng *rand.Rand) targets.Grudge {
	rank := map[string]int{}
	if p.Components != nil {
		order := rng.Perm(len(p.Components))
		for i, c := range p.Components {
			for _, x := range c {
				rank[x] = order[i]
			}
		}
	} else {
		for i, j := range rng.Perm(len(nodes)) {
			rank[nodes[j]] = i
		}
	}
	g := targets.Grudge{}
	for a, peers := range p.Grudge {
		for _, b := range peers {
			if rank[a] < rank[b] {
				g[a] = append(g[a], b)
			}
		}
	}
	return g
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

// Reachable says whether a packet from src reaches dst under g with the
// given semantics: for datagrams a grudge is one-way (dst drops what src
// sends), and so it is for connections src opens under one-way
// enforcement; with plain drops a TCP connection needs both directions.
func Reachable(g targets.Grudge, src, dst string, tcp, oneWay bool) bool {
	drops := func(a, b string) bool { return slices.Contains(g[a], b) }
	if src == dst {
		return true
	}
	if drops(dst, src) {
		return false
	}
	if tcp && !oneWay {
		return !drops(src, dst)
	}
	return true
}
