package reports

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/internal/measure"
)

// bigHistory generates a register history of about n entries from a
// simulated cluster, linearizable by construction — every op takes effect
// at its completion — except, when stale is set, one read that returns a
// value overwritten long before. Faults come every 10 s and raise the
// latency and the failure rate while they last, as they would on a real
// cluster. Fixed seed: the same history every time.
func bigHistory(n int, stale bool) []history.Op {
	rng := rand.New(rand.NewPCG(42, 7))
	const clients, keys = 10, 100
	type event struct {
		t  int64
		op history.Op
	}
	var evs []event
	state := map[string]int64{}
	set := map[string]bool{}
	staleDone := !stale
	kinds := []struct{ start, stop string }{{"start-partition", "stop-partition"}, {"kill", "restart"}, {"pause", "resume"}}
	faultAt := func(t int64) bool { return (t/int64(10*time.Second))%2 == 1 }
	// Client processes run one op after another; the ops of all clients
	// are merged by time below.
	type client struct {
		p    history.Process
		next int64
	}
	cs := make([]client, clients)
	for i := range cs {
		cs[i] = client{p: history.Process(i), next: int64(time.Second) + int64(i)*int64(time.Millisecond)}
	}
	nextPID := history.Process(clients)
	for len(evs) < n {
		// The client whose next op starts first goes next, so effects
		// are applied in time order.
		ci := 0
		for i := range cs {
			if cs[i].next < cs[ci].next {
				ci = i
			}
		}
		c := &cs[ci]
		start := c.next
		lat := int64(300*time.Microsecond) + rng.Int64N(int64(8*time.Millisecond))
		failP, infoP := 3, 1
		if faultAt(start) {
			lat *= 1 + rng.Int64N(6)
			failP, infoP = 15, 3
		}
		end := start + lat
		key := fmt.Sprintf("k%d", rng.IntN(keys))
		node := fmt.Sprintf("n%d", 1+ci%5)
		var f string
		var inv, res any
		typ := history.OK
		switch r := rng.IntN(100); {
		case r < 50:
			f = "read"
			if set[key] {
				res = state[key]
			}
			if !staleDone && start > int64(15*time.Second) && set[key] && state[key] != 0 {
				res, staleDone = int64(-1), true // never written: a stale read the checker must catch
			}
		case r < 80:
			f, inv = "write", int64(rng.IntN(5))
		default:
			from, to := int64(rng.IntN(5)), int64(rng.IntN(5))
			f, inv = "cas", []int64{from, to}
		}
		switch r := rng.IntN(100); {
		case f != "read" && r < infoP:
			typ = history.Info // may or may not have happened: here, it did not
			end = start + int64(time.Second)
		case r < infoP+failP:
			typ = history.Fail
		case f == "write":
			state[key], set[key] = inv.(int64), true
		case f == "cas":
			ft := inv.([]int64)
			if set[key] && state[key] == ft[0] {
				state[key] = ft[1]
			} else {
				typ = history.Fail
			}
		}
		if f == "read" && typ != history.OK {
			res = nil
		}
		evs = append(evs,
			event{start, history.Op{Process: c.p, Type: history.Invoke, F: f, Key: key, Value: history.MustValue(inv), Node: node}},
			event{end, history.Op{Process: c.p, Type: typ, F: f, Key: key, Value: history.MustValue(orValue(res, inv, f)), Node: node}})
		if typ == history.Fail && rng.IntN(2) == 0 {
			evs[len(evs)-1].op.Error = "connection refused"
		}
		if typ == history.Info {
			evs[len(evs)-1].op.Error = "timeout"
			c.p = nextPID
			nextPID++
		}
		c.next = end + int64(15*time.Millisecond) + rng.Int64N(int64(20*time.Millisecond))
	}
	last := evs[len(evs)-1].t
	for t, k := int64(10*time.Second), 0; t < last; t, k = t+int64(20*time.Second), k+1 {
		kd := kinds[k%len(kinds)]
		evs = append(evs,
			event{t, history.Op{Process: history.NemesisProcess, Type: history.Info, F: kd.start}},
			event{t + int64(200*time.Millisecond), history.Op{Process: history.NemesisProcess, Type: history.Info, F: kd.start, Value: history.MustValue([]string{"n2"})}},
			event{t + int64(10*time.Second), history.Op{Process: history.NemesisProcess, Type: history.Info, F: kd.stop}},
			event{t + int64(10*time.Second) + int64(150*time.Millisecond), history.Op{Process: history.NemesisProcess, Type: history.Info, F: kd.stop, Value: history.MustValue("done")}})
	}
	sortEvents := func(a, b event) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	}
	slices.SortStableFunc(evs, sortEvents)
	ops := make([]history.Op, len(evs))
	for i, e := range evs {
		e.op.Index, e.op.Time = int64(i), e.t
		ops[i] = e.op
	}
	return ops
}

