package reports

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
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
		`<div class="banner invalid" id="verdict">invalid`,
		"What failed", "linearizable", "1 of 2 keys not linearizable: k1", "read k1 → 1",
		// the plain explanation of the stale read, with the fault in place
		"On key k1, process 2 (talking to node n1) read 1 at 3.000s", "leaves k1 holding 2, last set by write k1 2",
		"Faults in place while it ran: partition",
		"raft", "register", "partition, kill every 5s", "424242", "30s", "50 ops/s", "v0.1.0-test",
		"2026-11-25T10:00:00Z", "31s", "bug=stale-read", "keys=2",
		`faultline run --target raft --target-opt bug=stale-read --nemesis partition,kill --label &#39;it&#39;\&#39;&#39;s &lt;b&gt;&#39;`,
		"start-partition", "stop-partition", "kill", "1.000", "4.000",
		`href="./linearizable/k1.html"`, `href="./nodes/n1.log"`, `href="./nodes/n%203%23.log"`,
		`href="./history.jsonl"`, `href="./results.json"`, `<iframe class="porcupine" src="./linearizable/k1.html"`,
		`id="latency-chart"`, `id="quantile-chart"`, `id="throughput-chart"`, `class="shade"`, `class="ok"`,
		`id="tl-canvas" data-ops="7"`, `<script type="application/json" id="timeline-data">`,
		"Availability", "no fault in place", "any fault in place",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// The embedded Porcupine page carries the fault windows as annotations.
	if vis, err := os.ReadFile(filepath.Join(dir, store.LinearDir, "k1.html")); err != nil || !strings.Contains(string(vis), `"Tag":"nemesis"`) {
		t.Errorf("linearizable/k1.html has no nemesis annotation (%v)", err)
	}
	if strings.Contains(page, "s <b>") {
		t.Error("report.html has unescaped content from the run")
	}
	checkSelfContained(t, b)
	checkHTML(t, b)
}

