package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
)

// Limits that keep report.html small for big runs.
const (
	maxFaultRows    = 1000     // nemesis actions listed
	maxDetailsBytes = 64 << 10 // a checker's details shown as JSON
	maxValueChars   = 200      // a nemesis value shown
	maxAnomalies    = 20       // anomalies explained
	maxLogTail      = 64 << 10 // bytes of each node log shown inline
	maxLogsTotal    = 1 << 20  // bytes of node logs shown inline, all nodes
)

// WriteHTML writes report.html into the run directory runDir, from what
// the run left there.
func WriteHTML(runDir string) error {
	r, err := load(runDir, true)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	p, err := newPage(r)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(1 << 20)
	if err := pageTmpl.Execute(&buf, p); err != nil {
		return fmt.Errorf("report: render: %w", err)
	}
	return writeFileAtomic(filepath.Join(runDir, store.ReportFile), buf.Bytes())
}

// writeFileAtomic writes b to path through a temporary file and a rename,
// so a reader never sees half a file.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

type page struct {
	Title    string
	Verdict  string
	Dir      string
	Warnings []string
	Failed   []kv // checker -> message, for checkers that did not pass
	Explain  string
	Checkers []checkerView
	Config   []kv
	Command  string
	Stats    checker.Stats
	ByF      []fRow
	Total    checker.Counts

	Kinds        []kv // fault kind -> colour
	Figures      []*figure
	LatencyRows  []latencyRow
	Availability []availRow
	Timeline     template.HTML
	TimelineOps  int

	Linear     []linearKey
	LinearMore int
	Embed      string // href of the visualization shown inline

	Windows    []windowRow
	Faults     []faultRow
	MoreFaults int
	Links      []link
	Visuals    []link
	NodeLogs   []nodeLog
	CSS        template.CSS
	JS         template.JS
}

type kv struct{ K, V string }

type checkerView struct {
	Name, Verdict, Message, Details string
	Anomalies                       []string // what a checker other than the linearizable one explains
	MoreAnomalies                   int
}

type fRow struct {
	F string
	checker.Counts
}

type windowRow struct {
	Kind, Color, Start, End, Length string
	What                            string // who could talk to whom, which clocks or nodes
	StartUS, EndUS                  int64
	Open                            bool
}

type faultRow struct {
	Start, End, F, Type, Value, Error string
}

type link struct{ Href, Text string }

// linearKey is a key that is not linearizable, as the report shows it.
type linearKey struct {
	Key, Plain, Checker, Href string
}

type nodeLog struct {
	Name, Href, Text string
	Size             int64
	Clipped          bool
}

func newPage(r *run) (*page, error) {
	p := &page{
		Verdict:  r.results.Valid.String(),
		Dir:      r.dir,
		Warnings: r.warnings,
		Stats:    r.stats,
		Total:    r.stats.Client,
		CSS:      template.CSS(reportCSS),
		JS:       template.JS(reportJS),
	}
	p.Title = fmt.Sprintf("%s — %s", orDash(r.info.Name), p.Verdict)
	for _, c := range r.results.Checkers {
		p.Checkers = append(p.Checkers, newCheckerView(c))
		if c.Verdict != checker.Valid {
			p.Failed = append(p.Failed, kv{c.Checker, c.Verdict.String() + ": " + orDash(c.Message)})
		}
	}
	p.Config = config(r.info)
	p.Command = shellJoin(r.info.Command)
	fs := sortedKeys(r.stats.ByF)
	for _, f := range fs {
		p.ByF = append(p.ByF, fRow{F: f, Counts: r.stats.ByF[f]})
	}
	for _, f := range r.files {
		p.Links = append(p.Links, link{Href: href(f), Text: f})
	}
	visual := map[string]string{} // file name under linearizable/ -> href
	for _, f := range r.visualizations {
		name := strings.TrimPrefix(f, store.LinearDir+"/")
		visual[name] = href(f)
		p.Visuals = append(p.Visuals, link{Href: href(f), Text: strings.TrimSuffix(name, ".html")})
	}
	p.NodeLogs = nodeLogs(r.dir, r.nodeLogs)
	if !r.hasHistory {
		p.linearKeys(r, nil, visual)
		p.otherExplanation()
		return p, nil
	}

	tl := newTimeline(r.ops)
	for i, k := range tl.kinds.kinds {
		p.Kinds = append(p.Kinds, kv{k, tl.kinds.colors[i]})
	}
	for _, w := range tl.windows {
		p.Windows = append(p.Windows, windowRow{Kind: w.Kind, What: describeFault(w.StartValue), Color: tl.kinds.color(w.Kind), Start: secs(w.Start), End: secs(w.End),
			Length: secs(w.End - w.Start), StartUS: w.Start / 1000, EndUS: w.End / 1000, Open: w.Open})
	}
	for i, a := range tl.actions {
		if i == maxFaultRows {
			p.MoreFaults = len(tl.actions) - i
			break
		}
		p.Faults = append(p.Faults, faultRow{Start: secs(a.Start), End: secs(a.End), F: a.F,
			Type: typeName(a.Type), Value: clipString(string(a.Value), maxValueChars), Error: a.Error})
	}
	for _, fig := range []*figure{latencyChart(tl, fs), quantileChart(tl), throughputChart(tl)} {
		if fig != nil {
			p.Figures = append(p.Figures, fig)
		}
	}
	p.LatencyRows = latencyTable(tl, fs)
	p.Availability = availability(tl)
	var err error
	if p.Timeline, p.TimelineOps, err = timelineData(tl); err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	p.linearKeys(r, tl.windows, visual)
	p.otherExplanation()
	return p, nil
}

