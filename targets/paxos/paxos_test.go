package paxos

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-io/faultline/internal/testenv"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/nodeclock"
)

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		opts targets.Options
		ok   bool
	}{
		{nil, true},
		{targets.Options{"bug": "amnesia"}, true},
		{targets.Options{"bug": "none"}, true},
		{targets.Options{"bug": "stale-read"}, false},
		{targets.Options{"op-timeout": "500ms"}, true},
		{targets.Options{"op-timeout": "soon"}, false},
		{targets.Options{"op-timeout": "1ns"}, false},
		{targets.Options{"tick": "1s"}, false},
	} {
		_, err := targets.New("paxos", targets.Setup{RunID: "x", Nodes: 3}, tc.opts)
		if (err == nil) != tc.ok {
			t.Errorf("options %v: err = %v", tc.opts, err)
		}
	}
	info, ok := targets.Lookup("paxos")
	if !ok || len(info.Bugs) < 4 {
		t.Fatalf("paxos registered with bugs %v", info.Bugs)
	}
	for _, b := range info.Bugs {
		if b.Help == "" || len(b.Nemesis) == 0 {
			t.Errorf("bug %s lacks help or faults", b.Name)
		}
	}
}

func retry(t *testing.T, ctx context.Context, what string, f func(context.Context) error) {
	t.Helper()
	var err error
	for ctx.Err() == nil {
		octx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = f(octx)
		cancel()
		if err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}

// TestKillRestartPartitionAndClock drives a real 3-node cluster: data
// survives SIGKILL of two nodes, a cut-off node cannot write, and a
// clock skew is re-imposed on a restarted node.
func TestKillRestartPartitionAndClock(t *testing.T) {
	testenv.RequireDocker(t)
	testenv.NodeBinary(t)
	tg, err := New(targets.Setup{RunID: testenv.RunID(t), Nodes: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	px := tg.(*Target)
	t.Cleanup(func() {
		if err := px.Teardown(context.Background()); err != nil {
			t.Errorf("teardown: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t0 := time.Now()
	step := func(what string) { t.Logf("%6.1fs %s", time.Since(t0).Seconds(), what) }
	if err := px.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	step("cluster healthy")
	nodes := px.Nodes()
	c := make([]*kvhttp.Client, len(nodes))
	for i, n := range nodes {
		c[i] = kvhttp.NewClient(n.Addr)
		defer c[i].Close()
	}
	if err := c[0].Write(ctx, "x", 42); err != nil {
		t.Fatalf("write: %v", err)
	}

	// Two of three die at once: the value lives only in their journals.
	if _, err := px.Clock(ctx, "n2", nodeclock.Command{Op: nodeclock.OpBump, Delta: nodeclock.Duration(3 * time.Second)}); err != nil {
		t.Fatalf("clock: %v", err)
	}
	for _, n := range []string{"n1", "n2"} {
		if err := px.Kill(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	step("killed n1, n2")
	for _, n := range []string{"n1", "n2"} {
		if err := px.Restart(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	step("restarted n1, n2")
	st, err := px.ClockState(ctx, "n2")
	if err != nil || st.Offset < nodeclock.Duration(2*time.Second) {
		t.Errorf("n2's clock after a restart: offset %v, %v; want the 3s bump back", st.Offset, err)
	}
	// n3 is cut off: the restarted pair alone must remember x.
	if err := px.Partition(ctx, targets.Grudge{"n3": {"n1", "n2"}, "n1": {"n3"}, "n2": {"n3"}}); err != nil {
		t.Fatal(err)
	}
	step("partitioned n3")
	retry(t, ctx, "read through a restarted node", func(ctx context.Context) error {
		v, found, err := c[0].Read(ctx, "x")
		if err == nil && (!found || v != 42) {
			t.Fatalf("after SIGKILL of two nodes x = %d (found %v), want 42", v, found)
		}
		return err
	})
	if err := c[2].Write(ctx, "x", 7); err == nil || !targets.IsDefinite(err) {
		t.Errorf("write through the cut-off node: %v, want a definite failure", err)
	}
	if err := px.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := px.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
	step("healed")
	if v, found, err := c[2].Read(ctx, "x"); err != nil || !found || v != 42 {
		t.Errorf("healed n3 reads %d, %v, %v", v, found, err)
	}
	if d := px.Describe(); d["nodes"] == "" || d["image"] == "" {
		t.Errorf("describe: %v", d)
	}
	if err := px.CollectLogs(ctx, t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
