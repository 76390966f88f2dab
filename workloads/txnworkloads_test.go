package workloads

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/raft/node"
)

var txnWorkloads = []string{"set", "counter", "bank", "unique-ids", "list-append"}

func TestTxnWorkloadsRegistered(t *testing.T) {
	for _, name := range txnWorkloads {
		w, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if w.Info().Summary == "" {
			t.Errorf("%s has no summary", name)
		}
		if err := w.Requires(kvOnly{}); err == nil || !strings.Contains(err.Error(), "transactions") {
			t.Errorf("%s accepted a target without transactions: %v", name, err)
		}
	}
}

func TestTxnGeneratorsAreSeeded(t *testing.T) {
	for _, name := range txnWorkloads {
		w, _ := Lookup(name)
		gen := func() []Op {
			g, err := w.NewGenerator(rand.New(rand.NewPCG(3, 1)), Params{Concurrency: 4, Nodes: 3})
			if err != nil {
				t.Fatal(err)
			}
			var ops []Op
			for range 200 {
				op, ok := g.Next(0)
				if !ok {
					t.Fatalf("%s: generator ran dry", name)
				}
				ops = append(ops, op)
			}
			return ops
		}
		a, b := gen(), gen()
		fs := map[string]int{}
		for i := range a {
			if a[i].F != b[i].F || string(a[i].Value) != string(b[i].Value) {
				t.Fatalf("%s: same seed, different op %d: %+v vs %+v", name, i, a[i], b[i])
			}
			fs[a[i].F]++
		}
		t.Logf("%s: %v", name, fs)
	}
}

func TestListAppendGeneratorRetiresKeysAndNeverRepeats(t *testing.T) {
	w, _ := Lookup("list-append")
	g, err := w.NewGenerator(rand.New(rand.NewPCG(1, 1)), Params{Options: map[string]string{"keys": "2", "max-writes-per-key": "4", "max-txn-length": "3"}})
	if err != nil {
		t.Fatal(err)
	}
	appended := map[[2]int64]bool{}
	perKey := map[int64]int{}
	for range 300 {
		op, _ := g.Next(0)
		var mops [][3]json.RawMessage
		if err := json.Unmarshal(op.Value, &mops); err != nil || len(mops) < 1 || len(mops) > 3 {
			t.Fatalf("txn %s: %v", op.Value, err)
		}
		for _, m := range mops {
			var f string
			var k, v int64
			_ = json.Unmarshal(m[0], &f)
			_ = json.Unmarshal(m[1], &k)
			if f == "append" {
				_ = json.Unmarshal(m[2], &v)
				if appended[[2]int64{k, v}] {
					t.Fatalf("append %d to key %d twice", v, k)
				}
				appended[[2]int64{k, v}] = true
				perKey[k]++
			} else if string(m[2]) != "null" {
				t.Fatalf("read invoked with a value: %s", op.Value)
			}
		}
	}
	for k, n := range perKey {
		if n > 4 {
			t.Errorf("key %d got %d appends, limit 4", k, n)
		}
	}
	if len(perKey) < 20 {
		t.Errorf("only %d keys used", len(perKey))
	}
}

func TestTxnWorkloadOptionErrors(t *testing.T) {
	for name, bad := range map[string][]map[string]string{
		"set":         {{"mix": "1"}, {"mix": "0:0"}, {"linearizable": "maybe"}},
		"counter":     {{"max-add": "0"}, {"mix": "a:b"}},
		"bank":        {{"accounts": "1"}, {"balance": "-1"}, {"max-transfer": "0"}, {"mix": "1:0"}},
		"list-append": {{"keys": "0"}, {"min-txn-length": "5", "max-txn-length": "2"}, {"consistency-model": "eventual"}, {"max-writes-per-key": "x"}},
	} {
		w, _ := Lookup(name)
		for _, opts := range bad {
			_, err := w.NewGenerator(rand.New(rand.NewPCG(1, 1)), Params{Options: opts})
			if err == nil {
				t.Errorf("%s accepted %v", name, opts)
				continue
			}
			for k := range opts {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("%s %v: error %q does not name the option", name, opts, err)
				}
			}
			if cs := w.Checkers(CheckOptions{Workload: opts}); len(cs) != 1 {
				t.Errorf("%s: checkers for bad stored options: %d, want one that says so", name, len(cs))
			} else if r := cs[0].Check(context.Background(), nil); r.Verdict != checker.Unknown {
				t.Errorf("%s: bad stored options gave %v", name, r.Verdict)
			}
		}
	}
}

// kvOnly is a target without transactions.
type kvOnly struct{}

func (kvOnly) Name() string                   { return "kv-only" }
func (kvOnly) Start(context.Context) error    { return nil }
func (kvOnly) Nodes() []targets.Node          { return nil }
func (kvOnly) Teardown(context.Context) error { return nil }

