package nemesis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/faultline-io/faultline/targets"
)

// Node specs say which nodes a process, clock or packet fault hits, as
// Jepsen's db-nemesis targets do. Each Start draws one spec at random
// from the configured list.
const (
	SpecOne           = "one"            // one random node
	SpecMinority      = "minority"       // (n-1)/2 random nodes (at least one)
	SpecMajority      = "majority"       // n/2+1 random nodes
	SpecMinorityThird = "minority-third" // (n-1)/3 random nodes (at least one)
	SpecAll           = "all"            // every node
	SpecLeader        = "leader"         // the current leader (needs targets.LeaderFinder)
	SpecSome          = "some"           // a random non-empty subset
)

// nodeSpecs lists the specs in the order documentation shows them.
var nodeSpecs = []string{SpecOne, SpecMinority, SpecMajority, SpecMinorityThird, SpecAll, SpecLeader, SpecSome}

// targeter draws nodes for a fault.
type targeter struct {
	nodes  []string
	rng    *rand.Rand
	leader targets.LeaderFinder // nil: the target cannot say
	specs  []string
}

// newTargeter reads the node-spec list in option opt. A "leader" spec
// needs a LeaderFinder: given explicitly on a target without one it is
// refused; in the default list it is dropped.
func newTargeter(env Env, fault, opt string) (*targeter, error) {
	lf, _ := env.Target.(targets.LeaderFinder)
	t := &targeter{nodes: env.Nodes, rng: env.Rand, leader: lf}
	_, given := env.Options[opt]
	for _, s := range splitList(env.opt(opt)) {
		if !slices.Contains(nodeSpecs, s) {
			return nil, fmt.Errorf("option %s: unknown node spec %q (have: %v)", opt, s, nodeSpecs)
		}
		if s == SpecLeader && lf == nil {
			if given {
				return nil, unsupported(fault, env.Target, "option %s=leader needs a target that can name its leader", opt)
			}
			continue
		}
		t.specs = append(t.specs, s)
	}
	if len(t.specs) == 0 {
		return nil, fmt.Errorf("option %s: no usable node spec", opt)
	}
	return t, nil
}

// draw picks a spec and the nodes it names. When the spec is "leader" and
// no leader is known, it falls back to one random node and says so in the
// returned spec.
func (t *targeter) draw(ctx context.Context) (spec string, nodes []string) {
	spec = t.specs[t.rng.IntN(len(t.specs))]
	return t.resolve(ctx, spec)
}

func (t *targeter) resolve(ctx context.Context, spec string) (string, []string) {
	n := len(t.nodes)
	switch spec {
	case SpecOne:
		return spec, pickN(t.rng, t.nodes, 1)
	case SpecMinority:
		return spec, pickN(t.rng, t.nodes, max(1, minority(n)))
	case SpecMajority:
		return spec, pickN(t.rng, t.nodes, majority(n))
	case SpecMinorityThird:
		return spec, pickN(t.rng, t.nodes, max(1, (n-1)/3))
	case SpecAll:
		return spec, append([]string(nil), t.nodes...)
	case SpecLeader:
		if l, err := t.leaderNode(ctx); err == nil {
			return spec, []string{l}
		}
		return "leader (none known: one random node)", pickN(t.rng, t.nodes, 1)
	default: // SpecSome
		return spec, pickSome(t.rng, t.nodes, n)
	}
}

func (t *targeter) leaderNode(ctx context.Context) (string, error) {
	if t.leader == nil {
		return "", targets.ErrNoLeader
	}
	l, err := t.leader.Leader(ctx)
	if err != nil {
		return "", err
	}
	if !slices.Contains(t.nodes, l) {
		return "", fmt.Errorf("leader %q is not a node of this run", l)
	}
	return l, nil
}
