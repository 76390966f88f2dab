package nemesis

import (
	"context"
	"errors"
	"strings"

	"github.com/faultline-io/faultline/targets"
)

func init() {
	Register(Info{
		Name:    "pause",
		Summary: "freeze nodes (one, minority, majority, all, leader; SIGSTOP-like), then resume all of them",
		Options: []OptionSpec{
			{Name: "pause", Default: defaultProcSpecs, Help: "node specs to draw from: " + strings.Join(nodeSpecs, ", "), Check: checkList(nodeSpecs)},
		},
	}, newPause)
}

type pause struct {
	p     targets.Pauser
	t     *targeter
	procs *procState
	maybe map[string]bool // pauses that failed but may have taken effect
}

// PauseValue is what the history records for a pause.
type PauseValue struct {
	Spec  string   `json:"spec"`
	Nodes []string `json:"nodes"`
}

func newPause(env Env) (Fault, error) {
	p, ok := env.Target.(targets.Pauser)
	if !ok {
		return nil, unsupported("pause", env.Target, "it cannot pause nodes")
	}
	t, err := newTargeter(env, "pause", "pause")
	if err != nil {
		return nil, err
	}
	return &pause{p: p, t: t, procs: env.shared(), maybe: map[string]bool{}}, nil
}

func (*pause) Name() string   { return "pause" }
func (*pause) StartF() string { return "pause" }
func (*pause) StopF() string  { return "resume" }

// Start freezes the drawn nodes, skipping nodes that are down (killed)
// or already frozen.
func (f *pause) Start(ctx context.Context) (any, error) {
	spec, victims := f.t.draw(ctx)
	f.procs.mu.Lock()
	defer f.procs.mu.Unlock()
	v := PauseValue{Spec: spec}
	var errs []error
	for _, n := range victims {
		if f.procs.down[n] || f.procs.paused[n] {
			continue
		}
		if err := f.p.Pause(ctx, n); err != nil {
			// It may still have taken effect (say, the context ended after
			// the request went out): Stop tries to resume it anyway.
			errs = append(errs, err)
			f.maybe[n] = true
			continue
		}
		f.procs.paused[n] = true
		v.Nodes = append(v.Nodes, n)
	}
	return v, errors.Join(errs...)
}

// Stop resumes every frozen node that is still frozen (a node killed
// while frozen is restarted by the kill fault instead).
func (f *pause) Stop(ctx context.Context) (any, error) {
	f.procs.mu.Lock()
	defer f.procs.mu.Unlock()
	var errs []error
	resumed := []string{}
	for _, n := range sortedKeys(f.procs.paused) {
		if err := f.p.Resume(ctx, n); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(f.procs.paused, n)
		delete(f.maybe, n)
		resumed = append(resumed, n)
	}
	for _, n := range sortedKeys(f.maybe) {
		if !f.procs.down[n] && f.p.Resume(ctx, n) == nil {
			resumed = append(resumed, n)
		}
		delete(f.maybe, n) // an error here means it was not frozen
	}
	return resumed, errors.Join(errs...)
}
