package nodeclock

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestBumpMovesNowNotElapsed(t *testing.T) {
	c := New()
	before := c.Elapsed()
	c.Bump(-90 * time.Second)
	st := c.State()
	if st.Offset != Duration(-90*time.Second) || st.Base != st.Offset || st.Rate != 1 {
		t.Fatalf("after bump: %+v", st)
	}
	if d := st.Now.Sub(st.Real); d != -90*time.Second {
		t.Fatalf("Now-Real = %v", d)
	}
	if c.Elapsed() < before {
		t.Fatalf("Elapsed went back after a bump: %v < %v", c.Elapsed(), before)
	}
	c.Bump(30 * time.Second)
	if got := c.State().Offset; got != Duration(-60*time.Second) {
		t.Fatalf("bumps do not add up: %v", got)
	}
	c.Reset()
	if st := c.State(); st.Offset != 0 || st.Rate != 1 || st.Strobe != nil {
		t.Fatalf("after reset: %+v", st)
	}
}

func TestRateAccumulatesDriftAndKeepsIt(t *testing.T) {
	c := New()
	if err := c.SetRate(0.5); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	time.Sleep(20 * time.Millisecond)
	st := c.State()
	real := time.Since(t0)
	// At rate 0.5 the clock loses half of the real time that passed
	// (between the two reads around it).
	if st.Base > Duration(-10*time.Millisecond) || st.Base < Duration(-real/2-time.Millisecond) {
		t.Fatalf("drift %v after %v real at rate 0.5", st.Base, real)
	}
	if err := c.SetRate(1); err != nil {
		t.Fatal(err)
	}
	kept := c.State().Base
	time.Sleep(5 * time.Millisecond)
	if again := c.State().Base; again != kept || kept > st.Base {
		t.Fatalf("offset changed at rate 1: %v then %v", kept, again)
	}
	for _, bad := range []float64{0, -1, MaxRate * 2} {
		if err := c.SetRate(bad); err == nil {
			t.Errorf("SetRate(%v) accepted", bad)
		}
	}
}

func TestTickerFollowsAFastRate(t *testing.T) {
	c := New()
	if err := c.SetRate(MaxRate); err != nil {
		t.Fatal(err)
	}
	// Three ticks of 10 s clock time take 30 ms at rate 1000, and 30 s if
	// the rate were ignored.
	tk := c.NewTicker(10 * time.Second)
	defer tk.Stop()
	deadline := time.After(8 * time.Second)
	for i := 0; i < 3; i++ {
		select {
		case <-tk.C:
		case <-deadline:
			t.Fatalf("only %d ticks: the ticker ignores the rate", i)
		}
	}
	if c.Elapsed() < 30*time.Second {
		t.Fatalf("three 10s ticks but Elapsed = %v", c.Elapsed())
	}
}

func TestTimerReplansWhenTheRateChanges(t *testing.T) {
	c := New()
	if err := c.SetRate(MinRate); err != nil {
		t.Fatal(err)
	}
	tm := c.NewTimer(100 * time.Millisecond) // 100 s of real time at this rate
	select {
	case <-tm.C:
		t.Fatal("a 100ms timer fired within 50ms real at rate 0.001")
	case <-time.After(50 * time.Millisecond):
	}
	if err := c.SetRate(MaxRate); err != nil {
		t.Fatal(err)
	}
	select {
	case <-tm.C:
	case <-time.After(8 * time.Second):
		t.Fatal("the timer did not re-plan after the rate went up")
	}
	if tm.Stop() {
		t.Fatal("Stop after firing reported an active timer")
	}
}

func TestTimerStopAndReset(t *testing.T) {
	c := New()
	tm := c.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer reported inactive")
	}
	if tm.Reset(time.Millisecond) {
		t.Fatal("Reset of a stopped timer reported active")
	}
	select {
	case <-tm.C:
	case <-time.After(8 * time.Second):
		t.Fatal("reset timer never fired")
	}
	tm.Reset(time.Hour)
	tm.Stop()
	select {
	case v := <-tm.C:
		t.Fatalf("stale value %v after Stop", v)
	default:
	}
}

func TestSleepHonoursContext(t *testing.T) {
	c := New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep = %v", err)
	}
	if err := c.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func TestStrobeFlipsThenStops(t *testing.T) {
	c := New()
	if err := c.Strobe(time.Hour, time.Millisecond, time.Minute); err != nil {
		t.Fatal(err)
	}
	seen := map[Duration]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(seen) < 2 && time.Now().Before(deadline) {
		st := c.State()
		if st.Strobe == nil || st.Base != 0 {
			t.Fatalf("while strobing: %+v", st)
		}
		seen[st.Offset] = true
		time.Sleep(300 * time.Microsecond)
	}
	if !seen[0] || !seen[Duration(time.Hour)] || len(seen) != 2 {
		t.Fatalf("strobe offsets seen: %v", seen)
	}
	if err := c.Strobe(time.Hour, time.Millisecond, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Millisecond)
	if st := c.State(); st.Strobe != nil || st.Offset != 0 {
		t.Fatalf("strobe did not end: %+v", st)
	}
	if err := c.Strobe(time.Second, 0, time.Second); err == nil {
		t.Fatal("zero period accepted")
	}
}

