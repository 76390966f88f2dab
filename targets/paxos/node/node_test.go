package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/nodeclock"
)

// testCluster runs nodes in this process on loopback, each with its own
// data dir, HTTP server and a test network between them.
type testCluster struct {
	t     *testing.T
	bug   string
	addrs map[uint64]string
	dirs  map[uint64]string
	lns   map[uint64]net.Listener // reserved ports, used by the first start
	nodes map[uint64]*testNode
	logs  *syncBuffer

	mu   sync.Mutex
	link func(from, to uint64) linkFault

	opTimeout time.Duration // each node's op timeout; default 500 ms
}

type testNode struct {
	s  *server
	hs *http.Server
	c  *kvhttp.Client
}

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

func newTestCluster(t *testing.T, n int, bug string) *testCluster {
	return newTestClusterTimeout(t, n, bug, 500*time.Millisecond)
}

func newTestClusterTimeout(t *testing.T, n int, bug string, opTimeout time.Duration) *testCluster {
	t.Helper()
	c := &testCluster{t: t, bug: bug, addrs: map[uint64]string{}, dirs: map[uint64]string{},
		lns: map[uint64]net.Listener{}, nodes: map[uint64]*testNode{}, logs: &syncBuffer{}, opTimeout: opTimeout}
	for i := 1; i <= n; i++ {
		id := uint64(i)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c.lns[id] = ln
		c.addrs[id] = ln.Addr().String()
		c.dirs[id] = t.TempDir()
	}
	t.Cleanup(func() {
		for id := range c.nodes {
			c.stop(id)
		}
		for _, ln := range c.lns {
			ln.Close()
		}
		if t.Failed() || os.Getenv("PAXOS_TEST_LOGS") != "" {
			t.Logf("node logs:\n%s", c.logs.String())
		}
	})
	for id := range c.addrs {
		c.start(id)
	}
	return c
}

func (c *testCluster) config(id uint64) Config {
	cfg, err := Config{
		ID: id, Peers: c.addrs, Listen: c.addrs[id], DataDir: c.dirs[id], Bug: c.bug,
		OpTimeout: c.opTimeout, PeerTimeout: c.opTimeout / 2,
		Logger: log.New(c.logs, fmt.Sprintf("n%d ", id), log.Lmicroseconds),
	}.withDefaults()
	if err != nil {
		c.t.Fatal(err)
	}
	return cfg
}

// start runs node id (again), recovering from its data dir.
func (c *testCluster) start(id uint64) {
	c.t.Helper()
	s, err := newServer(c.config(id), nodeclock.New())
	if err != nil {
		c.t.Fatalf("start n%d: %v", id, err)
	}
	f := func(from, to uint64) linkFault {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.link == nil {
			return linkFault{}
		}
		return c.link(from, to)
	}
	s.tr.link.Store(&f)
	ln := c.lns[id]
	delete(c.lns, id)
	if ln == nil {
		// The port was freed by stop; take it again.
		for range 50 {
			if ln, err = net.Listen("tcp", c.addrs[id]); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			c.t.Fatalf("listen n%d: %v", id, err)
		}
	}
	hs := &http.Server{Handler: s.handler(), ErrorLog: log.New(io.Discard, "", 0)}
	go hs.Serve(ln)
	c.nodes[id] = &testNode{s: s, hs: hs, c: kvhttp.NewClient(c.addrs[id])}
}

// stop ends node id abruptly: connections are cut and nothing more is
// written to its journal.
func (c *testCluster) stop(id uint64) {
	n := c.nodes[id]
	if n == nil {
		return
	}
	n.hs.Close()
	n.c.Close()
	n.s.close()
	delete(c.nodes, id)
}

// isolate cuts the listed nodes off from every other node.
func (c *testCluster) isolate(ids ...uint64) {
	cut := map[uint64]bool{}
	for _, id := range ids {
		cut[id] = true
	}
	c.setLink(func(from, to uint64) linkFault { return linkFault{drop: cut[from] != cut[to]} })
}

