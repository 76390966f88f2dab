package reports

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func runInfo() store.RunInfo {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	return store.RunInfo{
		Name:              "raft-register",
		RunID:             "r-1234",
		Target:            "raft",
		TargetOpts:        map[string]string{"bug": "stale-read"},
		Workload:          "register",
		WorkloadOpts:      map[string]string{"keys": "2"},
		Nemesis:           []string{"partition", "kill"},
		NemesisIntervalNS: int64(5 * time.Second),
		Nodes:             3,
		Concurrency:       4,
		Rate:              50,
		TimeLimitNS:       int64(30 * time.Second),
		OpTimeoutNS:       int64(time.Second),
		Seed:              424242,
		Command:           []string{"faultline", "run", "--target", "raft", "--target-opt", "bug=stale-read", "--nemesis", "partition,kill", "--label", "it's <b>"},
		Version:           "v0.1.0-test",
		GoVersion:         "go1.26.8",
		Start:             start,
		End:               start.Add(31 * time.Second),
	}
}

// testHistory has a stale read on key "k1", a partition and a kill.
func testHistory() []history.Op {
	sec := int64(time.Second)
	type e struct {
		t  int64
		op history.Op
	}
	mk := func(p int, typ history.Type, f, key string, v any) history.Op {
		return history.Op{Process: history.Process(p), Type: typ, F: f, Key: key, Value: history.MustValue(v), Node: "n1"}
	}
	nem := func(typ history.Type, f string, v any) history.Op {
		return history.Op{Process: history.NemesisProcess, Type: typ, F: f, Value: history.MustValue(v)}
	}
	es := []e{
		{0, mk(0, history.Invoke, "write", "k1", 1)},
		{sec / 10, mk(0, history.OK, "write", "k1", 1)},
		{sec / 5, mk(1, history.Invoke, "write", "k0", 5)},
		{sec / 4, mk(1, history.OK, "write", "k0", 5)},
		{sec, nem(history.Invoke, "start-partition", map[string][]string{"n1": {"n2", "n3"}})},
		{sec + 1000, nem(history.Info, "start-partition", map[string][]string{"n1": {"n2", "n3"}})},
		{2 * sec, mk(0, history.Invoke, "write", "k1", 2)},
		{2*sec + 100, mk(0, history.OK, "write", "k1", 2)},
		{3 * sec, mk(2, history.Invoke, "read", "k1", nil)},
		{3*sec + 100, mk(2, history.OK, "read", "k1", 1)},
		{3*sec + 200, mk(3, history.Invoke, "cas", "k0", []int{5, 6})},
		{3*sec + 300, mk(3, history.Fail, "cas", "k0", []int{5, 6})},
		{4 * sec, nem(history.Info, "stop-partition", nil)},
		{5 * sec, nem(history.Info, "kill", []string{"n2"})},
		{5*sec + 10, mk(1, history.Invoke, "write", "k0", 7)},
		{6 * sec, mk(1, history.Info, "write", "k0", nil)},
		{6*sec + 10, mk(2, history.Invoke, "read", "k0", nil)},
	}
	ops := make([]history.Op, len(es))
	for i, x := range es {
		x.op.Index, x.op.Time = int64(i), x.t
		ops[i] = x.op
	}
	return ops
}

