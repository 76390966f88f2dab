package nodeclock

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// MaxRate and MinRate bound SetRate: beyond them a node's timers stop
// meaning anything (and a rate of 0 would stop them forever).
const (
	MinRate = 0.001
	MaxRate = 1000
)

// Clock is a skewable clock. The zero value is not usable; call New. All
// methods are safe for concurrent use.
type Clock struct {
	origin time.Time // real, with a monotonic reading
	p      atomic.Pointer[params]
	mu     sync.Mutex // serialises writers
}

// params is one immutable snapshot of the clock's settings. Times called
// e are real nanoseconds since the clock's origin.
type params struct {
	anchor int64   // e at which drift was folded in
	jump   int64   // ns added by Bump/Set
	drift  int64   // ns of drift accumulated up to anchor
	rate   float64 // clock seconds per real second

	strobeDelta  int64
	strobePeriod int64 // 0: no strobe
	strobeStart  int64 // e
	strobeUntil  int64 // e

	changed chan struct{} // closed when this snapshot is superseded
}

func (p *params) driftAt(e int64) int64 {
	if p.rate == 1 {
		return p.drift
	}
	return p.drift + int64(float64(e-p.anchor)*(p.rate-1))
}

func (p *params) strobing(e int64) bool {
	return p.strobePeriod > 0 && e >= p.strobeStart && e < p.strobeUntil
}

func (p *params) strobeAt(e int64) int64 {
	if p.strobing(e) && ((e-p.strobeStart)/p.strobePeriod)%2 == 1 {
		return p.strobeDelta
	}
	return 0
}

// New returns a clock that reads real time until told otherwise.
func New() *Clock {
	c := &Clock{origin: time.Now()}
	c.p.Store(&params{rate: 1, changed: make(chan struct{})})
	return c
}

func (c *Clock) real() (time.Time, int64) {
	now := time.Now()
	return now, int64(now.Sub(c.origin))
}

// Now is the skewed wall-clock reading: real time plus jump, drift and
// strobe. The result carries a monotonic reading shifted by the same
// amount, so differences between two Now values are differences of the
// skewed clock.
func (c *Clock) Now() time.Time {
	now, e := c.real()
	p := c.p.Load()
	return now.Add(time.Duration(p.jump + p.driftAt(e) + p.strobeAt(e)))
}

// Since is Now().Sub(t), for timestamps taken from this clock's Now.
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Elapsed is how much time this clock's oscillator has counted since New:
// it follows the rate and ignores jumps and the strobe. Leases and
// timeouts measured with it run slow on a slow clock.
func (c *Clock) Elapsed() time.Duration {
	_, e := c.real()
	return time.Duration(c.elapsedAt(c.p.Load(), e))
}

func (c *Clock) elapsedAt(p *params, e int64) int64 { return e + p.driftAt(e) }

// update publishes a new snapshot made by fn from a copy of the current
// one whose drift is folded in up to now, and wakes every waiter.
func (c *Clock) update(fn func(p *params, e int64) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.p.Load()
	_, e := c.real()
	n := *old
	n.drift = old.driftAt(e)
	n.anchor = e
	if err := fn(&n, e); err != nil {
		return err
	}
	n.changed = make(chan struct{})
	c.p.Store(&n)
	close(old.changed)
	return nil
}

// Bump steps the wall clock by d (negative: back in time). Timers are not
// affected.
func (c *Clock) Bump(d time.Duration) {
	_ = c.update(func(p *params, _ int64) error { p.jump += int64(d); return nil })
}

// SetRate makes the clock run at rate clock seconds per real second (0.5:
// half speed, 2: double) from now on, keeping the offset it has. Tickers
// and timers follow at once.
func (c *Clock) SetRate(rate float64) error {
	if err := checkRate(rate); err != nil {
		return err
	}
	return c.update(func(p *params, _ int64) error { p.rate = rate; return nil })
}

func checkRate(rate float64) error {
	if math.IsNaN(rate) || rate < MinRate || rate > MaxRate {
		return fmt.Errorf("clock rate %v out of range [%v, %v]", rate, MinRate, MaxRate)
	}
	return nil
}

// Strobe flips the wall-clock reading between its normal value and
// normal+delta every period, for duration, then stops by itself. A new
// strobe replaces one in progress.
func (c *Clock) Strobe(delta, period, duration time.Duration) error {
	if period <= 0 || duration <= 0 {
		return fmt.Errorf("strobe needs a positive period and duration, got %v and %v", period, duration)
	}
	return c.update(func(p *params, e int64) error {
		setStrobe(p, e, delta, period, duration)
		return nil
	})
}

func setStrobe(p *params, e int64, delta, period, duration time.Duration) {
	p.strobeDelta, p.strobePeriod = int64(delta), int64(period)
	p.strobeStart, p.strobeUntil = e, e+int64(duration)
}

// Set imposes an offset (jump plus drift, strobe excluded) and a rate, and
// cancels any strobe: what a controller re-applies to a restarted node.
func (c *Clock) Set(offset time.Duration, rate float64) error {
	_, err := c.Apply(Command{Op: OpSet, Offset: Duration(offset), Rate: rate})
	return err
}