// otherExplanation explains at the top what a checker other than the
// linearizable one found, when the linearizable one had nothing to say.
func (p *page) otherExplanation() {
	for _, c := range p.Checkers {
		if p.Explain == "" && c.Verdict == checker.Invalid.String() && len(c.Anomalies) > 0 {
			p.Explain = c.Name + ": " + c.Anomalies[0]
		}
	}
}

// linearKeys fills the linearizability section and the plain explanation
// at the top from the linearizable checker's anomalies.
func (p *page) linearKeys(r *run, ws []checker.NemesisWindow, visual map[string]string) {
	for _, c := range r.results.Checkers {
		d, ok := linearDetails(c)
		if !ok {
			continue
		}
		for i, a := range d.Anomalies {
			if i == maxAnomalies {
				p.LinearMore = len(d.Anomalies) - i
				break
			}
			lk := linearKey{Key: a.Key, Plain: plainExplanation(a, ws, true), Checker: a.Explanation,
				Href: visual[linearizable.FileName(a.Key)]}
			if p.Explain == "" {
				p.Explain = plainExplanation(a, ws, false)
			}
			if p.Embed == "" {
				p.Embed = lk.Href
			}
			p.Linear = append(p.Linear, lk)
		}
	}
}

// nodeLogs reads the tail of each node log for the collapsed sections.
func nodeLogs(dir string, files []string) []nodeLog {
	var out []nodeLog
	budget := maxLogsTotal
	for _, f := range files {
		nl := nodeLog{Name: strings.TrimPrefix(f, store.NodesDir+"/"), Href: href(f)}
		if budget > 0 {
			nl.Text, nl.Size, nl.Clipped = tail(filepath.Join(dir, filepath.FromSlash(f)), min(maxLogTail, budget))
			budget -= len(nl.Text)
		} else {
			nl.Clipped = true
		}
		out = append(out, nl)
	}
	return out
}

// tail returns up to n bytes from the end of a file, from a line start
// when it has to cut, made valid UTF-8.
func tail(path string, n int) (text string, size int64, clipped bool) {
	f, err := os.Open(path)
	if err != nil {
		return "(unreadable: " + err.Error() + ")", 0, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "(unreadable: " + err.Error() + ")", 0, false
	}
	size = st.Size()
	off := max(size-int64(n), 0)
	b := make([]byte, size-off)
	if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
		return "(unreadable: " + err.Error() + ")", size, false
	}
	if off > 0 {
		clipped = true
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), size, clipped
}

func newCheckerView(c checker.Result) checkerView {
	v := checkerView{Name: c.Checker, Verdict: c.Verdict.String(), Message: c.Message}
	if _, isLinear := linearDetails(c); !isLinear && c.Verdict != checker.Valid {
		v.Anomalies, v.MoreAnomalies = explanations(c.Details, maxAnomalies)
	}
	if c.Details != nil {
		if b, err := json.MarshalIndent(c.Details, "", "  "); err == nil {
			v.Details = clipString(string(b), maxDetailsBytes)
		}
	}
	return v
}

func config(ri store.RunInfo) []kv {
	var c []kv
	add := func(k, v string) {
		if v != "" {
			c = append(c, kv{k, v})
		}
	}
	add("test", ri.Name)
	add("run id", ri.RunID)
	add("target", ri.Target)
	add("target options", mapString(ri.TargetOpts))
	add("workload", ri.Workload)
	add("workload options", mapString(ri.WorkloadOpts))
	nem := strings.Join(ri.Nemesis, ", ")
	if nem == "" {
		nem = "none"
	}
	if ri.NemesisIntervalNS > 0 {
		nem += " every " + time.Duration(ri.NemesisIntervalNS).String()
	}
	add("nemesis", nem)
	add("nodes", fmt.Sprint(ri.Nodes))
	add("concurrency", fmt.Sprint(ri.Concurrency))
	add("balance", ri.Balance)
	if ri.Rate > 0 {
		add("rate", fmt.Sprintf("%g ops/s", ri.Rate))
	} else {
		add("rate", "unlimited")
	}
	add("time limit", duration(ri.TimeLimitNS))
	add("op timeout", duration(ri.OpTimeoutNS))
	add("seed", fmt.Sprint(ri.Seed))
	add("version", ri.Version)
	add("go version", ri.GoVersion)
	if !ri.Start.IsZero() {
		add("start", ri.Start.UTC().Format(time.RFC3339Nano))
	}
	if !ri.End.IsZero() {
		add("end", ri.End.UTC().Format(time.RFC3339Nano))
		if !ri.Start.IsZero() {
			add("duration", ri.End.Sub(ri.Start).Round(time.Millisecond).String())
		}
	}
	if ri.Interrupted {
		add("interrupted", "yes")
	}
	add("target info", mapString(ri.TargetInfo))
	add("error", ri.Error)
	return c
}

func duration(ns int64) string {
	if ns <= 0 {
		return ""
	}
	return time.Duration(ns).String()
}

func mapString(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// shellJoin quotes argv for a POSIX shell.
func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,@%+") == "" {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

// secs formats nanoseconds since the start of the run as seconds.
func secs(ns int64) string { return fmt.Sprintf("%.3f", float64(ns)/1e9) }

func typeName(t history.Type) string {
	if t == history.Invoke {
		return "pending"
	}
	return t.String()
}

// clipString cuts s to at most n bytes, on a rune boundary.
func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf("… (%d more bytes)", len(s)-n)
}

// href escapes a slash-separated relative path for a link.
func href(rel string) string {
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "./" + strings.Join(parts, "/")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
