package node

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/kvhttp"
)

// testTick keeps elections short in tests (10 ticks = 200–400 ms).
const testTick = 20 * time.Millisecond

// syncBuffer collects every node's log; it is printed when a test fails.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testNode struct {
	cfg    Config
	cancel context.CancelFunc
	done   chan error
	client *kvhttp.Client
}

type cluster struct {
	t     *testing.T
	logs  *syncBuffer
	nodes map[uint64]*testNode
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// newCluster configures (but does not start) n nodes on loopback.
func newCluster(t *testing.T, n int, mod func(*Config)) *cluster {
	t.Helper()
	c := &cluster{t: t, logs: &syncBuffer{}, nodes: map[uint64]*testNode{}}
	ports := freePorts(t, n)
	peers := map[uint64]string{}
	for i := range n {
		peers[uint64(i+1)] = fmt.Sprintf("127.0.0.1:%d", ports[i])
	}
	for i := range n {
		id := uint64(i + 1)
		cfg := Config{
			ID:      id,
			Peers:   peers,
			Listen:  peers[id],
			DataDir: t.TempDir(),
			Tick:    testTick,
			Logger:  log.New(c.logs, fmt.Sprintf("n%d ", id), log.Lmicroseconds),
		}
		if mod != nil {
			mod(&cfg)
		}
		c.nodes[id] = &testNode{cfg: cfg, client: kvhttp.NewClient(peers[id])}
	}
	t.Cleanup(func() {
		for id := range c.nodes {
			c.stop(id)
		}
		for _, n := range c.nodes {
			n.client.Close()
		}
		if t.Failed() || os.Getenv("RAFT_TEST_LOGS") != "" {
			t.Logf("node logs:\n%s", c.logs.String())
		}
	})
	return c
}

func (c *cluster) start(ids ...uint64) {
	c.t.Helper()
	if len(ids) == 0 {
		ids = c.ids()
	}
	for _, id := range ids {
		n := c.nodes[id]
		if n.cancel != nil {
			c.t.Fatalf("n%d already running", id)
		}
		ctx, cancel := context.WithCancel(context.Background())
		n.cancel = cancel
		n.done = make(chan error, 1)
		go func(cfg Config, done chan error) { done <- Run(ctx, cfg) }(n.cfg, n.done)
	}
}

// stop cancels a node's Run and waits for it to return.
func (c *cluster) stop(id uint64) {
	c.t.Helper()
	n := c.nodes[id]
	if n.cancel == nil {
		return
	}
	n.cancel()
	select {
	case err := <-n.done:
		if err != nil {
			c.t.Errorf("n%d: Run: %v", id, err)
		}
	case <-time.After(10 * time.Second):
		c.t.Fatalf("n%d did not stop", id)
	}
	n.cancel = nil
}

func (c *cluster) ids() []uint64 {
	var ids []uint64
	for id := range c.nodes {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func (c *cluster) running() []uint64 {
	var ids []uint64
	for _, id := range c.ids() {
		if c.nodes[id].cancel != nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// logged reports whether node id logged a line containing text.
func (c *cluster) logged(id uint64, text string) bool {
	prefix := fmt.Sprintf("n%d ", id)
	for _, line := range strings.Split(c.logs.String(), "\n") {
		if strings.HasPrefix(line, prefix) && strings.Contains(line, text) {
			return true
		}
	}
	return false
}

func (c *cluster) client(id uint64) *kvhttp.Client { return c.nodes[id].client }

// waitLeader waits until every running node names the same running
// leader, and returns it.
func (c *cluster) waitLeader(timeout time.Duration) uint64 {
	c.t.Helper()
	running := map[uint64]bool{}
	for _, id := range c.running() {
		running[id] = true
	}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		var lead uint64
		agree := true
		var views []string
		for _, id := range c.running() {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			st, err := c.client(id).Status(ctx)
			cancel()
			views = append(views, fmt.Sprintf("n%d: %+v %v", id, st, err))
			if err != nil || st.Leader == 0 || (lead != 0 && st.Leader != lead) {
				agree = false
				continue
			}
			lead = st.Leader
		}
		last = fmt.Sprint(views)
		if agree && running[lead] {
			return lead
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no agreed leader after %v: %s", timeout, last)
	return 0
}

func opCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// retry runs op until it succeeds or 5 s pass (elections after a restart).
func retry(t *testing.T, what string, op func(ctx context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = op(ctx)
		cancel()
		if err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}

func mustRead(t *testing.T, c *kvhttp.Client, key string) (int64, bool) {
	t.Helper()
	var v int64
	var found bool
	retry(t, "read "+key+" on "+c.Addr(), func(ctx context.Context) (err error) {
		v, found, err = c.Read(ctx, key)
		return err
	})
	return v, found
}

func TestClusterWriteReadCAS(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.start()
	lead := c.waitLeader(5 * time.Second)
	t.Logf("leader n%d", lead)

	// Write through a follower, read on every node.
	follower := uint64(1)
	if follower == lead {
		follower = 2
	}
	retry(t, "write", func(ctx context.Context) error { return c.client(follower).Write(ctx, "x", 3) })
	for _, id := range c.ids() {
		if v, found := mustRead(t, c.client(id), "x"); !found || v != 3 {
			t.Fatalf("n%d read x = %d, %v; want 3", id, v, found)
		}
	}
	if _, found := mustRead(t, c.client(lead), "missing"); found {
		t.Fatal("read of a missing key found a value")
	}

	ctx := opCtx(t)
	if ok, err := c.client(2).CAS(ctx, "x", 1, 5); err != nil || ok {
		t.Fatalf("cas 1->5 on 3 = %v, %v; want false", ok, err)
	}
	if ok, err := c.client(3).CAS(ctx, "x", 3, 5); err != nil || !ok {
		t.Fatalf("cas 3->5 on 3 = %v, %v; want true", ok, err)
	}
	if ok, err := c.client(1).CAS(ctx, "x", 3, 7); err != nil || ok {
		t.Fatalf("second cas 3->7 on 5 = %v, %v; want false", ok, err)
	}
	if ok, err := c.client(1).CAS(ctx, "nokey", 0, 1); err != nil || ok {
		t.Fatalf("cas on a missing key = %v, %v; want false", ok, err)
	}
	for _, id := range c.ids() {
		if v, _ := mustRead(t, c.client(id), "x"); v != 5 {
			t.Fatalf("n%d read x = %d after cas; want 5", id, v)
		}
	}

	st, err := c.client(lead).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != lead || st.Name != fmt.Sprintf("n%d", lead) || st.Leader != lead || st.Term == 0 || st.Commit < 5 || st.Applied == 0 || st.Applied > st.Commit {
		t.Fatalf("leader status %+v", st)
	}
}

func TestNoLeaderIsDefinite(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.start(1) // alone: it can never elect a leader
	time.Sleep(300 * time.Millisecond)
	ctx := opCtx(t)
	if err := c.client(1).Write(ctx, "x", 1); err == nil || !targets.IsDefinite(err) {
		t.Fatalf("write without a leader: %v, want a definite error", err)
	}
	if _, err := c.client(1).CAS(ctx, "x", 1, 2); err == nil || !targets.IsDefinite(err) {
		t.Fatalf("cas without a leader: %v, want a definite error", err)
	}
	if _, _, err := c.client(1).Read(ctx, "x"); err == nil || !targets.IsDefinite(err) {
		t.Fatalf("read without a leader: %v, want a definite error", err)
	}
	st, err := c.client(1).Status(ctx)
	if err != nil || st.Leader != 0 {
		t.Fatalf("status %+v, %v; want no leader", st, err)
	}
}

func TestStaleReadBugSkipsQuorum(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.Bug = BugStaleRead })
	c.start(1) // alone: a correct read must fail; the buggy one answers
	time.Sleep(100 * time.Millisecond)
	v, found, err := c.client(1).Read(opCtx(t), "x")
	if err != nil || found || v != 0 {
		t.Fatalf("stale read = %d, %v, %v; want 0, false, nil", v, found, err)
	}
}

func TestRestartKeepsDataAndRejoins(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.start()
	lead := c.waitLeader(5 * time.Second)
	retry(t, "write", func(ctx context.Context) error { return c.client(lead).Write(ctx, "k", 1) })

	// A follower goes down, misses a write, comes back.
	f := lead%3 + 1
	before, err := c.client(f).Status(opCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	c.stop(f)
	retry(t, "write while a follower is down", func(ctx context.Context) error { return c.client(lead).Write(ctx, "k", 2) })
	c.start(f)
	if v, _ := mustRead(t, c.client(f), "k"); v != 2 {
		t.Fatalf("restarted n%d reads k = %d, want 2", f, v)
	}
	after, err := c.client(f).Status(opCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if after.Term < before.Term || after.Applied < before.Applied {
		t.Fatalf("restarted n%d went back: before %+v, after %+v", f, before, after)
	}

	// The leader goes down: the others elect a new one and keep serving.
	c.stop(lead)
	newLead := c.waitLeader(5 * time.Second)
	if newLead == lead {
		t.Fatalf("stopped n%d still leader", lead)
	}
	retry(t, "write after leader loss", func(ctx context.Context) error { return c.client(newLead).Write(ctx, "k", 3) })
	c.start(lead)
	if v, _ := mustRead(t, c.client(lead), "k"); v != 3 {
		t.Fatalf("old leader n%d reads k = %d after restart, want 3", lead, v)
	}

	// Everyone down, everyone back: the data survives a full restart.
	for _, id := range c.ids() {
		c.stop(id)
	}
	c.start()
	c.waitLeader(5 * time.Second)
	for _, id := range c.ids() {
		if v, _ := mustRead(t, c.client(id), "k"); v != 3 {
			t.Fatalf("n%d reads k = %d after a full restart, want 3", id, v)
		}
	}
}

func TestSnapshotCompactionAndCatchUp(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.SnapshotEvery = 20 })
	c.start()
	lead := c.waitLeader(5 * time.Second)
	f := lead%3 + 1
	c.stop(f)

	// Enough writes that the others snapshot and compact past what f has.
	for i := range 120 {
		key := fmt.Sprintf("k%d", i%7)
		retry(t, "write", func(ctx context.Context) error { return c.client(lead).Write(ctx, key, int64(i)) })
	}
	st, err := c.client(lead).Status(opCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Applied < 120 {
		t.Fatalf("leader applied %d, want >= 120", st.Applied)
	}

	// f can only catch up through a snapshot.
	c.start(f)
	for i := 113; i < 120; i++ {
		key := fmt.Sprintf("k%d", i%7)
		if v, found := mustRead(t, c.client(f), key); !found || v != int64(i) {
			t.Fatalf("n%d reads %s = %d, %v; want %d", f, key, v, found, i)
		}
	}
	if !c.logged(f, "installed snapshot") {
		t.Errorf("n%d caught up without installing a snapshot", f)
	}

	// A full restart recovers from the rewritten journals.
	for _, id := range c.ids() {
		c.stop(id)
	}
	c.start()
	c.waitLeader(5 * time.Second)
	for _, id := range c.ids() {
		if v, _ := mustRead(t, c.client(id), "k0"); v != 119 {
			t.Fatalf("n%d reads k0 = %d after a full restart, want 119", id, v)
		}
	}
}