func orValue(res, inv any, f string) any {
	if f == "read" {
		return res
	}
	return inv
}

// makeBigRun writes a run directory with a generated history of about n
// entries, checked for real: results.json and the Porcupine pages.
func makeBigRun(tb testing.TB, n int, stale bool) string {
	tb.Helper()
	dir, err := writeBigRun(tb.TempDir(), n, stale)
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

func writeBigRun(root string, n int, stale bool) (string, error) {
	dir := filepath.Join(root, "raft-register", "20261125T120000.000Z")
	if err := os.MkdirAll(filepath.Join(dir, store.NodesDir), 0o755); err != nil {
		return "", err
	}
	ops := bigHistory(n, stale)
	ri := runInfo()
	ri.Concurrency = 10
	ri.Nemesis = []string{"partition", "kill", "pause"}
	ri.End = ri.Start.Add(time.Duration(ops[len(ops)-1].Time))
	if err := store.WriteJSON(filepath.Join(dir, store.RunFile), ri); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := history.Encode(&buf, ops); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, store.HistoryFile), buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	rs := checker.Run(context.Background(), ops, linearizable.New(linearizable.Options{Timeout: 5 * time.Minute}), checker.StatsChecker())
	want := checker.Valid
	if stale {
		want = checker.Invalid
	}
	if rs.Valid != want {
		return "", fmt.Errorf("generated history: verdict %v, want %v: %+v", rs.Valid, want, rs.Checkers)
	}
	if err := checker.WriteResults(filepath.Join(dir, store.ResultsFile), rs); err != nil {
		return "", err
	}
	lr, _ := rs.Result(linearizable.Name)
	if _, err := linearizable.WriteVisualizations(lr, filepath.Join(dir, store.LinearDir)); err != nil {
		return "", err
	}
	for i := 1; i <= 5; i++ {
		log := bytes.Repeat([]byte(fmt.Sprintf("n%d: raft: applied entry\n", i)), 5000)
		if err := os.WriteFile(filepath.Join(dir, store.NodesDir, fmt.Sprintf("n%d.log", i)), log, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// The tests that need a big run share one, with its reports written:
// generating and checking it takes seconds under the race detector.
var shared struct {
	once sync.Once
	root string
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.root != "" {
		os.RemoveAll(shared.root)
	}
	os.Exit(code)
}

// sharedBigRun returns a run of bigRunOps entries with one stale read,
// with report.html, junit.xml and summary.md written. Tests must not
// change it.
func sharedBigRun(t *testing.T) string {
	t.Helper()
	shared.once.Do(func() {
		if shared.root, shared.err = os.MkdirTemp("", "faultline-reports-test-"); shared.err != nil {
			return
		}
		if shared.dir, shared.err = writeBigRun(shared.root, bigRunOps, true); shared.err != nil {
			return
		}
		shared.err = WriteAll(shared.dir)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.dir
}

// BenchmarkWriteHTML100k writes report.html for a run of 100 000 history
// entries (50 000 client ops, faults every 10 s, one stale read).
// Beside wall time it reports CPU time per report, which moves much less
// with the load of others on a shared machine.
func BenchmarkWriteHTML100k(b *testing.B) {
	dir := makeBigRun(b, 100_000, true)
	b.ResetTimer()
	cpu0 := measure.CPUTime()
	for b.Loop() {
		if err := WriteHTML(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(measure.CPUTime()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
	if st, err := os.Stat(filepath.Join(dir, store.ReportFile)); err == nil {
		b.ReportMetric(float64(st.Size())/1e6, "MB/report")
	}
}

// bigRunOps is the size of the run the tests render: 10 000 client ops.
// (BenchmarkWriteHTML100k renders ten times as many; under the race
// detector checking that history alone takes a minute.)
const bigRunOps = 20_000

func TestBigReportStaysSmall(t *testing.T) {
	dir := sharedBigRun(t)
	b, err := os.ReadFile(filepath.Join(dir, store.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	// About 60 bytes per op in the timeline data, the charts merged to
	// what can be seen.
	if len(b) > bigRunOps*60+1<<20 {
		t.Errorf("report.html is %d bytes for %d history entries", len(b), bigRunOps)
	}
	for _, want := range []string{`id="timeline-data"`, `id="latency-chart"`, `id="quantile-chart"`, `id="throughput-chart"`,
		"What failed", "On key", fmt.Sprintf(`data-ops="%d"`, bigRunOps/2)} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	checkHTML(t, b)
}