// localRaft is three in-process Raft nodes on loopback: the real state
// machine and protocol without Docker.
type localRaft struct {
	kvOnly
	nodes  []targets.Node
	cfgs   []node.Config
	cancel []context.CancelFunc
	done   []chan error
}

func (l *localRaft) Nodes() []targets.Node { return l.nodes }

func (l *localRaft) NewTxnClient(n targets.Node) (targets.TxnClient, error) {
	return kvhttp.NewClient(n.Addr), nil
}

func startLocalRaft(t *testing.T) *localRaft {
	t.Helper()
	l := &localRaft{}
	peers := map[uint64]string{}
	for i := range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		peers[uint64(i+1)] = ln.Addr().String()
		ln.Close()
	}
	for i := range 3 {
		id := uint64(i + 1)
		l.cfgs = append(l.cfgs, node.Config{ID: id, Peers: peers, Listen: peers[id], DataDir: t.TempDir(),
			Tick: 20 * time.Millisecond, SnapshotEvery: 200, Logger: log.New(io.Discard, "", 0)})
		l.nodes = append(l.nodes, targets.Node{Name: fmt.Sprintf("n%d", id), Addr: peers[id]})
		l.cancel = append(l.cancel, nil)
		l.done = append(l.done, nil)
		l.start(i)
	}
	t.Cleanup(func() {
		for i := range l.cfgs {
			l.stop(t, i)
		}
	})
	l.waitLeader(t)
	return l
}

// waitLeader waits until every node names the same leader, so the load
// does not begin with a second of "no leader".
func (l *localRaft) waitLeader(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var leaders []uint64
		for _, n := range l.nodes {
			c := kvhttp.NewClient(n.Addr)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			st, err := c.Status(ctx)
			cancel()
			c.Close()
			if err == nil && st.Leader != 0 {
				leaders = append(leaders, st.Leader)
			}
		}
		if len(leaders) == len(l.nodes) && slices.Min(leaders) == slices.Max(leaders) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no leader agreed on in 10s")
}

func (l *localRaft) start(i int) {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel[i], l.done[i] = cancel, make(chan error, 1)
	go func(cfg node.Config, done chan error) { done <- node.Run(ctx, cfg) }(l.cfgs[i], l.done[i])
}

func (l *localRaft) stop(t *testing.T, i int) {
	if l.cancel[i] == nil {
		return
	}
	l.cancel[i]()
	if err := <-l.done[i]; err != nil {
		t.Errorf("n%d: %v", i+1, err)
	}
	l.cancel[i] = nil
}

