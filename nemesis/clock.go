package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/nodeclock"
)

// Clock fault operations.
const (
	ClockBump   = "bump"   // step the wall clock by ±d
	ClockStrobe = "strobe" // flip the wall clock back and forth for a while
	ClockDrift  = "drift"  // run the clock slow or fast (timers follow)
)

var clockOps = []string{ClockBump, ClockStrobe, ClockDrift}

func init() {
	Register(Info{
		Name:    "clock",
		Summary: "skew node clocks without touching the host's: bump (jump ±), strobe (flip back and forth), drift (run slow/fast), then reset",
		Options: []OptionSpec{
			{Name: "clock", Default: strings.Join(clockOps, ","), Help: "clock operations to draw from: bump, strobe, drift", Check: checkList(clockOps)},
			{Name: "clock-targets", Default: defaultProcSpecs, Help: "node specs to draw from: " + strings.Join(nodeSpecs, ", "), Check: checkList(nodeSpecs)},
			{Name: "clock-max-bump", Default: "5m", Help: "largest bump; bumps are ±1.5^U(6,31) ms as Jepsen's, capped here", Check: checkDuration(time.Millisecond, 24*time.Hour)},
			{Name: "clock-min-rate", Default: "2", Help: "drift runs a clock at a factor from this to clock-max-rate, slow (÷) or fast (×)", Check: checkFloat(1.01, nodeclock.MaxRate)},
			{Name: "clock-max-rate", Default: "10", Help: "drift runs a clock at a factor from clock-min-rate to this, slow (÷) or fast (×)", Check: checkFloat(1.01, nodeclock.MaxRate)},
			{Name: "clock-drift", Default: "both", Help: "which way drift goes: slow, fast or both (at random)", Check: checkList([]string{"slow", "fast", "both"})},
		},
	}, newClock)
}

type clockFault struct {
	c       targets.ClockController
	nodes   []string
	t       *targeter
	rng     *rand.Rand
	ops     []string
	maxBump time.Duration
	minRate float64
	maxRate float64
	drift   string // slow, fast or both
}

