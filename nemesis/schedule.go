package nemesis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/faultline-io/faultline/harness/history"
)

// actionTimeout bounds one fault action (a kill, a partition of every node).
const actionTimeout = time.Minute

// Schedule decides when faults start and stop, and records each action.
type Schedule struct {
	Faults   []Fault
	Interval time.Duration // mean time a fault is held, and mean quiet time between faults
	Warmup   time.Duration // quiet time before the first fault
	Rand     *rand.Rand
	History  *history.Recorder
	Logf     func(format string, args ...any)

	active map[Fault]bool
	errs   []error
}

// Run injects faults until ctx is done. Faults go in rounds: each round
// runs every fault once, in a shuffled order, so a short run still sees
// every kind. It returns only when ctx ends; failed actions are recorded
// in the history and returned by Errors.
func (s *Schedule) Run(ctx context.Context) {
	if len(s.Faults) == 0 {
		return
	}
	if s.active == nil {
		s.active = map[Fault]bool{}
	}
	if !sleep(ctx, s.Warmup) {
		return
	}
	for {
		for _, i := range s.Rand.Perm(len(s.Faults)) {
			f := s.Faults[i]
			if !s.do(ctx, f, true) {
				return
			}
			s.active[f] = true
			if !sleep(ctx, s.jitter()) {
				return
			}
			s.do(ctx, f, false)
			delete(s.active, f)
			if !sleep(ctx, s.jitter()) {
				return
			}
		}
	}
}

// jitter draws a duration uniformly from [0.5, 1.5) × Interval.
func (s *Schedule) jitter() time.Duration {
	return s.Interval/2 + time.Duration(s.Rand.Int64N(int64(s.Interval)+1))
}

// do runs one action and records it; it returns false if ctx ended
// before the action could start.
func (s *Schedule) do(ctx context.Context, f Fault, start bool) bool {
	if ctx.Err() != nil {
		return false
	}
	name, act := f.StopF(), f.Stop
	if start {
		name, act = f.StartF(), f.Start
	}
	s.History.Append(history.Op{Process: history.NemesisProcess, Type: history.Info, F: name})
	// An action that has begun runs to its end even when the time limit
	// falls meanwhile: a kill cut short could leave a node dead that the
	// fault no longer knows to restart.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), actionTimeout)
	v, err := act(actx)
	cancel()
	done := history.Op{Process: history.NemesisProcess, Type: history.Info, F: name, Value: encode(v)}
	if err != nil {
		done.Error = err.Error()
		s.errs = append(s.errs, fmt.Errorf("%s: %w", name, err))
	}
	s.History.Append(done)
	s.logf("nemesis %s %s%s", name, done.Value, errSuffix(err))
	return true
}

// HealAll stops every fault, active or not, so that every fault class is
// healed before the final reads (Jepsen's final :stop of each nemesis).
// Use a context that is still live even when the run was interrupted.
func (s *Schedule) HealAll(ctx context.Context) error {
	var errs []error
	for _, f := range s.Faults {
		name := f.StopF()
		s.History.Append(history.Op{Process: history.NemesisProcess, Type: history.Info, F: name})
		v, err := f.Stop(ctx)
		done := history.Op{Process: history.NemesisProcess, Type: history.Info, F: name, Value: encode(v)}
		if err != nil {
			done.Error = err.Error()
			errs = append(errs, fmt.Errorf("heal %s: %w", f.Name(), err))
		}
		s.History.Append(done)
		s.logf("nemesis %s %s%s (final heal)", name, done.Value, errSuffix(err))
	}
	s.active = nil
	return errors.Join(errs...)
}

// Errors returns the fault actions that failed during Run.
func (s *Schedule) Errors() []error { return s.errs }

func (s *Schedule) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (error: " + err.Error() + ")"
}

func encode(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return history.MustValue(fmt.Sprint(v))
	}
	return b
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