// Reset returns the clock to real time: no offset, rate 1, no strobe.
// Timers keep the time they have already counted.
func (c *Clock) Reset() {
	_ = c.Set(0, 1) // cannot fail: rate 1 is in range
}

// State describes the clock at one instant.
type State struct {
	Now    time.Time `json:"now"`    // the clock's reading
	Real   time.Time `json:"real"`   // the real clock at the same instant
	Offset Duration  `json:"offset"` // Now − Real, strobe included
	// Base is the offset without the strobe (jump + drift): what Set
	// takes to re-impose it.
	Base   Duration     `json:"base"`
	Rate   float64      `json:"rate"`
	Strobe *StrobeState `json:"strobe,omitempty"` // while strobing
}

// StrobeState is a strobe in progress.
type StrobeState struct {
	Delta     Duration `json:"delta"`
	Period    Duration `json:"period"`
	Remaining Duration `json:"remaining"`
}

// State reads the clock.
func (c *Clock) State() State {
	now, e := c.real()
	p := c.p.Load()
	base := p.jump + p.driftAt(e)
	off := base + p.strobeAt(e)
	s := State{
		Now:    now.Add(time.Duration(off)).Round(0),
		Real:   now.Round(0),
		Offset: Duration(off),
		Base:   Duration(base),
		Rate:   p.rate,
	}
	if p.strobing(e) {
		s.Strobe = &StrobeState{Delta: Duration(p.strobeDelta), Period: Duration(p.strobePeriod), Remaining: Duration(p.strobeUntil - e)}
	}
	return s
}

// Ticker delivers the clock's reading on C every period of clock time
// (real period ÷ rate). Like time.Ticker it drops ticks a slow receiver
// misses.
type Ticker struct {
	C    <-chan time.Time
	stop chan struct{}
	once sync.Once
}

// NewTicker starts a ticker; it panics on a non-positive period, as
// time.NewTicker does.
func (c *Clock) NewTicker(period time.Duration) *Ticker {
	if period <= 0 {
		panic("nodeclock: non-positive interval for NewTicker")
	}
	ch := make(chan time.Time, 1)
	t := &Ticker{C: ch, stop: make(chan struct{})}
	go func() {
		next := int64(c.Elapsed() + period)
		for {
			now, ok := c.waitUntil(next, t.stop)
			if !ok {
				return
			}
			select {
			case ch <- c.Now():
			default:
			}
			next += int64(period)
			if next <= now {
				next = now + int64(period)
			}
		}
	}()
	return t
}

// Stop turns the ticker off; no tick is sent after it returns... except
// one already in the channel.
func (t *Ticker) Stop() { t.once.Do(func() { close(t.stop) }) }

// waitUntil blocks until the clock's Elapsed reaches target and returns it,
// re-planning whenever the rate changes; false when stop closes.
func (c *Clock) waitUntil(target int64, stop <-chan struct{}) (int64, bool) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		p := c.p.Load()
		_, e := c.real()
		now := c.elapsedAt(p, e)
		if now >= target {
			return now, true
		}
		wait := time.Duration(math.Ceil(float64(target-now) / p.rate))
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-stop:
			return 0, false
		case <-p.changed:
		case <-timer.C:
		}
	}
}

// Timer sends the clock's reading on C once d of clock time has passed.
// Stop and Reset leave no stale value in C (Go 1.23 timer semantics).
type Timer struct {
	C  <-chan time.Time
	c  *Clock
	ch chan time.Time

	mu     sync.Mutex
	gen    uint64
	stop   chan struct{}
	active bool
}

// NewTimer starts a timer for d of clock time.
func (c *Clock) NewTimer(d time.Duration) *Timer {
	ch := make(chan time.Time, 1)
	t := &Timer{C: ch, c: c, ch: ch}
	t.mu.Lock()
	t.arm(d)
	t.mu.Unlock()
	return t
}

// arm starts a wait; t.mu is held.
func (t *Timer) arm(d time.Duration) {
	t.gen++
	gen, stop := t.gen, make(chan struct{})
	t.stop, t.active = stop, true
	target := int64(t.c.Elapsed() + d)
	go func() {
		if _, ok := t.c.waitUntil(target, stop); !ok {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.gen != gen {
			return // stopped or reset meanwhile
		}
		t.active = false
		select {
		case t.ch <- t.c.Now():
		default:
		}
	}()
}

// disarm cancels a pending wait and drains C; t.mu is held. It reports
// whether the timer was active.
func (t *Timer) disarm() bool {
	was := t.active
	t.gen++
	if t.stop != nil {
		close(t.stop)
		t.stop = nil
	}
	t.active = false
	select {
	case <-t.ch:
	default:
	}
	return was
}

// Stop cancels the timer; it reports whether it was still pending.
func (t *Timer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.disarm()
}

// Reset restarts the timer for d of clock time; it reports whether it was
// still pending.
func (t *Timer) Reset(d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.disarm()
	t.arm(d)
	return was
}

// After is NewTimer(d).C.
func (c *Clock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C }

// Sleep waits d of clock time, or until ctx ends (then it returns ctx's
// error).
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if _, ok := c.waitUntil(int64(c.Elapsed()+d), ctx.Done()); !ok {
		return ctx.Err()
	}
	return nil
}

// ErrUnknownOp is returned by Apply for an op it does not know.
var ErrUnknownOp = errors.New("unknown clock op")
