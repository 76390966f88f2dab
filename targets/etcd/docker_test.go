package etcd_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness"
	"github.com/faultline-io/faultline/internal/testenv"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/etcd"
	_ "github.com/faultline-io/faultline/workloads" // the register workload
)

// requireImage makes sure the etcd image exists, building etcd when
// needed. Where etcd cannot be built at all (no Go toolchain, no module
// proxy) the test is skipped with the reason; a build that fails is a
// failure.
func requireImage(t testing.TB) {
	t.Helper()
	rt := testenv.Runtime(t)
	bin := testenv.NodeBinary(t) // the partition sidecars run it
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := etcd.PrepareImage(ctx, rt, t.Logf); err != nil {
		if errors.Is(err, etcd.ErrBuildUnavailable) {
			t.Skipf("skipping: etcd cannot be built on this machine: %v", err)
		}
		t.Fatal(err)
	}
	if _, err := rt.EnsureImage(ctx, bin); err != nil {
		t.Fatal(err)
	}
}

func startCluster(t *testing.T, nodes int, opts targets.Options) *etcd.Target {
	t.Helper()
	tg, err := etcd.New(targets.Setup{RunID: testenv.RunID(t), Nodes: nodes}, opts)
	if err != nil {
		t.Fatal(err)
	}
	et := tg.(*etcd.Target)
	t.Cleanup(func() {
		if err := et.Teardown(context.Background()); err != nil {
			t.Errorf("teardown: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := et.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	return et
}

// TestClusterOpsAndLeader drives a real 3-member cluster: register ops
// through the JSON API, leader discovery, and a killed leader replaced,
// restarted with its data and caught up.
func TestClusterOpsAndLeader(t *testing.T) {
	requireImage(t)
	et := startCluster(t, 3, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if v := et.Describe()["etcd_version"]; v != etcd.Version[1:] {
		t.Errorf("the cluster runs etcd %q, want %s", v, etcd.Version[1:])
	}
	nodes := et.Nodes()
	c := etcd.NewClient(nodes[0].Addr, false)
	defer c.Close()
	if _, found, err := c.Read(ctx, "x"); err != nil || found {
		t.Fatalf("read of a fresh key: found=%v err=%v", found, err)
	}
	if err := c.Write(ctx, "x", 1); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.CAS(ctx, "x", 2, 3); err != nil || ok {
		t.Fatalf("cas 2->3 on 1: %v %v", ok, err)
	}
	if ok, err := c.CAS(ctx, "x", 1, 2); err != nil || !ok {
		t.Fatalf("cas 1->2 on 1: %v %v", ok, err)
	}
	checkTxns(ctx, t, et)
	leader, err := et.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := et.Kill(ctx, leader); err != nil {
		t.Fatal(err)
	}
	var survivor targets.Node
	for _, n := range nodes {
		if n.Name != leader {
			survivor = n
		}
	}
	// The survivors elect a new leader among themselves.
	var next string
	for next == "" || next == leader {
		if ctx.Err() != nil {
			t.Fatalf("no new leader after killing %s (last: %q, %v)", leader, next, err)
		}
		next, err = et.Leader(ctx)
		time.Sleep(100 * time.Millisecond)
	}
	sc := etcd.NewClient(survivor.Addr, false)
	defer sc.Close()
	if err := sc.Write(ctx, "x", 7); err != nil {
		t.Fatalf("write with %s down: %v", leader, err)
	}
	if err := et.Restart(ctx, leader); err != nil {
		t.Fatal(err)
	}
	if err := et.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
	for _, serializable := range []bool{false, true} {
		var old targets.Node
		for _, n := range nodes {
			if n.Name == leader {
				old = n
			}
		}
		oc := etcd.NewClient(old.Addr, serializable)
		v, found, err := oc.Read(ctx, "x")
		oc.Close()
		if err != nil || !found || v != 7 {
			t.Errorf("read (serializable=%v) through the restarted %s: %d %v %v, want 7", serializable, leader, v, found, err)
		}
	}
}

// checkTxns runs transactions through two members: reads see their own
// writes, appends build lists, a transfer without funds aborts and writes
// nothing, and the other member sees what committed.
func checkTxns(ctx context.Context, t *testing.T, et *etcd.Target) {
	t.Helper()
	tg, err := et.NewTxnClient(et.Nodes()[1])
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	reads, err := tg.Txn(ctx, []targets.TxnOp{
		{F: targets.TxnAppend, Key: "l", Value: 1}, {F: targets.TxnAppend, Key: "l", Value: 2},
		{F: targets.TxnRead, Key: "l"}, {F: targets.TxnInit, Key: "a", Value: 5}, {F: targets.TxnInit, Key: "b", Value: 0},
		{F: targets.TxnRead, Key: "x"},
	})
	if err != nil {
		t.Fatalf("txn: %v", err)
	}
	if l := reads[2].List; !reads[2].IsList || len(l) != 2 || l[1] != 2 || reads[5].Int != 2 {
		t.Errorf("reads %+v, want [1 2] and x=2", reads)
	}
	_, err = tg.Txn(ctx, []targets.TxnOp{{F: targets.TxnAppend, Key: "l", Value: 3}, {F: targets.TxnTransfer, Key: "b", To: "a", Value: 1}})
	var ab *targets.TxnAbortedError
	if !errors.As(err, &ab) || !targets.IsDefinite(err) {
		t.Errorf("transfer without funds: %v, want a definite abort", err)
	}
	other, err := et.NewTxnClient(et.Nodes()[2])
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	reads, err = other.Txn(ctx, []targets.TxnOp{
		{F: targets.TxnTransfer, Key: "a", To: "b", Value: 2}, {F: targets.TxnRead, Key: "a"}, {F: targets.TxnRead, Key: "b"}, {F: targets.TxnRead, Key: "l"},
	})
	if err != nil {
		t.Fatalf("txn on another member: %v", err)
	}
	if reads[1].Int != 3 || reads[2].Int != 2 || len(reads[3].List) != 2 {
		t.Errorf("after the transfer: %+v, want a=3 b=2 l=[1 2]", reads)
	}
}

// TestListAppendRunValid is a short real list-append run against etcd
// with partitions: transactions through the optimistic path, checked by
// the Elle-style checker.
func TestListAppendRunValid(t *testing.T) {
	requireImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := harness.Run(ctx, harness.Config{
		Target: "etcd", Workload: "list-append", Nodes: 3, TimeLimit: 8 * time.Second,
		Nemesis: []string{"partition"}, NemesisInterval: time.Second,
		Seed: 1, Store: t.TempDir(), CheckTimeout: time.Minute, Log: testWriter{t},
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if rs := out.Results; rs.Valid != checker.Valid || rs.Stats.Client.OK < 50 {
		t.Fatalf("verdict %v with %d ok ops, want valid (run in %s): %+v", rs.Valid, rs.Stats.Client.OK, out.Dir, rs.Checkers)
	}
}

// TestRunValidUnderPartitions is a short real run: 3 members, register
// workload, partitions every second; linearizable reads must check valid.
func TestRunValidUnderPartitions(t *testing.T) {
	requireImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := harness.Run(ctx, harness.Config{
		Target: "etcd", Nodes: 3, TimeLimit: 8 * time.Second,
		Nemesis: []string{"partition"}, NemesisInterval: time.Second,
		Seed: 1, Store: t.TempDir(), CheckTimeout: time.Minute, Log: testWriter{t},
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	rs := out.Results
	if rs.Valid != checker.Valid {
		t.Fatalf("verdict %v, want valid (run in %s): %+v", rs.Valid, out.Dir, rs.Checkers)
	}
	if rs.Stats.Client.OK < 50 {
		t.Errorf("only %d ok ops", rs.Stats.Client.OK)
	}
	if rs.Stats.Nemesis["start-partition"] == 0 {
		t.Errorf("no partition in the history: %v", rs.Stats.Nemesis)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}

// BenchmarkColdStart3 times Start of a 3-member cluster (network, three
// containers, etcd bootstrapping, every member healthy), images built.
func BenchmarkColdStart3(b *testing.B) {
	requireImage(b)
	var times []time.Duration
	for range b.N {
		tg, err := etcd.New(targets.Setup{RunID: testenv.RunID(b), Nodes: 3}, nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		start := time.Now()
		err = tg.Start(ctx)
		times = append(times, time.Since(start))
		b.StopTimer()
		tg.Teardown(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	slices.Sort(times)
	b.ReportMetric(times[len(times)/2].Seconds(), "s-median")
	b.ReportMetric(times[len(times)-1].Seconds(), "s-max")
}