func (c *testCluster) setLink(f func(from, to uint64) linkFault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.link = f
}

func (c *testCluster) heal() { c.setLink(nil) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (c *testCluster) mustWrite(id uint64, key string, v int64) {
	c.t.Helper()
	if err := c.nodes[id].c.Write(ctxT(c.t), key, v); err != nil {
		c.t.Fatalf("write %s=%d via n%d: %v", key, v, id, err)
	}
}

func (c *testCluster) mustRead(id uint64, key string) Value {
	c.t.Helper()
	v, found, err := c.nodes[id].c.Read(ctxT(c.t), key)
	if err != nil {
		c.t.Fatalf("read %s via n%d: %v", key, id, err)
	}
	return Value{V: v, Found: found}
}

func TestBallotOrder(t *testing.T) {
	bs := []Ballot{{}, {1, 3}, {2, 1}, {2, 2}, {10, 1}}
	for i := range bs {
		for j := range bs {
			if got, want := bs[i].Less(bs[j]), i < j; got != want {
				t.Errorf("%v < %v = %v, want %v", bs[i], bs[j], got, want)
			}
		}
	}
}

func TestJournalRecordsRoundTrip(t *testing.T) {
	s := slot{Promised: Ballot{7, 2}, Accepted: Ballot{5, 3}, Val: Value{V: -42, Found: true, Ver: 9,
		Recent: []Applied{{ID: OpID{1, 2, 3}, Ver: 8}, {ID: OpID{3, 1 << 60, 7}, Ver: 9, Swapped: true}}}}
	buf := encodeSlot(nil, "k1", s)
	buf = encodeCeiling(buf, 4096)
	buf = encodeSlot(buf, "", slot{})
	recs, valid, torn := decodeRecords(buf)
	if torn != nil || valid != len(buf) || len(recs) != 3 {
		t.Fatalf("decode: %d records, valid %d of %d, torn %v", len(recs), valid, len(buf), torn)
	}
	if recs[0].key != "k1" || !reflect.DeepEqual(recs[0].slot, s) || recs[1].ceiling != 4096 || !reflect.DeepEqual(recs[2].slot, slot{}) {
		t.Errorf("decoded %+v", recs)
	}
	// Every cut short of the end, and any flipped byte, ends the journal
	// at the last whole record before it.
	for cut := 0; cut < len(buf); cut++ {
		recs, valid, torn := decodeRecords(buf[:cut])
		if torn == nil && cut != 0 && valid != cut {
			t.Fatalf("cut at %d: no torn tail reported", cut)
		}
		if valid > cut || len(recs) > 3 {
			t.Fatalf("cut at %d: valid %d, %d records", cut, valid, len(recs))
		}
	}
	bad := bytes.Clone(buf)
	bad[len(bad)-3] ^= 0xff
	if recs, _, torn := decodeRecords(bad); torn == nil || len(recs) != 2 {
		t.Errorf("flipped byte in the last record: %d records, torn %v", len(recs), torn)
	}
}

func TestJournalRecoversAndCompacts(t *testing.T) {
	dir := t.TempDir()
	j, recs, torn, err := openJournal(dir, 512)
	if err != nil || len(recs) != 0 || torn != nil {
		t.Fatalf("open: %v, %d records, torn %v", err, len(recs), torn)
	}
	a := newAcceptor("", j)
	j.start(a.snapshot)
	for i := range 200 {
		key := fmt.Sprintf("k%d", i%7)
		if _, wait := a.prepare(prepareReq{Key: key, Ballot: Ballot{uint64(i + 1), 1}}); waitDurable(wait) != nil {
			t.Fatal("prepare not persisted")
		}
		if _, wait := a.accept(acceptReq{Key: key, Ballot: Ballot{uint64(i + 1), 1}, Value: Value{V: int64(i), Found: true}}); waitDurable(wait) != nil {
			t.Fatal("accept not persisted")
		}
	}
	if err := waitDurable(a.raiseCeiling(5000)); err != nil {
		t.Fatal(err)
	}
	want := a.snapshot()
	if err := j.close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 2048 {
		t.Errorf("journal is %d bytes after 400 records with compaction at 512", fi.Size())
	}
	// A torn write at the end is dropped on the next open.
	f, err := os.OpenFile(filepath.Join(dir, journalFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(encodeSlot(nil, "k0", slot{Promised: Ballot{9999, 9}})[:10])
	f.Close()
	j2, recs, torn, err := openJournal(dir, 512)
	if err != nil || torn == nil {
		t.Fatalf("reopen: %v, torn %v", err, torn)
	}
	defer j2.close()
	b := newAcceptor("", nil)
	b.restore(recs)
	if got := b.snapshot(); !bytes.Equal(got, want) {
		t.Errorf("recovered state differs from the state before the crash")
	}
	if b.persistedCeiling() != 5000 {
		t.Errorf("ceiling %d, want 5000", b.persistedCeiling())
	}
}

func TestAcceptorRules(t *testing.T) {
	for _, bug := range []string{"", BugAcceptLowerBallot} {
		a := newAcceptor(bug, nil)
		p, _ := a.prepare(prepareReq{Key: "k", Ballot: Ballot{2, 1}})
		if !p.OK || !p.Accepted.IsZero() || p.Value.Found {
			t.Fatalf("first prepare: %+v", p)
		}
		if p, _ := a.prepare(prepareReq{Key: "k", Ballot: Ballot{2, 1}}); p.OK || p.Promised != (Ballot{2, 1}) {
			t.Errorf("prepare of the promised ballot again: %+v", p)
		}
		if p, _ := a.prepare(prepareReq{Key: "k", Ballot: Ballot{1, 9}}); p.OK {
			t.Errorf("prepare of a lower ballot: %+v", p)
		}
		if r, _ := a.accept(acceptReq{Key: "k", Ballot: Ballot{2, 1}, Value: Value{V: 5, Found: true}}); !r.OK {
			t.Errorf("accept of the promised ballot refused: %+v", r)
		}
		if p, _ := a.prepare(prepareReq{Key: "k", Ballot: Ballot{3, 2}}); !p.OK || p.Accepted != (Ballot{2, 1}) || !p.Value.same(Value{V: 5, Found: true}) {
			t.Errorf("prepare after an accept: %+v", p)
		}
		r, _ := a.accept(acceptReq{Key: "k", Ballot: Ballot{2, 1}, Value: Value{V: 6, Found: true}})
		if r.OK != (bug == BugAcceptLowerBallot) {
			t.Errorf("bug %q: accept below the promise: %+v", bug, r)
		}
		if s := a.local("k"); s.Accepted.Compare(s.Promised) > 0 {
			t.Errorf("accepted %v above promised %v", s.Accepted, s.Promised)
		}
	}
}

func TestReadWriteCASThroughEveryNode(t *testing.T) {
	c := newTestCluster(t, 3, "")
	ctx := ctxT(t)
	if v := c.mustRead(1, "x"); v.Found {
		t.Fatalf("fresh key reads %v", v)
	}
	c.mustWrite(1, "x", 1)
	for id := uint64(1); id <= 3; id++ {
		if v := c.mustRead(id, "x"); !v.same(Value{V: 1, Found: true}) {
			t.Errorf("n%d reads %v, want 1", id, v)
		}
	}
	if ok, err := c.nodes[2].c.CAS(ctx, "x", 1, 2); err != nil || !ok {
		t.Fatalf("cas 1->2: %v, %v", ok, err)
	}
	if ok, err := c.nodes[3].c.CAS(ctx, "x", 1, 3); err != nil || ok {
		t.Fatalf("cas 1->3 on 2: %v, %v", ok, err)
	}
	if ok, err := c.nodes[3].c.CAS(ctx, "missing", 0, 3); err != nil || ok {
		t.Fatalf("cas on a missing key: %v, %v", ok, err)
	}
	if v := c.mustRead(3, "x"); !v.same(Value{V: 2, Found: true}) {
		t.Errorf("after cas n3 reads %v, want 2", v)
	}
	st := c.nodes[2].s.Status()
	if st.ID != 2 || st.Commit == 0 || st.Term == 0 {
		t.Errorf("status %+v", st)
	}
}

func TestMinorityCannotDecide(t *testing.T) {
	c := newTestCluster(t, 3, "")
	c.mustWrite(1, "x", 1)
	c.isolate(3)
	c.mustWrite(1, "x", 2)
	err := c.nodes[3].c.Write(ctxT(t), "x", 9)
	if err == nil || !targets.IsDefinite(err) {
		t.Fatalf("write through the isolated node: %v, want a definite failure", err)
	}
	if _, _, err := c.nodes[3].c.Read(ctxT(t), "x"); err == nil {
		t.Fatalf("read through the isolated node succeeded")
	}
	c.heal()
	if v := c.mustRead(3, "x"); !v.same(Value{V: 2, Found: true}) {
		t.Errorf("healed n3 reads %v, want 2", v)
	}
}

func TestRestartKeepsStateAndBallotsGrow(t *testing.T) {
	c := newTestCluster(t, 3, "")
	c.mustWrite(1, "x", 7)
	before := c.nodes[1].s.Status().Term
	for id := uint64(1); id <= 3; id++ {
		c.stop(id)
	}
	for id := uint64(1); id <= 3; id++ {
		c.start(id)
	}
	if !strings.Contains(c.logs.String(), "restart: recovered") {
		t.Errorf("no node logged a recovery")
	}
	// Only the two restarted nodes answer: each must remember.
	c.isolate(3)
	if v := c.mustRead(1, "x"); !v.same(Value{V: 7, Found: true}) {
		t.Errorf("after restarting every node n1 reads %v, want 7", v)
	}
	c.heal()
	if after := c.nodes[1].s.Status().Term; after <= before {
		t.Errorf("round after restart %d, not above %d used before", after, before)
	}
}

// TestSeededBugsMisbehave shows each bug break the invariant it names, in
// a scenario where the correct node behaves.
func TestSeededBugsMisbehave(t *testing.T) {
	scenarios := map[string]func(c *testCluster) (bad bool, what string){
		// Two of three restart blank; a quorum of them forgets the write.
		BugAmnesia: func(c *testCluster) (bool, string) {
			c.mustWrite(1, "x", 7)
			c.stop(1)
			c.stop(2)
			c.start(1)
			c.start(2)
			c.isolate(3)
			v := c.mustRead(1, "x")
			return !v.same(Value{V: 7, Found: true}), "read after a restart: " + v.String()
		},
		// n3 missed a write; its own promise (no network hop, while every
		// link is slow) arrives first and wins.
		BugAdoptFirst: func(c *testCluster) (bool, string) {
			c.mustWrite(1, "x", 1)
			c.isolate(3)
			c.mustWrite(1, "x", 2)
			c.setLink(func(from, to uint64) linkFault { return linkFault{delay: 150 * time.Millisecond} })
			ok, err := c.nodes[3].c.CAS(ctxT(c.t), "x", 1, 5)
			return err == nil && ok, fmt.Sprintf("cas 1->5 on a register holding 2: swapped=%v err=%v", ok, err)
		},
		BugLocalRead: func(c *testCluster) (bool, string) {
			c.mustWrite(1, "x", 1)
			c.isolate(3)
			c.mustWrite(1, "x", 2)
			v, _, err := c.nodes[3].c.Read(ctxT(c.t), "x")
			return err == nil && v != 2, fmt.Sprintf("isolated read: %d, %v", v, err)
		},
		BugMinorityQuorum: func(c *testCluster) (bool, string) {
			c.isolate(3)
			err := c.nodes[3].c.Write(ctxT(c.t), "x", 9)
			return err == nil, fmt.Sprintf("write through an isolated node: %v", err)
		},
	}
	for bug, run := range scenarios {
		t.Run(bug, func(t *testing.T) {
			// A generous op timeout: slow links must not fail the round.
			if bad, what := run(newTestClusterTimeout(t, 3, "", 1500*time.Millisecond)); bad {
				t.Errorf("correct node: %s", what)
			}
			if bad, what := run(newTestClusterTimeout(t, 3, bug, 1500*time.Millisecond)); !bad {
				t.Errorf("with the bug: %s (expected to misbehave)", what)
			} else {
				t.Logf("with the bug: %s", what)
			}
		})
	}
}

// regIn and regOut are a porcupine CAS-register model's input and output.
type regIn struct {
	op       string
	v, to    int64
	clientID int
}

type regOut struct {
	v       int64
	found   bool
	swapped bool
	unknown bool
}

// regState is the model's register (comparable, as Porcupine needs).
type regState struct {
	v     int64
	found bool
}

var regModel = porcupine.Model{
	Init: func() any { return regState{} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(regState), input.(regIn), output.(regOut)
		switch in.op {
		case "read":
			return out.found == s.found && (!s.found || out.v == s.v), s
		case "write":
			return true, regState{v: in.v, found: true}
		default:
			match := s.found && s.v == in.v
			if out.unknown {
				if match {
					return true, regState{v: in.to, found: true}
				}
				return true, s
			}
			if out.swapped != match {
				return false, s
			}
			if match {
				return true, regState{v: in.to, found: true}
			}
			return true, s
		}
	},
	DescribeOperation: func(input, output any) string { return fmt.Sprintf("%+v -> %+v", input, output) },
}

// TestContendedKeyStaysLinearizable runs clients on every node against
// one key while links slow down and a node is cut off and back, and checks
// the history with Porcupine. Cut-off nodes, contention and retries after
// a cut-short accept all happen many times per second here.
func TestContendedKeyStaysLinearizable(t *testing.T) {
	c := newTestCluster(t, 3, "")
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	// Run until 150 ops succeeded (at least 1.5 s, at most 10 s), so a
	// loaded machine still yields a history worth checking.
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	var mu sync.Mutex
	var ops []porcupine.Operation
	counts := map[string]int{}
	clients := map[uint64]*kvhttp.Client{}
	for id, addr := range c.addrs {
		clients[id] = kvhttp.NewClient(addr)
		defer clients[id].Close()
	}
	var wg sync.WaitGroup
	for cid := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cid), 3))
			cl := clients[uint64(cid%3+1)]
			for ctx.Err() == nil {
				in := regIn{clientID: cid}
				switch r := rng.IntN(3); r {
				case 0:
					in.op = "read"
				case 1:
					in.op, in.v = "write", int64(rng.IntN(4))
				default:
					in.op, in.v, in.to = "cas", int64(rng.IntN(4)), int64(rng.IntN(4))
				}
				octx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
				call := now()
				var out regOut
				var err error
				switch in.op {
				case "read":
					out.v, out.found, err = cl.Read(octx, "k")
				case "write":
					err = cl.Write(octx, "k", in.v)
				default:
					out.swapped, err = cl.CAS(octx, "k", in.v, in.to)
				}
				ret := now()
				cancel()
				kind := "ok"
				switch {
				case err == nil:
				case targets.IsDefinite(err):
					kind = "fail"
				case in.op == "read":
					kind = "info-read"
				default:
					kind, out.unknown, ret = "info", true, math.MaxInt64
				}
				mu.Lock()
				counts[kind]++
				if kind == "ok" || kind == "info" {
					ops = append(ops, porcupine.Operation{ClientId: cid, Input: in, Call: call, Output: out, Return: ret})
				}
				mu.Unlock()
			}
		}()
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; ctx.Err() == nil; i++ {
		time.Sleep(150 * time.Millisecond)
		mu.Lock()
		enough := counts["ok"] >= 150 && time.Since(start) > 1500*time.Millisecond
		mu.Unlock()
		if enough {
			stop()
		}
		switch i % 3 {
		case 0:
			c.isolate(uint64(rng.IntN(3) + 1))
		case 1:
			c.setLink(func(from, to uint64) linkFault {
				return linkFault{delay: time.Duration((from*7+to*3)%5) * time.Millisecond}
			})
		default:
			c.heal()
		}
	}
	wg.Wait()
	c.heal()
	t.Logf("ops: %v", counts)
	if counts["ok"] < 20 { // enough to mean something on a loaded machine
		t.Fatalf("only %d ops succeeded", counts["ok"])
	}
	if res := porcupine.CheckOperationsTimeout(regModel, ops, 20*time.Second); res == porcupine.Illegal {
		t.Errorf("history of %d ops is not linearizable", len(ops))
	}
}

