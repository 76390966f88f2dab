package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/faultline-io/faultline/targets"
)

func init() {
	Register(Info{Name: "pause", Summary: "freeze a minority of nodes (at least one, SIGSTOP-like), later resume them"}, newPause)
}

type pause struct {
	p      targets.Pauser
	nodes  []string
	rng    *rand.Rand
	paused []string
}

func newPause(env Env) (Fault, error) {
	p, ok := env.Target.(targets.Pauser)
	if !ok {
		return nil, fmt.Errorf("target %s cannot pause nodes", env.Target.Name())
	}
	return &pause{p: p, nodes: env.Nodes, rng: env.Rand}, nil
}

func (*pause) Name() string   { return "pause" }
func (*pause) StartF() string { return "pause" }
func (*pause) StopF() string  { return "resume" }

func (f *pause) Start(ctx context.Context) (any, error) {
	victims := pickSome(f.rng, f.nodes, minority(len(f.nodes)))
	for _, n := range victims {
		if err := f.p.Pause(ctx, n); err != nil {
			return f.paused, err
		}
		f.paused = append(f.paused, n)
	}
	return victims, nil
}

func (f *pause) Stop(ctx context.Context) (any, error) {
	var errs []error
	var resumed []string
	for _, n := range f.paused {
		if err := f.p.Resume(ctx, n); err != nil {
			errs = append(errs, err)
			continue
		}
		resumed = append(resumed, n)
	}
	f.paused = nil
	return resumed, errors.Join(errs...)
}
