package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/faultline-io/faultline/targets"
)

// Kill modes.
const (
	KillPlain         = "kill"            // SIGKILL the nodes
	KillPauseThenKill = "pause-then-kill" // freeze them first, then SIGKILL the frozen processes
	KillMixed         = "mixed"           // either, at random
)

// defaultProcSpecs are the node specs kill and pause draw from by default.
const defaultProcSpecs = "one,minority,majority,all,leader"

func init() {
	Register(Info{
		Name:    "kill",
		Summary: "SIGKILL nodes (one, minority, majority, all, leader; optionally paused first), then restart all of them with their data",
		Options: []OptionSpec{
			{Name: "kill", Default: defaultProcSpecs, Help: "node specs to draw from: " + strings.Join(nodeSpecs, ", "), Check: checkList(nodeSpecs)},
			{Name: "kill-mode", Default: KillMixed, Help: "kill, pause-then-kill (freeze, then kill the frozen node) or mixed", Check: checkList([]string{KillPlain, KillPauseThenKill, KillMixed})},
		},
	}, newKill)
}

type kill struct {
	k      targets.Killer
	p      targets.Pauser // for pause-then-kill; nil when the target cannot pause
	t      *targeter
	rng    *rand.Rand
	mode   string
	procs  *procState
	killed []string
}

// KillValue is what the history records for a kill.
type KillValue struct {
	Spec  string   `json:"spec"`
	Nodes []string `json:"nodes"`
	Mode  string   `json:"mode"`
}

func newKill(env Env) (Fault, error) {
	k, ok := env.Target.(targets.Killer)
	if !ok {
		return nil, unsupported("kill", env.Target, "it cannot kill and restart nodes")
	}
	t, err := newTargeter(env, "kill", "kill")
	if err != nil {
		return nil, err
	}
	f := &kill{k: k, t: t, rng: env.Rand, mode: env.opt("kill-mode"), procs: env.shared()}
	f.p, _ = env.Target.(targets.Pauser)
	switch f.mode {
	case KillPlain, KillMixed:
	case KillPauseThenKill:
		if f.p == nil {
			return nil, unsupported("kill", env.Target, "kill-mode=pause-then-kill needs a target that can pause nodes")
		}
	default:
		return nil, fmt.Errorf("option kill-mode=%q: want kill, pause-then-kill or mixed", f.mode)
	}
	if f.mode == KillMixed && f.p == nil {
		f.mode = KillPlain
	}
	return f, nil
}

func (*kill) Name() string   { return "kill" }
func (*kill) StartF() string { return "kill" }
func (*kill) StopF() string  { return "restart" }

func (f *kill) Start(ctx context.Context) (any, error) {
	spec, victims := f.t.draw(ctx)
	mode := f.mode
	if mode == KillMixed {
		mode = []string{KillPlain, KillPauseThenKill}[f.rng.IntN(2)]
	}
	f.procs.mu.Lock()
	defer f.procs.mu.Unlock()
	v := KillValue{Spec: spec, Mode: mode}
	var errs []error
	for _, n := range victims {
		if f.procs.down[n] {
			continue
		}
		if mode == KillPauseThenKill && !f.procs.paused[n] {
			if err := f.p.Pause(ctx, n); err != nil {
				errs = append(errs, err)
			} else {
				f.procs.paused[n] = true // until the kill succeeds
			}
		}
		// A failed kill may still have taken effect (say, the context
		// ended after the request went out), so Stop restarts it anyway.
		f.killed = append(f.killed, n)
		f.procs.down[n] = true
		if err := f.k.Kill(ctx, n); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(f.procs.paused, n) // a killed container is no longer frozen
		v.Nodes = append(v.Nodes, n)
	}
	return v, errors.Join(errs...)
}

// Stop restarts every node this fault killed (Jepsen's "start :all"):
// with nothing killed it restarts nothing.
func (f *kill) Stop(ctx context.Context) (any, error) {
	f.procs.mu.Lock()
	defer f.procs.mu.Unlock()
	var errs []error
	restarted := []string{}
	var still []string
	for _, n := range f.killed {
		if f.p != nil && f.procs.paused[n] {
			// Frozen and perhaps not killed: thaw it first (a kill that
			// failed after its pause); a killed node is no longer frozen.
			_ = f.p.Resume(ctx, n)
			delete(f.procs.paused, n)
		}
		if err := f.k.Restart(ctx, n); err != nil {
			errs = append(errs, err)
			still = append(still, n)
			continue
		}
		delete(f.procs.down, n)
		restarted = append(restarted, n)
	}
	f.killed = still // a failed restart is retried by the next Stop
	return restarted, errors.Join(errs...)
}