func TestParseArgs(t *testing.T) {
	good := "--id 2 --peers 1=n1:7000,2=n2:7000,3=n3:7000 --data /data"
	cfg, err := ParseArgs(strings.Fields(good + " --bug local-read"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ID != 2 || cfg.Name != "n2" || cfg.quorum() != 2 || cfg.Bug != BugLocalRead {
		t.Errorf("config %+v", cfg)
	}
	if cfg, _ := ParseArgs(strings.Fields(good + " --bug minority-quorum")); cfg.quorum() != 1 {
		t.Errorf("minority-quorum: quorum %d of 3", cfg.quorum())
	}
	for _, bad := range []string{
		"", "--id 0 --peers 1=a:1 --data /d", "--id 4 --peers 1=a:1 --data /d", "--id 1 --peers 1=a --data /d",
		"--id 1 --peers 1=a:1", good + " --bug gremlins", good + " --op-timeout -1s", good + " extra",
	} {
		if _, err := ParseArgs(strings.Fields(bad)); err == nil {
			t.Errorf("ParseArgs(%q) accepted", bad)
		}
	}
}

func TestRecentWindow(t *testing.T) {
	var v Value
	ops := make([]OpID, RecentWindow+5)
	for i := range ops {
		ops[i] = OpID{Node: 1, Boot: 7, Seq: uint64(i + 1)}
		v = v.then(ops[i], int64(i), i%2 == 0)
	}
	if v.Ver != uint64(len(ops)) || len(v.Recent) != RecentWindow || v.V != int64(len(ops)-1) || !v.Found {
		t.Fatalf("after %d changes: ver %d, %d recent, value %v", len(ops), v.Ver, len(v.Recent), v)
	}
	if _, ok := v.find(ops[4]); ok {
		t.Errorf("change 5 should have left the window")
	}
	a, ok := v.find(ops[len(ops)-1])
	if !ok || a.Ver != v.Ver || a.Swapped != ((len(ops)-1)%2 == 0) {
		t.Errorf("last change: %+v, %v", a, ok)
	}
	// The window holds versions 6…37: an op first tried against version 5
	// (its change would be version 6 or later) is covered, one against 4 is
	// not.
	if !v.covers(5) || v.covers(4) {
		t.Errorf("covers(5) = %v, covers(4) = %v with versions %d…%d", v.covers(5), v.covers(4), v.Recent[0].Ver, v.Ver)
	}
	// A young register keeps every change: any base is covered.
	young := Value{}.then(ops[0], 1, false)
	if !young.covers(0) || !young.covers(9) {
		t.Errorf("young register: covers(0) = %v", young.covers(0))
	}
}