// checkSelfContained fails if the page loads anything: no src or href to
// another host, no script or stylesheet from a file, no URL but the SVG
// namespace.
func checkSelfContained(t *testing.T, b []byte) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch a.Key {
				case "src", "href":
					if !strings.HasPrefix(a.Val, "./") && !strings.HasPrefix(a.Val, "#") {
						t.Errorf("<%s %s=%q> points outside the run directory", n.Data, a.Key, a.Val)
					}
					if n.Data == "script" || n.Data == "link" {
						t.Errorf("<%s %s=%q>: the page must inline its scripts and styles", n.Data, a.Key, a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, scheme := range []string{"https://", "http://"} {
		rest := strings.ReplaceAll(string(b), `xmlns="http://www.w3.org/2000/svg"`, "")
		if i := strings.Index(rest, scheme); i >= 0 {
			t.Errorf("report.html mentions a URL: %q", rest[i:min(len(rest), i+60)])
		}
	}
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
	for _, tag := range []string{"html", "body", "table", "tr", "svg", "details", "ul", "pre", "g", "title", "figure", "script"} {
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
	if tables < 3 || rects < 1 {
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

func TestChartsBigHistory(t *testing.T) {
	// An hour of ops: buckets are merged, points too.
	var ops []history.Op
	for i := range 100_000 {
		p := history.Process(i / 2 % 10)
		typ := history.Invoke
		if i%2 == 1 {
			typ = history.Type(1 + i/2%3)
		}
		ops = append(ops, history.Op{Index: int64(i), Time: int64(i) * int64(36*time.Millisecond), Process: p, Type: typ, F: "read"})
	}
	ops = append(ops, history.Op{Index: int64(len(ops)), Time: int64(time.Minute), Process: history.NemesisProcess, Type: history.Info, F: "kill"},
		history.Op{Index: int64(len(ops) + 1), Time: int64(2 * time.Minute), Process: history.NemesisProcess, Type: history.Info, F: "restart"})
	slices.SortStableFunc(ops, func(a, b history.Op) int { return cmp.Compare(a.Time, b.Time) })
	tl := newTimeline(ops)
	if len(tl.windows) != 1 || len(tl.cops) != 50_000 {
		t.Fatalf("%d windows, %d client ops", len(tl.windows), len(tl.cops))
	}
	tp := throughputChart(tl)
	if n := strings.Count(string(tp.SVG), "<g>"); n > maxBuckets || n < maxBuckets/2 {
		t.Errorf("throughput: %d bars", n)
	}
	if n := strings.Count(string(tp.SVG), "text-anchor=\"middle\""); n > 11 {
		t.Errorf("throughput: %d ticks", n)
	}
	lat := latencyChart(tl, []string{"read"})
	if len(lat.SVG) > 200<<10 {
		t.Errorf("latency chart is %d bytes for one latency", len(lat.SVG))
	}
	q := quantileChart(tl)
	if n := strings.Count(string(q.SVG), "L"); n > len(chartQuantiles)*maxQBuckets {
		t.Errorf("quantiles: %d line segments", n)
	}
}

func TestAvailability(t *testing.T) {
	tl := newTimeline(testHistory())
	rows := availability(tl)
	byWhen := map[string]availRow{}
	for _, r := range rows {
		byWhen[r.When] = r
	}
	// Completions at 0.1, 0.25 (no fault), 2.0001, 3.0001, 3.0003 (partition
	// from 1 to 4 s), 6 (kill from 5 s, never healed).
	for when, want := range map[string][4]int{
		"no fault in place":  {2, 2, 0, 0},
		"any fault in place": {4, 2, 1, 1},
		"partition":          {3, 2, 1, 0},
		"kill":               {1, 0, 0, 1},
	} {
		r := byWhen[when]
		if got := [4]int{r.Done, r.OK, r.Fail, r.Info}; got != want {
			t.Errorf("%s: done/ok/fail/info = %v, want %v", when, got, want)
		}
	}
}

func TestTimelineLanes(t *testing.T) {
	ops := bigHistory(20_000, false)
	tl := newTimeline(ops)
	h, n, err := timelineData(tl)
	if err != nil || n != len(tl.cops) {
		t.Fatalf("timelineData: %d ops, %v", n, err)
	}
	var d timelineJSON
	js := strings.TrimSuffix(strings.TrimPrefix(string(h), `<script type="application/json" id="timeline-data">`), `</script>`)
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		t.Fatal(err)
	}
	// Ops of one lane never overlap: a lane is one process at a time.
	lastEnd := map[int32]int64{}
	var at int64
	for i := range d.Lane {
		at += d.Start[i]
		l := d.Lane[i]
		if e, ok := lastEnd[l]; ok && at < e {
			t.Fatalf("op %d starts at %dµs in lane %d before the previous op ends at %dµs", i, at, l, e)
		}
		end := at + d.Dur[i]
		if d.Dur[i] < 0 {
			end = d.End
		}
		lastEnd[l] = end
	}
	// Retired processes reuse the lane of their worker: as many lanes as
	// clients.
	if len(d.Lanes) != 10 {
		t.Errorf("%d lanes for 10 clients: %v", len(d.Lanes), d.Lanes)
	}
	if d.Begin != int64(time.Second/time.Microsecond) {
		t.Errorf("the axis begins at %dµs, want the first op's second", d.Begin)
	}
}

func TestPlainExplanation(t *testing.T) {
	a := linearizable.Anomaly{Key: "k1", Ops: 5, Linearized: 3, State: "2",
		PrefixTail: []linearizable.OpRef{{F: "write", Value: float64(2), Process: 0, Node: "n1", End: 2e9, Description: "write k1 2"}},
		Op:         &linearizable.OpRef{F: "read", Value: float64(1), Process: 2, Node: "n3", Start: 3e9, End: 3.1e9}}
	ws := []checker.NemesisWindow{{Kind: "partition", Start: 1e9, End: 4e9}}
	got := plainExplanation(a, ws, false)
	for _, want := range []string{"On key k1, process 2 (talking to node n3) read 1 at 3.000s", "latest value written before it",
		"covers 3 of the key's 5 operations and leaves k1 holding 2", "last set by write k1 2 (process 0 via n1, done at 2.000s, before this operation began)",
		"stale", "Faults in place while it ran: partition (1.000s–4.000s)", "majority"} {
		if !strings.Contains(got, want) {
			t.Errorf("explanation lacks %q:\n%s", want, got)
		}
	}
	brief := plainExplanation(a, nil, true)
	if strings.Contains(brief, "latest value written") || strings.Contains(brief, "Faults") || !strings.Contains(brief, "The longest valid order") {
		t.Errorf("brief explanation: %s", brief)
	}
	a.Op = &linearizable.OpRef{F: "cas", Value: []any{float64(1), float64(3)}, Process: 4, Start: 9e9, End: 9.1e9}
	if got := plainExplanation(a, ws, false); !strings.Contains(got, "swapped 1 for 3") || !strings.Contains(got, "the last one, partition, was healed at 4.000s") {
		t.Errorf("cas explanation: %s", got)
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"faultline", "run", "--x=a b", "", "it's"})
	if want := `faultline run '--x=a b' '' 'it'\''s'`; got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
}

// A checker other than the linearizable one explains itself through the
// "explanation" strings of its details, as Elle's anomalies do.
func TestOtherCheckerExplanations(t *testing.T) {
	dir := makeRun(t)
	rs := checker.Results{Valid: checker.Invalid, Checkers: []checker.Result{{
		Checker: "list-append", Verdict: checker.Invalid, Message: "G1c",
		Details: map[string]any{"anomalies": map[string]any{
			"G1c":         []any{map[string]any{"type": "G1c", "explanation": "T1 < T2 < T1: a cycle of <writes>"}},
			"lost-update": []any{map[string]any{"explanation": "two writers read 3"}},
		}},
	}}}
	if err := checker.WriteResults(filepath.Join(dir, store.ResultsFile), rs); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, store.ReportFile))
	for _, want := range []string{`<p id="explanation">list-append: T1 &lt; T2 &lt; T1: a cycle of &lt;writes&gt;</p>`, "⚠ two writers read 3"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if !strings.Contains(string(md), "**What failed:** list-append: T1 &lt; T2") {
		t.Errorf("summary.md:\n%s", md)
	}
}
