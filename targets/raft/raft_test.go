package raft

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/faultline-io/faultline/internal/testenv"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/kvhttp"
)

func startCluster(tb testing.TB, nodes int) *Target {
	tb.Helper()
	testenv.RequireDocker(tb)
	testenv.NodeBinary(tb)
	tg, err := New(targets.Setup{RunID: testenv.RunID(tb), Nodes: nodes}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	t := tg.(*Target)
	tb.Cleanup(func() {
		if err := t.Teardown(context.Background()); err != nil {
			tb.Errorf("teardown: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := t.Start(ctx); err != nil {
		tb.Fatalf("start: %v", err)
	}
	return t
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		opts targets.Options
		ok   bool
	}{
		{nil, true},
		{targets.Options{"bug": "stale-read"}, true},
		{targets.Options{"bug": "none"}, true},
		{targets.Options{"bug": "gremlins"}, false},
		{targets.Options{"tick": "20ms"}, true},
		{targets.Options{"tick": "fast"}, false},
		{targets.Options{"tick": "1ns"}, false},
	} {
		_, err := targets.New("raft", targets.Setup{RunID: "x", Nodes: 3}, tc.opts)
		if (err == nil) != tc.ok {
			t.Errorf("options %v: err = %v", tc.opts, err)
		}
	}
}

// TestKillLeaderKeepsData writes through one node, SIGKILLs the leader and
// reads the value back through the survivors and the restarted node.
func TestKillLeaderKeepsData(t *testing.T) {
	tg := startCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nodes := tg.Nodes()
	c := kvhttp.NewClient(nodes[0].Addr)
	defer c.Close()
	if err := c.Write(ctx, "x", 42); err != nil {
		t.Fatalf("write: %v", err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leader := nodes[st.Leader-1].Name
	if err := tg.Kill(ctx, leader); err != nil {
		t.Fatal(err)
	}
	var survivor targets.Node
	for _, n := range nodes {
		if n.Name != leader {
			survivor = n
		}
	}
	sc := kvhttp.NewClient(survivor.Addr)
	defer sc.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rctx, rcancel := context.WithTimeout(ctx, time.Second)
		v, found, err := sc.Read(rctx, "x")
		rcancel()
		if err == nil {
			if !found || v != 42 {
				t.Fatalf("read after leader kill = %d, %v", v, found)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no read after leader %s died: %v", leader, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := tg.Restart(ctx, leader); err != nil {
		t.Fatal(err)
	}
	if err := tg.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
	lc := kvhttp.NewClient(nodes[st.Leader-1].Addr)
	defer lc.Close()
	if v, found, err := lc.Read(ctx, "x"); err != nil || !found || v != 42 {
		t.Fatalf("restarted %s reads %d, %v, %v", leader, v, found, err)
	}
	logs := t.TempDir()
	if err := tg.CollectLogs(ctx, logs); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkColdStart5 measures a 5-node cluster from nothing (network,
// containers, processes) until every node agrees on a leader; the node
// image is already built. It reports the median.
func BenchmarkColdStart5(b *testing.B) {
	testenv.RequireDocker(b)
	testenv.NodeBinary(b)
	var times []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tg, err := New(targets.Setup{RunID: testenv.RunID(b), Nodes: 5}, nil)
		if err != nil {
			b.Fatal(err)
		}
		t := tg.(*Target)
		ctx := context.Background()
		if i == 0 {
			// Build the image outside the measurement.
			if err := t.Start(ctx); err != nil {
				b.Fatal(err)
			}
			t.Teardown(ctx)
			t, _ = func() (*Target, error) {
				tg, err := New(targets.Setup{RunID: testenv.RunID(b), Nodes: 5}, nil)
				return tg.(*Target), err
			}()
		}
		b.StartTimer()
		start := time.Now()
		err = t.Start(ctx)
		d := time.Since(start)
		b.StopTimer()
		t.Teardown(ctx)
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, d)
		b.StartTimer()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(times[len(times)/2].Seconds(), "s-median")
	b.ReportMetric(times[len(times)-1].Seconds(), "s-max")
}
