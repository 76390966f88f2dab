package node

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/kvhttp"
)

// The test binary doubles as the node program, so nodes can run as real
// processes and be SIGKILLed and SIGSTOPped.
const nodeArgsEnv = "FAULTLINE_RAFT_NODE_TEST_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(nodeArgsEnv); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		err := Main(ctx, strings.Fields(args))
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type procNode struct {
	args string
	cmd  *exec.Cmd
	done chan struct{}
}

type procCluster struct {
	t      *testing.T
	logs   *syncBuffer
	nodes  map[uint64]*procNode
	client map[uint64]*kvhttp.Client
}

func newProcCluster(t *testing.T, n int, extra string) *procCluster {
	c := &procCluster{t: t, logs: &syncBuffer{}, nodes: map[uint64]*procNode{}, client: map[uint64]*kvhttp.Client{}}
	ports := freePorts(t, n)
	var peers []string
	for i := range n {
		peers = append(peers, fmt.Sprintf("%d=127.0.0.1:%d", i+1, ports[i]))
	}
	for i := range n {
		id := uint64(i + 1)
		addr := fmt.Sprintf("127.0.0.1:%d", ports[i])
		c.nodes[id] = &procNode{args: fmt.Sprintf("--id %d --peers %s --listen %s --data %s --tick %v %s",
			id, strings.Join(peers, ","), addr, t.TempDir(), testTick, extra)}
		c.client[id] = kvhttp.NewClient(addr)
	}
	t.Cleanup(func() {
		for id := range c.nodes {
			c.kill(id)
		}
		if t.Failed() || os.Getenv("RAFT_TEST_LOGS") != "" {
			t.Logf("node logs:\n%s", c.logs.String())
		}
	})
	return c
}

func (c *procCluster) start(id uint64) {
	c.t.Helper()
	n := c.nodes[id]
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), nodeArgsEnv+"="+n.args)
	cmd.Stdout = c.logs
	cmd.Stderr = c.logs
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	n.cmd, n.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(n.done) }()
}

func (c *procCluster) kill(id uint64) {
	n := c.nodes[id]
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Signal(syscall.SIGCONT) // in case it is paused
	n.cmd.Process.Kill()
	<-n.done
	n.cmd = nil
}

func (c *procCluster) signal(id uint64, sig syscall.Signal) {
	if n := c.nodes[id]; n.cmd != nil {
		n.cmd.Process.Signal(sig)
	}
}

func (c *procCluster) leader(timeout time.Duration) uint64 {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, cl := range c.client {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			st, err := cl.Status(ctx)
			cancel()
			if err == nil && st.Leader != 0 && st.Leader == st.ID {
				return st.ID
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no leader after %v", timeout)
	return 0
}

// TestKillAndPauseProcesses runs nodes as processes under a concurrent
// workload while they are SIGKILLed and restarted at random instants and
// the leader is SIGSTOPped for a while, then checks the history with
// Porcupine and that the nodes agree at the end.
func TestKillAndPauseProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	c := newProcCluster(t, 3, "--snapshot-every 300")
	for id := range c.nodes {
		c.start(id)
	}
	lead := c.leader(10 * time.Second)

	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	var hist historyRec
	var mu sync.Mutex
	counts := map[string]int{}
	keys := []string{"a", "b", "c"}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for cid := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cid), 7))
			for ctx.Err() == nil {
				id := uint64(rng.IntN(3) + 1)
				in := regInput{key: keys[rng.IntN(len(keys))], clientID: cid}
				switch r := rng.IntN(10); {
				case r < 4:
					in.op = "read"
				case r < 7:
					in.op, in.val = "write", int64(rng.IntN(5))
				default:
					in.op, in.val, in.to = "cas", int64(rng.IntN(5)), int64(rng.IntN(5))
				}
				opCtx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
				call := now()
				var out regOutput
				var err error
				switch in.op {
				case "read":
					out.val, out.found, err = c.client[id].Read(opCtx, in.key)
				case "write":
					err = c.client[id].Write(opCtx, in.key, in.val)
				case "cas":
					out.swapped, err = c.client[id].CAS(opCtx, in.key, in.val, in.to)
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
					kind = "info"
					out.unknown = true
					ret = math.MaxInt64
				}
				mu.Lock()
				counts[kind]++
				mu.Unlock()
				if kind == "ok" || kind == "info" {
					hist.add(porcupine.Operation{ClientId: cid, Input: in, Call: call, Output: out, Return: ret})
				}
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for range 4 {
		time.Sleep(time.Duration(300+rng.IntN(400)) * time.Millisecond)
		victim := uint64(rng.IntN(3) + 1)
		c.kill(victim)
		time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
		c.start(victim)
	}
	lead = c.leader(10 * time.Second)
	c.signal(lead, syscall.SIGSTOP)
	time.Sleep(800 * time.Millisecond)
	c.signal(lead, syscall.SIGCONT)
	time.Sleep(500 * time.Millisecond)
	stop()
	wg.Wait()
	t.Logf("ops: %v (%d in the history)", counts, len(hist.ops))
	if counts["ok"] < 50 {
		t.Fatalf("only %d operations succeeded", counts["ok"])
	}
	switch porcupine.CheckOperationsTimeout(registerModel, hist.ops, 30*time.Second) {
	case porcupine.Illegal:
		t.Errorf("history is not linearizable")
	case porcupine.Unknown:
		t.Logf("linearizability check timed out")
	}

	c.leader(10 * time.Second)
	for _, k := range keys {
		var want string
		for id := range c.nodes {
			v, found := mustRead(t, c.client[id], k)
			got := fmt.Sprintf("%d/%v", v, found)
			if want == "" {
				want = got
			} else if got != want {
				t.Errorf("key %s: nodes disagree: %s vs %s", k, got, want)
			}
		}
	}
	if !strings.Contains(c.logs.String(), "restart: recovered") {
		t.Errorf("no node logged a restart")
	}
}
