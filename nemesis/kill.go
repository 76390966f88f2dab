package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/faultline-io/faultline/targets"
)

func init() {
	Register(Info{Name: "kill", Summary: "SIGKILL a minority of nodes (at least one), later restart them with their data"}, newKill)
}

type kill struct {
	k      targets.Killer
	nodes  []string
	rng    *rand.Rand
	killed []string
}

func newKill(env Env) (Fault, error) {
	k, ok := env.Target.(targets.Killer)
	if !ok {
		return nil, fmt.Errorf("target %s cannot kill and restart nodes", env.Target.Name())
	}
	return &kill{k: k, nodes: env.Nodes, rng: env.Rand}, nil
}

func (*kill) Name() string   { return "kill" }
func (*kill) StartF() string { return "kill" }
func (*kill) StopF() string  { return "restart" }

func (f *kill) Start(ctx context.Context) (any, error) {
	victims := pickSome(f.rng, f.nodes, minority(len(f.nodes)))
	for _, n := range victims {
		if err := f.k.Kill(ctx, n); err != nil {
			return f.killed, err
		}
		f.killed = append(f.killed, n)
	}
	return victims, nil
}

// Stop restarts every node this fault killed; with nothing killed it
// restarts nothing.
func (f *kill) Stop(ctx context.Context) (any, error) {
	var errs []error
	var restarted []string
	for _, n := range f.killed {
		if err := f.k.Restart(ctx, n); err != nil {
			errs = append(errs, err)
			continue
		}
		restarted = append(restarted, n)
	}
	f.killed = nil
	return restarted, errors.Join(errs...)
}
