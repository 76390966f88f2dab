package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
)

// Limits that keep report.html small for big runs.
const (
	maxFaultRows    = 1000     // nemesis actions listed
	maxDetailsBytes = 64 << 10 // a checker's details shown as JSON
	maxValueChars   = 200      // a nemesis value shown
	maxAnomalies    = 20       // anomaly explanations listed per checker
	maxBuckets      = 600      // bars in the chart
)

// WriteHTML writes report.html into the run directory runDir, from what
// the run left there.
func WriteHTML(runDir string) error {
	r, err := load(runDir, true)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, newPage(r)); err != nil {
		return fmt.Errorf("report: render: %w", err)
	}
	path := filepath.Join(runDir, store.ReportFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

type page struct {
	Title      string
	Verdict    string
	Dir        string
	Warnings   []string
	Checkers   []checkerView
	Config     []kv
	Command    string
	Stats      checker.Stats
	ByF        []fRow
	Total      checker.Counts
	Duration   string
	Chart      *chart
	Windows    []windowRow
	Faults     []faultRow
	MoreFaults int
	Links      []link
	Visuals    []link
	NodeLogs   []link
}

type kv struct{ K, V string }

type checkerView struct {
	Name, Verdict, Message string
	Anomalies              []string
	MoreAnomalies          int
	Details                string
}

type fRow struct {
	F string
	checker.Counts
}

type windowRow struct {
	Kind, Start, End, Length string
	Open                     bool
}

type faultRow struct {
	Start, End, F, Type, Value, Error string
}

type link struct{ Href, Text string }

func newPage(r *run) *page {
	p := &page{
		Verdict:  r.results.Valid.String(),
		Dir:      r.dir,
		Warnings: r.warnings,
		Stats:    r.stats,
		Total:    r.stats.Client,
	}
	p.Title = fmt.Sprintf("%s — %s", orDash(r.info.Name), p.Verdict)
	for _, c := range r.results.Checkers {
		p.Checkers = append(p.Checkers, newCheckerView(c))
	}
	p.Config = config(r.info)
	p.Command = shellJoin(r.info.Command)
	for _, f := range sortedKeys(r.stats.ByF) {
		p.ByF = append(p.ByF, fRow{F: f, Counts: r.stats.ByF[f]})
	}
	if r.hasHistory {
		ws := checker.NemesisWindows(r.ops)
		for _, w := range ws {
			p.Windows = append(p.Windows, windowRow{Kind: w.Kind, Start: secs(w.Start), End: secs(w.End),
				Length: secs(w.End - w.Start), Open: w.Open})
		}
		acts := checker.NemesisActions(r.ops)
		for i, a := range acts {
			if i == maxFaultRows {
				p.MoreFaults = len(acts) - i
				break
			}
			p.Faults = append(p.Faults, faultRow{Start: secs(a.Start), End: secs(a.End), F: a.F,
				Type: typeName(a.Type), Value: clipString(string(a.Value), maxValueChars), Error: a.Error})
		}
		p.Chart = newChart(r.ops, ws, r.stats.LastTime)
	}
	for _, f := range r.files {
		p.Links = append(p.Links, link{Href: href(f), Text: f})
	}
	for _, f := range r.visualizations {
		p.Visuals = append(p.Visuals, link{Href: href(f), Text: strings.TrimSuffix(strings.TrimPrefix(f, store.LinearDir+"/"), ".html")})
	}
	for _, f := range r.nodeLogs {
		p.NodeLogs = append(p.NodeLogs, link{Href: href(f), Text: strings.TrimPrefix(f, store.NodesDir+"/")})
	}
	return p
}

func newCheckerView(c checker.Result) checkerView {
	v := checkerView{Name: c.Checker, Verdict: c.Verdict.String(), Message: c.Message}
	if m, ok := c.Details.(map[string]any); ok {
		if as, ok := m["anomalies"].([]any); ok {
			for i, a := range as {
				if i == maxAnomalies {
					v.MoreAnomalies = len(as) - i
					break
				}
				if am, ok := a.(map[string]any); ok {
					if e, ok := am["explanation"].(string); ok {
						v.Anomalies = append(v.Anomalies, e)
					}
				}
			}
		}
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
