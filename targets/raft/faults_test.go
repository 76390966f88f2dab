package raft

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-io/faultline/targets/nodeclock"
)

// TestClockControlSurvivesRestart skews the leader's clock in a running
// Docker cluster, reads it back through the node's /admin/clock, then
// kills and restarts the node and checks that it got its skewed clock
// back (the restarted process starts at real time), and that reset works.
func TestClockControlSurvivesRestart(t *testing.T) {
	tg := startCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lead, err := tg.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Clock(ctx, lead, nodeclock.Command{Op: nodeclock.OpBump, Delta: nodeclock.Duration(-90 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Clock(ctx, lead, nodeclock.Command{Op: nodeclock.OpRate, Rate: 0.5}); err != nil {
		t.Fatal(err)
	}
	st, err := tg.ClockState(ctx, lead)
	if err != nil || st.Rate != 0.5 || st.Offset > nodeclock.Duration(-90*time.Second) {
		t.Fatalf("%s after bump and rate: %+v, %v", lead, st, err)
	}
	t.Logf("%s clock: offset %v, rate %v (now %v, real %v)", lead, st.Offset, st.Rate, st.Now.Format(time.TimeOnly), st.Real.Format(time.TimeOnly))
	if err := tg.Kill(ctx, lead); err != nil {
		t.Fatal(err)
	}
	// A command for a node that is down is kept for its restart.
	if _, err := tg.Clock(ctx, lead, nodeclock.Command{Op: nodeclock.OpBump, Delta: nodeclock.Duration(-10 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := tg.Restart(ctx, lead); err != nil {
		t.Fatal(err)
	}
	st, err = nodeclock.Get(ctx, nil, "http://"+tg.nodeAddr(lead))
	if err != nil || st.Rate != 0.5 || st.Base > nodeclock.Duration(-100*time.Second) || st.Base < nodeclock.Duration(-110*time.Second) {
		t.Fatalf("restarted %s: %+v, %v; want rate 0.5 and about -100s", lead, st, err)
	}
	if _, err := tg.Clock(ctx, lead, nodeclock.Command{Op: nodeclock.OpReset}); err != nil {
		t.Fatal(err)
	}
	if st, err := tg.ClockState(ctx, lead); err != nil || st.Offset != 0 || st.Rate != 1 {
		t.Fatalf("after reset: %+v, %v", st, err)
	}
	if err := tg.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
}

func (t *Target) nodeAddr(name string) string {
	for _, n := range t.Nodes() {
		if n.Name == name {
			return n.Addr
		}
	}
	return ""
}