func TestSetImposesStateForARestartedNode(t *testing.T) {
	c := New()
	st, err := c.Apply(Command{Op: OpSet, Offset: Duration(-3 * time.Second), Rate: 0.5, Delta: Duration(time.Second), Period: Duration(time.Second), Duration: Duration(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Base > Duration(-3*time.Second) || st.Base < Duration(-3*time.Second-time.Second) || st.Rate != 0.5 || st.Strobe == nil {
		t.Fatalf("after set: %+v", st)
	}
	if _, err := c.Apply(Command{Op: OpSet, Period: Duration(time.Second)}); err == nil {
		t.Fatal("set with a strobe period and no duration accepted")
	}
	if _, err := c.Apply(Command{Op: "warp"}); err == nil || !strings.Contains(err.Error(), "warp") {
		t.Fatalf("unknown op: %v", err)
	}
}

func TestHandlerRoundTrip(t *testing.T) {
	c := New()
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	// The node mounts the handler at Path; here it serves every path.
	ctx := context.Background()
	st, err := Post(ctx, srv.Client(), srv.URL, Command{Op: OpBump, Delta: Duration(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Offset != Duration(2*time.Second) {
		t.Fatalf("posted bump, state %+v", st)
	}
	if _, err := Post(ctx, srv.Client(), srv.URL, Command{Op: OpRate, Rate: 0.25}); err != nil {
		t.Fatal(err)
	}
	got, err := Get(ctx, srv.Client(), srv.URL)
	if err != nil || got.Rate != 0.25 {
		t.Fatalf("get: %+v, %v", got, err)
	}
	if _, err := Post(ctx, srv.Client(), srv.URL, Command{Op: OpRate, Rate: -2}); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("bad rate over HTTP: %v", err)
	}
}

func TestDurationJSON(t *testing.T) {
	var cmd Command
	if err := json.Unmarshal([]byte(`{"op":"bump","delta":"-1.5s","period":250}`), &cmd); err != nil {
		t.Fatal(err)
	}
	if cmd.Delta != Duration(-1500*time.Millisecond) || cmd.Period != 250 {
		t.Fatalf("decoded %+v", cmd)
	}
	b, _ := json.Marshal(Command{Op: OpBump, Delta: Duration(time.Second)})
	if string(b) != `{"op":"bump","delta":"1s"}` {
		t.Fatalf("encoded %s", b)
	}
	if err := json.Unmarshal([]byte(`{"delta":"soon"}`), &cmd); err == nil {
		t.Fatal("bad duration accepted")
	}
}

func BenchmarkNow(b *testing.B) {
	c := New()
	_ = c.SetRate(0.9)
	for b.Loop() {
		_ = c.Now()
	}
}

func TestRemoteKeepsStateForNodesThatAreBack(t *testing.T) {
	node := New()
	srv := httptest.NewServer(node.Handler())
	defer srv.Close()
	ctx := context.Background()
	var r Remote
	if _, err := r.Apply(ctx, "n1", srv.URL, true, Command{Op: OpBump, Delta: Duration(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// The node is down: only the mirror changes.
	st, err := r.Apply(ctx, "n1", srv.URL, false, Command{Op: OpRate, Rate: 0.5})
	if err != nil || st.Rate != 0.5 || node.State().Rate != 1 {
		t.Fatalf("mirror %+v (%v), node %+v", st, err, node.State())
	}
	if got, _ := r.State(ctx, "n1", srv.URL, false); got.Rate != 0.5 {
		t.Fatalf("mirror state %+v", got)
	}
	node.Reset() // as a restarted process starts
	if err := r.Reimpose(ctx, "n1", srv.URL, true); err != nil {
		t.Fatal(err)
	}
	got, err := r.State(ctx, "n1", srv.URL, true)
	if err != nil || got.Rate != 0.5 || got.Base > Duration(time.Minute) || got.Base < Duration(time.Minute-time.Second) {
		t.Fatalf("re-imposed %+v, %v", got, err)
	}
	if err := r.Reimpose(ctx, "never-skewed", "http://127.0.0.1:1", true); err != nil {
		t.Fatalf("a node never skewed needs nothing: %v", err)
	}
	if _, err := r.Apply(ctx, "n1", srv.URL, true, Command{Op: OpRate, Rate: -1}); err == nil {
		t.Fatal("bad rate accepted")
	}
}