// makeRun writes a complete run directory and returns its path.
func makeRun(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "raft-register", "20261125T100000.000Z")
	if err := os.MkdirAll(filepath.Join(dir, store.NodesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteJSON(filepath.Join(dir, store.RunFile), runInfo()); err != nil {
		t.Fatal(err)
	}
	ops := testHistory()
	var buf bytes.Buffer
	if err := history.Encode(&buf, ops); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.HistoryFile), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rs := checker.Run(context.Background(), ops, linearizable.New(linearizable.Options{}), checker.StatsChecker())
	if rs.Valid != checker.Invalid {
		t.Fatalf("test history should be invalid: %+v", rs)
	}
	if err := checker.WriteResults(filepath.Join(dir, store.ResultsFile), rs); err != nil {
		t.Fatal(err)
	}
	lr, _ := rs.Result(linearizable.Name)
	if _, err := linearizable.WriteVisualizations(lr, filepath.Join(dir, store.LinearDir)); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"n1.log", "n2.log", "n 3#.log"} {
		if err := os.WriteFile(filepath.Join(dir, store.NodesDir, n), []byte("log\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestWriteHTML(t *testing.T) {
	dir := makeRun(t)
	if err := WriteHTML(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, store.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		`<div class="banner invalid">invalid`,
		"linearizable", "1 of 2 keys not linearizable: k1", "read k1 → 1",
		"raft", "register", "partition, kill every 5s", "424242", "30s", "50 ops/s", "v0.1.0-test",
		"2026-11-25T10:00:00Z", "31s", "bug=stale-read", "keys=2",
		`faultline run --target raft --target-opt bug=stale-read --nemesis partition,kill --label &#39;it&#39;\&#39;&#39;s &lt;b&gt;&#39;`,
		"start-partition", "stop-partition", "kill", "1.000", "4.000",
		`href="./linearizable/k1.html"`, `href="./nodes/n1.log"`, `href="./nodes/n%203%23.log"`,
		`href="./history.jsonl"`, `href="./results.json"`,
		"<svg", `class="shade"`, `class="ok"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>") || strings.Contains(page, "<script") || strings.Contains(page, "http://") && !strings.Contains(page, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("report.html has unescaped or external content")
	}
	checkHTML(t, b)
}

// checkHTML parses the page and checks it has the elements we expect,
// each start tag matched.
func checkHTML(t *testing.T, b []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(b))
	depth := map[string]int{}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		name, _ := z.TagName()
		switch tt {
		case html.StartTagToken:
			depth[string(name)]++
		case html.EndTagToken:
			depth[string(name)]--
		}
	}
	for _, tag := range []string{"html", "body", "table", "tr", "svg", "details", "ul", "pre", "g", "title"} {
		if depth[tag] != 0 {
			t.Errorf("<%s> unbalanced by %d", tag, depth[tag])
		}
	}
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var tables, rects int
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "table":
				tables++
			case "rect":
				rects++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if tables < 4 || rects < 5 {
		t.Errorf("%d tables, %d rects", tables, rects)
	}
}

func TestSummaryGolden(t *testing.T) {
	dir := makeRun(t)
	var buf bytes.Buffer
	if err := Summary(&buf, dir); err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(buf.String(), dir, "RUNDIR")
	golden := filepath.Join("testdata", "summary.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("summary differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
	for _, s := range []string{"INVALID", "linearizable", "stats", "1 of 2 keys not linearizable: k1", "read", "write", "RUNDIR", "report.html (not written yet)"} {
		if !strings.Contains(got, s) {
			t.Errorf("summary lacks %q", s)
		}
	}
	if err := WriteHTML(dir); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := Summary(&buf, dir); err != nil || strings.Contains(buf.String(), "not written") {
		t.Errorf("summary after WriteHTML: %v\n%s", err, buf.String())
	}
}

func TestPartialRunDir(t *testing.T) {
	dir := t.TempDir()
	if err := WriteHTML(dir); err == nil {
		t.Error("WriteHTML without run.json succeeded")
	}
	if err := Summary(&bytes.Buffer{}, dir); err == nil {
		t.Error("Summary without run.json succeeded")
	}
	ri := runInfo()
	ri.Error = "docker: no such network"
	ri.Command = nil
	if err := store.WriteJSON(filepath.Join(dir, store.RunFile), ri); err != nil {
		t.Fatal(err)
	}
	// A truncated history and no results.
	var buf bytes.Buffer
	if err := history.Encode(&buf, testHistory()[:6]); err != nil {
		t.Fatal(err)
	}
	buf.WriteString(`{"index":6,"ti`)
	if err := os.WriteFile(filepath.Join(dir, store.HistoryFile), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, store.ReportFile))
	for _, want := range []string{`banner unknown`, "docker: no such network", "not checked", "incomplete", "start-partition"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	checkHTML(t, b)
	var out bytes.Buffer
	if err := Summary(&out, dir); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"UNKNOWN", "warning: no results.json", "write"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestChartBigHistory(t *testing.T) {
	// An hour of ops: buckets are merged to at most maxBuckets bars.
	var ops []history.Op
	for i := range 100_000 {
		ops = append(ops, history.Op{Index: int64(i), Time: int64(i) * int64(36*time.Millisecond), Process: history.Process(i % 10),
			Type: history.Type(1 + i%3), F: "read"})
	}
	c := newChart(ops, []checker.NemesisWindow{{Kind: "kill", Start: 0, End: int64(time.Minute)}}, ops[len(ops)-1].Time)
	if len(c.Bars) > maxBuckets || len(c.Bars) < maxBuckets/2 || len(c.XTicks) > 11 || len(c.Shades) != 1 {
		t.Errorf("%d bars, %d ticks, bucket %s", len(c.Bars), len(c.XTicks), c.Bucket)
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"faultline", "run", "--x=a b", "", "it's"})
	if want := `faultline run '--x=a b' '' 'it'\''s'`; got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
}