// exercise is a small harness loop: workers run the workload's ops on
// random nodes for d, while node 1 is stopped and restarted (a crash as
// far as clients can tell); then the final ops, then the checkers.
func exercise(t *testing.T, l *localRaft, tgt targets.Target, name string, opts map[string]string, d time.Duration) checker.Results {
	t.Helper()
	w, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := w.NewGenerator(rand.New(rand.NewPCG(7, 1)), Params{Concurrency: 4, Nodes: 3, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rec := history.NewRecorder(func() int64 { return int64(time.Since(start)) }, nil)
	var nextPID sync.Mutex
	pid := 4
	newPID := func() history.Process {
		nextPID.Lock()
		defer nextPID.Unlock()
		pid++
		return history.Process(pid - 1)
	}
	invoke := func(c Client, p history.Process, op Op) history.Type {
		inv := rec.Invoke(p, op.F, op.Key, op.Value, "")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		res := c.Invoke(ctx, op)
		cancel()
		if res.Value == nil && op.F != "read" {
			res.Value = inv.Value
		}
		rec.Append(history.Op{Process: p, Type: res.Type, F: op.F, Value: res.Value, Error: res.Error})
		return res.Type
	}
	clients := map[string]Client{}
	var cmu sync.Mutex
	client := func(n targets.Node) Client {
		cmu.Lock()
		defer cmu.Unlock()
		if c := clients[n.Name]; c != nil {
			return c
		}
		c, err := w.NewClient(tgt, n)
		if err != nil {
			t.Fatal(err)
		}
		clients[n.Name] = c
		return c
	}
	stopAt := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			p := history.Process(i)
			for time.Now().Before(stopAt) {
				op, _ := gen.Next(p)
				if invoke(client(l.nodes[rng.IntN(3)]), p, op) == history.Info {
					p = newPID()
				}
			}
		}()
	}
	time.Sleep(d / 3)
	l.stop(t, 0)
	time.Sleep(d / 3)
	l.start(0)
	wg.Wait()
	for _, op := range w.FinalOps(rec.Ops()) {
		for a := 0; a < 20; a++ {
			if invoke(client(l.nodes[a%3]), newPID(), op) == history.OK {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, c := range clients {
		c.Close()
	}
	return checker.Run(context.Background(), rec.Ops(), w.Checkers(CheckOptions{Workload: opts})...)
}

// TestTxnWorkloadsAgainstLocalRaft runs every transactional workload
// against real Raft nodes (in-process) through a crash and restart: each
// must do work and come out valid, and the checker must have looked at
// what it is about.
func TestTxnWorkloadsAgainstLocalRaft(t *testing.T) {
	l := startLocalRaft(t)
	for _, tc := range []struct {
		name string
		opts map[string]string
		saw  func(d map[string]any) bool
	}{
		{"set", map[string]string{"mix": "9:1"}, func(d map[string]any) bool { return d["ok-count"].(float64) > 10 && d["read-count"].(float64) > 2 }},
		{"counter", nil, func(d map[string]any) bool { return d["reads"].(float64) > 10 }},
		{"bank", map[string]string{"accounts": "4"}, func(d map[string]any) bool {
			return d["read-count"].(float64) > 10 && d["transfer-count"].(float64) > 10
		}},
		{"unique-ids", nil, func(d map[string]any) bool { return d["acknowledged-count"].(float64) > 20 }},
		{"list-append", map[string]string{"keys": "4"}, func(d map[string]any) bool {
			return d["txns"].(map[string]any)["ok"].(float64) > 20 && d["graph"].(map[string]any)["edges"].(float64) > 20 &&
				slices.Equal(toStrings(d["strongest"]), []string{"strict-serializable"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := exercise(t, l, l, tc.name, tc.opts, 1200*time.Millisecond)
			b, _ := json.MarshalIndent(res, "", " ")
			if res.Valid != checker.Valid {
				t.Fatalf("%v\n%.4000s", res.Valid, b)
			}
			r, ok := res.Result(tc.name)
			if !ok {
				t.Fatalf("no %s result", tc.name)
			}
			var d map[string]any
			db, _ := json.Marshal(r.Details)
			_ = json.Unmarshal(db, &d)
			if !tc.saw(d) {
				t.Fatalf("too little checked: %s", db)
			}
			t.Logf("%s: %s", tc.name, r.Message)
		})
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// liar wraps the real transaction client and lies the way a buggy store
// would, differently for each workload, on every fourth transaction.
type liar struct {
	*localRaft
	workload string
}

func (l liar) NewTxnClient(n targets.Node) (targets.TxnClient, error) {
	c, err := l.localRaft.NewTxnClient(n)
	return &lyingClient{TxnClient: c, workload: l.workload}, err
}

type lyingClient struct {
	targets.TxnClient
	workload string
	mu       sync.Mutex
	n        int
	last     []targets.TxnValue
}

func (c *lyingClient) Txn(ctx context.Context, ops []targets.TxnOp) ([]targets.TxnValue, error) {
	c.mu.Lock()
	c.n++
	lie := c.n%4 == 0
	last := c.last
	c.mu.Unlock()
	writes := slices.ContainsFunc(ops, func(o targets.TxnOp) bool { return o.F != targets.TxnRead && o.F != targets.TxnInit })
	switch {
	case lie && writes && (c.workload == "set" || c.workload == "counter"):
		return make([]targets.TxnValue, len(ops)), nil // acknowledged, never applied: lost
	case lie && c.workload == "unique-ids" && last != nil:
		return last, nil // an id handed out again
	case lie && c.workload == "bank" && ops[0].F == targets.TxnTransfer:
		// The debit without the credit: money vanishes.
		ops = []targets.TxnOp{{F: targets.TxnAdd, Key: ops[0].Key, Value: -ops[0].Value}}
		_, err := c.TxnClient.Txn(ctx, ops)
		return make([]targets.TxnValue, 1), err
	}
	res, err := c.TxnClient.Txn(ctx, ops)
	if err == nil && lie && c.workload == "list-append" {
		for i := range res {
			if l := res[i].List; len(l) > 1 { // a stale read: the latest append missing
				res[i].List = l[:len(l)-1]
				break
			}
		}
	}
	c.mu.Lock()
	c.last = res
	c.mu.Unlock()
	return res, err
}

// TestTxnWorkloadsCatchALyingStore runs the same workloads through a
// client that lies as a buggy store would; every checker must say invalid
// and name what went wrong.
func TestTxnWorkloadsCatchALyingStore(t *testing.T) {
	l := startLocalRaft(t)
	for _, tc := range []struct {
		name string
		want string // in the checker's message
	}{
		{"set", "lost"},
		{"counter", "out of bounds"},
		{"bank", "wrong-total"},
		{"unique-ids", "more than once"},
		{"list-append", "not strict-serializable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := exercise(t, l, liar{l, tc.name}, tc.name, nil, time.Second)
			r, _ := res.Result(tc.name)
			if res.Valid != checker.Invalid || r.Verdict != checker.Invalid || !strings.Contains(r.Message, tc.want) {
				t.Fatalf("%v / %v: %s", res.Valid, r.Verdict, r.Message)
			}
			t.Logf("%s: %.300s", tc.name, r.Message)
		})
	}
}
