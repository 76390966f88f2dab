package nemesis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/faultline-io/faultline/targets"
)

func init() {
	b := targets.PacketBehaviours()
	Register(Info{
		Name:    "packet",
		Summary: "degrade traffic between nodes: loss, rate limit (and latency, jitter, duplicate, reorder where the target offers them); probed at setup",
		Options: []OptionSpec{
			{Name: "packet", Default: "available", Help: "behaviours to draw from (" + strings.Join(b, ", ") + "), or 'available': every one the target offers",
				Check: checkList(b, "available")},
			{Name: "packet-targets", Default: "one,minority,majority,all", Help: "node specs to draw from: " + strings.Join(nodeSpecs, ", "), Check: checkList(nodeSpecs)},
			{Name: "packet-loss", Default: "20%", Help: "share of packets dropped at random", Check: checkPercent},
			{Name: "packet-rate", Default: "1mbit", Help: "bandwidth limit, e.g. 1mbit, 256kbit", Check: checkRate},
			{Name: "packet-latency", Default: "50ms", Help: "added delay", Check: checkDuration(time.Millisecond, time.Minute)},
			{Name: "packet-jitter", Default: "10ms", Help: "variation of the delay", Check: checkDuration(time.Millisecond, time.Minute)},
			{Name: "packet-duplicate", Default: "20%", Help: "share of packets sent twice", Check: checkPercent},
			{Name: "packet-reorder", Default: "20%", Help: "share of packets sent out of order", Check: checkPercent},
		},
	}, newPacket)
}

type packet struct {
	s          targets.PacketShaper
	target     string
	t          *targeter
	rng        *rand.Rand
	behaviours []string
	explicit   bool                 // behaviours named by the user, not "available"
	params     targets.PacketFaults // every configured behaviour's parameters
}

// PacketValue is what the history records for a packet fault.
type PacketValue struct {
	Spec       string               `json:"spec"`
	Nodes      []string             `json:"nodes"`
	Behaviours []string             `json:"behaviours"`
	Faults     targets.PacketFaults `json:"faults"`
}

func newPacket(env Env) (Fault, error) {
	s, ok := env.Target.(targets.PacketShaper)
	if !ok {
		return nil, unsupported("packet", env.Target, "it cannot shape traffic between nodes")
	}
	t, err := newTargeter(env, "packet", "packet-targets")
	if err != nil {
		return nil, err
	}
	f := &packet{s: s, target: env.Target.Name(), t: t, rng: env.Rand}
	sup := s.PacketSupport()
	if v := env.opt("packet"); v == "available" {
		f.behaviours = sup.Available
		if len(f.behaviours) == 0 {
			return nil, unsupported("packet", env.Target, "%s", sup)
		}
	} else {
		f.behaviours, f.explicit = splitList(v), true
		if err := sup.Check(f.target, f.behaviours); err != nil {
			return nil, &UnsupportedError{Fault: "packet", Target: f.target, Why: strings.TrimPrefix(err.Error(), "packet faults unsupported by target "+f.target+": ")}
		}
	}
	// Options were checked by CheckOptions; parse errors cannot happen
	// for values that passed, but say so if they do.
	var perr error
	p := func(name string) float64 {
		v, err := parsePercent(env.opt(name))
		if err != nil && perr == nil {
			perr = fmt.Errorf("option %s: %w", name, err)
		}
		return v
	}
	d := func(name string) time.Duration {
		v, err := time.ParseDuration(env.opt(name))
		if err != nil && perr == nil {
			perr = fmt.Errorf("option %s: %w", name, err)
		}
		return v
	}
	f.params.LossPercent = p("packet-loss")
	f.params.DuplicatePercent = p("packet-duplicate")
	f.params.ReorderPercent = p("packet-reorder")
	f.params.Latency = d("packet-latency")
	f.params.Jitter = d("packet-jitter")
	if f.params.RateBitsPerSec, err = parseRate(env.opt("packet-rate")); err != nil && perr == nil {
		perr = fmt.Errorf("option packet-rate: %w", err)
	}
	return f, perr
}

func (*packet) Name() string     { return "packet" }
func (*packet) StartF() string   { return "start-packet" }
func (*packet) StopF() string    { return "stop-packet" }
func (*packet) PrepareF() string { return "probe-packet" }

// PacketProbe is what the history records for the probe at setup.
type PacketProbe struct {
	Support targets.PacketSupport `json:"support"`
	Using   []string              `json:"using"`
}

// Prepare probes the running cluster. Behaviours named explicitly that
// its kernel cannot do are refused with the reason; the default
// ("available") narrows to what the probe found.
func (f *packet) Prepare(ctx context.Context) (any, error) {
	sup, err := f.s.ProbePacket(ctx)
	if err != nil {
		return nil, fmt.Errorf("probe packet faults: %w", err)
	}
	if f.explicit {
		return PacketProbe{Support: sup, Using: f.behaviours}, sup.Check(f.target, f.behaviours)
	}
	var use []string
	for _, b := range f.behaviours {
		if slices.Contains(sup.Available, b) {
			use = append(use, b)
		}
	}
	if len(use) == 0 {
		return PacketProbe{Support: sup}, &UnsupportedError{Fault: "packet", Target: f.target, Why: "the probe found none usable: " + sup.String()}
	}
	f.behaviours = use
	return PacketProbe{Support: sup, Using: use}, nil
}

// Start draws nodes and a non-empty subset of the behaviours and imposes
// them on the traffic between those nodes and the rest.
func (f *packet) Start(ctx context.Context) (any, error) {
	spec, nodes := f.t.draw(ctx)
	var pick []string
	for len(pick) == 0 {
		for _, b := range f.behaviours {
			if f.rng.IntN(2) == 0 {
				pick = append(pick, b)
			}
		}
	}
	var pf targets.PacketFaults
	for _, b := range pick {
		switch b {
		case targets.PacketLoss:
			pf.LossPercent = f.params.LossPercent
		case targets.PacketRate:
			pf.RateBitsPerSec = f.params.RateBitsPerSec
		case targets.PacketLatency:
			pf.Latency = f.params.Latency
		case targets.PacketJitter:
			pf.Latency, pf.Jitter = f.params.Latency, f.params.Jitter
		case targets.PacketDuplicate:
			pf.DuplicatePercent = f.params.DuplicatePercent
		case targets.PacketReorder:
			// Reordering needs a delay to reorder against (as netem).
			pf.Latency, pf.ReorderPercent = f.params.Latency, f.params.ReorderPercent
		}
	}
	v := PacketValue{Spec: spec, Nodes: nodes, Behaviours: pf.Behaviours(), Faults: pf}
	slices.Sort(v.Behaviours)
	return v, f.s.Shape(ctx, nodes, pf)
}

func (f *packet) Stop(ctx context.Context) (any, error) {
	if err := f.s.Unshape(ctx); err != nil {
		return nil, err
	}
	return "no packet faults", nil
}
