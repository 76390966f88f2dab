package nemesis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/faultline-io/faultline/harness/history"
)

// actionTimeout bounds one fault action (a kill, a partition of every node).
const actionTimeout = time.Minute

// Schedule decides when faults start and stop, and records each action.
//
// Like Jepsen's combined nemesis package, every fault class runs its own
// loop (wait, start, hold, stop, …) with random times around Interval, so
// faults of different classes overlap while a class never overlaps with
// itself.
type Schedule struct {
	Faults   []Fault
	Interval time.Duration // mean time a fault is held, and mean quiet time between a class's faults
	// Options are the nemesis options; NAME-hold and NAME-quiet override
	// Interval for fault class NAME (see HoldSuffix).
	Options map[string]string
	Warmup  time.Duration // quiet time before the first fault
	Rand    *rand.Rand
	History *history.Recorder
	Logf    func(format string, args ...any)

	mu   sync.Mutex
	errs []error
}

// Prepare runs each fault's Prepare (see Preparer) on the running
// cluster, records what it found, and returns the errors of faults that
// cannot work as configured. Call it after the target started and before
// Run.
func (s *Schedule) Prepare(ctx context.Context) error {
	var errs []error
	for _, f := range s.Faults {
		p, ok := f.(Preparer)
		if !ok {
			continue
		}
		name := p.PrepareF()
		s.History.Append(history.Op{Process: history.NemesisProcess, Type: history.Info, F: name})
		v, err := p.Prepare(ctx)
		done := history.Op{Process: history.NemesisProcess, Type: history.Info, F: name, Value: encode(v)}
		if err != nil {
			done.Error = err.Error()
			errs = append(errs, err)
		}
		s.History.Append(done)
		s.logf("nemesis %s %s%s", name, done.Value, errSuffix(err))
	}
	return errors.Join(errs...)
}

// Run injects faults until ctx is done. It returns only when ctx ends
// and every class's loop has finished its current action; failed actions
// are recorded in the history and returned by Errors.
func (s *Schedule) Run(ctx context.Context) {
	if len(s.Faults) == 0 {
		return
	}
	if !sleep(ctx, s.Warmup) {
		return
	}
	var wg sync.WaitGroup
	for i, f := range s.Faults {
		// Each loop has its own random stream (rand.Rand is not safe for
		// concurrent use), drawn in a fixed order from the schedule's.
		rng := rand.New(rand.NewPCG(s.Rand.Uint64(), uint64(i)))
		hold, quiet := s.phases(f)
		// Stagger the classes' first faults over one quiet time.
		first := time.Duration(rng.Int64N(int64(quiet) + 1))
		wg.Go(func() { s.loop(ctx, f, rng, first, hold, quiet) })
	}
	wg.Wait()
}

func (s *Schedule) loop(ctx context.Context, f Fault, rng *rand.Rand, first, hold, quiet time.Duration) {
	if !sleep(ctx, first) {
		return
	}
	for {
		if !s.do(ctx, f, true) {
			return
		}
		if !sleep(ctx, jitter(rng, hold)) {
			return // HealAll stops it
		}
		s.do(ctx, f, false)
		if !sleep(ctx, jitter(rng, quiet)) {
			return
		}
	}
}

// phases returns the mean hold and quiet times of f's class: its
// NAME-hold and NAME-quiet options, else Interval.
func (s *Schedule) phases(f Fault) (hold, quiet time.Duration) {
	hold, quiet = s.Interval, s.Interval
	if d, err := time.ParseDuration(s.Options[f.Name()+HoldSuffix]); err == nil && d > 0 {
		hold = d
	}
	if d, err := time.ParseDuration(s.Options[f.Name()+QuietSuffix]); err == nil && d > 0 {
		quiet = d
	}
	return hold, quiet
}

// jitter draws a duration uniformly from [0.5, 1.5) × mean.
func jitter(rng *rand.Rand, mean time.Duration) time.Duration {
	return mean/2 + time.Duration(rng.Int64N(int64(mean)+1))
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
		s.mu.Lock()
		s.errs = append(s.errs, fmt.Errorf("%s: %w", name, err))
		s.mu.Unlock()
	}
	s.History.Append(done)
	s.logf("nemesis %s %s%s", name, done.Value, errSuffix(err))
	return true
}

// healOrder is the order of the final heal, as Jepsen's final generators:
// network first, then clocks, then processes (resume before restart, so a
// node paused and killed comes back running).
var healOrder = map[string]int{"partition": 0, "packet": 1, "clock": 2, "pause": 3, "kill": 4}

// HealAll stops every fault, active or not, so that every fault class is
// healed before the final reads (Jepsen's final generators). Call it
// after Run returned, with a context that is still live even when the
// run was interrupted.
func (s *Schedule) HealAll(ctx context.Context) error {
	faults := append([]Fault(nil), s.Faults...)
	sort.SliceStable(faults, func(i, j int) bool { return rank(faults[i]) < rank(faults[j]) })
	var errs []error
	for _, f := range faults {
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
	return errors.Join(errs...)
}

func rank(f Fault) int {
	if r, ok := healOrder[f.Name()]; ok {
		return r
	}
	return len(healOrder)
}

// Errors returns the fault actions that failed during Run.
func (s *Schedule) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

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