// ClockReading is one node's clock as the history records it.
type ClockReading struct {
	Offset string  `json:"offset"` // skewed minus real, e.g. "-1.5s"
	Rate   float64 `json:"rate"`
	Strobe bool    `json:"strobe,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// ClockValue is what the history records for a clock action.
type ClockValue struct {
	Op      string                  `json:"op"`
	Spec    string                  `json:"spec,omitempty"`
	Command *nodeclock.Command      `json:"command,omitempty"`
	Clocks  map[string]ClockReading `json:"clocks"`
}

func newClock(env Env) (Fault, error) {
	c, ok := env.Target.(targets.ClockController)
	if !ok {
		return nil, unsupported("clock", env.Target, "its nodes do not take their time from a controllable clock (see docs/faults.md for the libfaketime route)")
	}
	t, err := newTargeter(env, "clock", "clock-targets")
	if err != nil {
		return nil, err
	}
	f := &clockFault{c: c, nodes: env.Nodes, t: t, rng: env.Rand, ops: splitList(env.opt("clock"))}
	for _, op := range f.ops {
		if !slices.Contains(clockOps, op) {
			return nil, fmt.Errorf("option clock: unknown operation %q (have: %s)", op, strings.Join(clockOps, ", "))
		}
	}
	if f.maxBump, err = time.ParseDuration(env.opt("clock-max-bump")); err != nil || f.maxBump <= 0 {
		return nil, fmt.Errorf("option clock-max-bump=%q: want a positive duration", env.opt("clock-max-bump"))
	}
	var err1, err2 error
	f.minRate, err1 = strconv.ParseFloat(env.opt("clock-min-rate"), 64)
	f.maxRate, err2 = strconv.ParseFloat(env.opt("clock-max-rate"), 64)
	if err1 != nil || err2 != nil || f.minRate <= 1 || f.maxRate < f.minRate || f.maxRate > nodeclock.MaxRate {
		return nil, fmt.Errorf("options clock-min-rate=%q, clock-max-rate=%q: want 1 < min ≤ max ≤ %v",
			env.opt("clock-min-rate"), env.opt("clock-max-rate"), nodeclock.MaxRate)
	}
	switch f.drift = env.opt("clock-drift"); f.drift {
	case "slow", "fast", "both":
	default:
		return nil, fmt.Errorf("option clock-drift=%q: want slow, fast or both", f.drift)
	}
	return f, nil
}

func (*clockFault) Name() string     { return "clock" }
func (*clockFault) StartF() string   { return "clock" }
func (*clockFault) StopF() string    { return "reset-clock" }
func (*clockFault) PrepareF() string { return "check-clock-offsets" }

// Prepare reads every node's clock, so a target whose clock control does
// not answer is refused before the load starts.
func (f *clockFault) Prepare(ctx context.Context) (any, error) {
	v := ClockValue{Op: "check", Clocks: map[string]ClockReading{}}
	var errs []error
	for _, n := range f.nodes {
		st, err := f.c.ClockState(ctx, n)
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n, err))
			v.Clocks[n] = ClockReading{Error: err.Error()}
			continue
		}
		v.Clocks[n] = reading(st)
	}
	if len(errs) > 0 {
		return v, fmt.Errorf("clock control does not work: %w", errors.Join(errs...))
	}
	return v, nil
}

func reading(st nodeclock.State) ClockReading {
	return ClockReading{Offset: st.Offset.String(), Rate: st.Rate, Strobe: st.Strobe != nil}
}

// command draws one clock command.
func (f *clockFault) command() nodeclock.Command {
	switch f.ops[f.rng.IntN(len(f.ops))] {
	case ClockBump:
		// Jepsen's bump-gen: ±1.5^(6+U[0,25)) ms, exponentially spread
		// from ~11 ms to ~288 s.
		d := time.Duration(math.Pow(1.5, 6+25*f.rng.Float64()) * float64(time.Millisecond))
		d = min(d, f.maxBump)
		if f.rng.IntN(2) == 0 {
			d = -d
		}
		return nodeclock.Command{Op: nodeclock.OpBump, Delta: nodeclock.Duration(d)}
	case ClockStrobe:
		// Jepsen's strobe-gen: delta 2^(2+U[0,16)) ms, period 2^U[0,10) ms,
		// duration U[0,32) s.
		delta := time.Duration(math.Pow(2, 2+16*f.rng.Float64()) * float64(time.Millisecond))
		period := time.Duration(math.Pow(2, 10*f.rng.Float64()) * float64(time.Millisecond))
		dur := time.Duration((0.5 + 31.5*f.rng.Float64()) * float64(time.Second))
		return nodeclock.Command{Op: nodeclock.OpStrobe, Delta: nodeclock.Duration(min(delta, f.maxBump)),
			Period: nodeclock.Duration(period), Duration: nodeclock.Duration(dur)}
	default: // drift
		factor := math.Exp(math.Log(f.minRate) + f.rng.Float64()*(math.Log(f.maxRate)-math.Log(f.minRate)))
		rate := factor
		if f.drift == "slow" || f.drift == "both" && f.rng.IntN(2) == 0 {
			rate = 1 / factor
		}
		rate = math.Round(rate*1000) / 1000
		return nodeclock.Command{Op: nodeclock.OpRate, Rate: rate}
	}
}

func (f *clockFault) Start(ctx context.Context) (any, error) {
	spec, nodes := f.t.draw(ctx)
	cmd := f.command()
	v := ClockValue{Op: cmd.Op, Spec: spec, Command: &cmd, Clocks: map[string]ClockReading{}}
	var errs []error
	for _, n := range nodes {
		st, err := f.c.Clock(ctx, n, cmd)
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n, err))
			v.Clocks[n] = ClockReading{Error: err.Error()}
			continue
		}
		v.Clocks[n] = reading(st)
	}
	return v, errors.Join(errs...)
}

// Stop resets every node's clock (Jepsen's reset-clock of all nodes).
func (f *clockFault) Stop(ctx context.Context) (any, error) {
	v := ClockValue{Op: nodeclock.OpReset, Clocks: map[string]ClockReading{}}
	var errs []error
	for _, n := range f.nodes {
		st, err := f.c.Clock(ctx, n, nodeclock.Command{Op: nodeclock.OpReset})
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n, err))
			v.Clocks[n] = ClockReading{Error: err.Error()}
			continue
		}
		v.Clocks[n] = reading(st)
	}
	return v, errors.Join(errs...)
}
