package reports

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/store"
)

// Index lists the runs and suite records of a store.
type Index struct {
	Root   string
	Runs   []IndexRun
	Suites []IndexSuite
}

// IndexRun is one run of the index.
type IndexRun struct {
	Path     string // slash-separated, relative to the store root
	Name     string
	Start    time.Time
	Verdict  string // valid, invalid or unknown
	Duration time.Duration
	Target   string
	Nemesis  string // the faults asked for, and how many nemesis actions happened
	Seed     int64
	Note     string   // harness failure, interruption, not checked
	Files    []string // report.html, junit.xml, … that exist, relative to Path
}

// IndexSuite is one suite record of the index.
type IndexSuite struct {
	Path  string // slash-separated, relative to the store root
	Suite Suite
}

// indexFiles are the files of a run directory the index links to, in order.
var indexFiles = []string{store.ReportFile, store.RunFile, store.HistoryFile, store.ResultsFile, JUnitFile, MarkdownFile}

// ScanStore reads the store at root: every <name>/<timestamp>/ with a
// run.json, and every suite record under _suites/. It reads run.json and
// results.json only, never histories, so it is quick on big stores.
// Symbolic links (store/latest) are not followed, so each run is listed
// once and nothing outside the store is read. Unreadable runs are listed
// with a note rather than failing the scan.
func ScanStore(root string) (*Index, error) {
	ix := &Index{Root: root}
	names, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read store: %w", err)
	}
	for _, n := range names {
		if !n.IsDir() || strings.HasPrefix(n.Name(), ".") {
			continue
		}
		if n.Name() == SuitesDir {
			ix.scanSuites(filepath.Join(root, SuitesDir))
			continue
		}
		stamps, err := os.ReadDir(filepath.Join(root, n.Name()))
		if err != nil {
			continue
		}
		for _, s := range stamps {
			if !s.IsDir() {
				continue
			}
			dir := filepath.Join(root, n.Name(), s.Name())
			if r, ok := indexRun(dir, path.Join(n.Name(), s.Name())); ok {
				ix.Runs = append(ix.Runs, r)
			}
		}
	}
	slices.SortStableFunc(ix.Runs, func(a, b IndexRun) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return strings.Compare(b.Path, a.Path)
	})
	slices.SortStableFunc(ix.Suites, func(a, b IndexSuite) int { return b.Suite.Start.Compare(a.Suite.Start) })
	return ix, nil
}

func (ix *Index) scanSuites(dir string) {
	names, _ := os.ReadDir(dir)
	for _, n := range names {
		if !n.IsDir() {
			continue
		}
		stamps, _ := os.ReadDir(filepath.Join(dir, n.Name()))
		for _, st := range stamps {
			if !st.IsDir() {
				continue
			}
			s, err := ReadSuite(filepath.Join(dir, n.Name(), st.Name()))
			if err != nil {
				continue
			}
			ix.Suites = append(ix.Suites, IndexSuite{Path: path.Join(SuitesDir, n.Name(), st.Name()), Suite: s})
		}
	}
}

// indexRun reads one run directory; ok is false when it is not a run.
func indexRun(dir, rel string) (IndexRun, bool) {
	info, err := store.ReadRunInfo(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return IndexRun{}, false
	}
	r := IndexRun{Path: rel, Name: filepath.Base(filepath.Dir(dir)), Verdict: "unknown"}
	if err != nil {
		r.Note = err.Error()
		return r, true
	}
	r.Name, r.Start, r.Duration, r.Seed = orDash(info.Name), info.Start, runDuration(info), info.Seed
	r.Target = info.Target
	if o := mapString(info.TargetOpts); o != "" {
		r.Target += " (" + o + ")"
	}
	r.Nemesis = strings.Join(info.Nemesis, ", ")
	if r.Nemesis == "" {
		r.Nemesis = "none"
	}
	var notes []string
	switch {
	case info.Error != "":
		notes = append(notes, "harness failed: "+clipString(info.Error, 200))
	case info.Interrupted:
		notes = append(notes, "interrupted")
	}
	rs, err := checker.ReadResults(filepath.Join(dir, store.ResultsFile))
	if err == nil {
		r.Verdict = rs.Valid.String()
		n := 0
		for _, c := range rs.Stats.Nemesis {
			n += c
		}
		if n > 0 {
			r.Nemesis += fmt.Sprintf(" · %d actions", n)
		}
		for _, c := range rs.Checkers {
			if c.Verdict != checker.Valid {
				notes = append(notes, c.Checker+": "+clipString(c.Message, 200))
			}
		}
	} else {
		notes = append(notes, "not checked")
	}
	r.Note = strings.Join(notes, "; ")
	for _, f := range indexFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			r.Files = append(r.Files, f)
		}
	}
	return r, true
}

// WriteHTML writes the index as one self-contained page. Links are
// relative: prefix is the path from the page to the store root ("" when
// the page is served from the root itself).
func (ix *Index) WriteHTML(w io.Writer, prefix string) error {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	v := indexView{Root: ix.Root, Generated: time.Now().UTC().Format(time.RFC3339)}
	at := func(p string) string { return prefix + escapePath(p) }
	for _, r := range ix.Runs {
		row := indexRow{IndexRun: r, Dir: at(r.Path) + "/"}
		if !r.Start.IsZero() {
			row.When = r.Start.UTC().Format("2006-01-02 15:04:05")
		}
		if r.Duration > 0 {
			row.Took = r.Duration.Round(100 * time.Millisecond).String()
		}
		for _, f := range r.Files {
			row.Links = append(row.Links, link{Href: at(r.Path + "/" + f), Text: f})
		}
		v.Counts[verdictSlot(r.Verdict)]++
		v.Runs = append(v.Runs, row)
	}
	for _, s := range ix.Suites {
		sr := suiteRow{Name: s.Suite.Name, Runs: len(s.Suite.Runs), Passed: s.Suite.Passed(), Dir: at(s.Path) + "/",
			JUnit: at(s.Path + "/" + JUnitFile), Summary: at(s.Path + "/" + MarkdownFile)}
		if !s.Suite.Start.IsZero() {
			sr.When = s.Suite.Start.UTC().Format("2006-01-02 15:04:05")
		}
		v.Suites = append(v.Suites, sr)
	}
	var buf bytes.Buffer
	if err := indexTmpl.Execute(&buf, v); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// WriteIndexFile scans the store and writes the index to file, with links
// relative to the file's directory.
func WriteIndexFile(root, file string) error {
	ix, err := ScanStore(root)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(absOr(filepath.Dir(file)), absOr(root))
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	prefix := ""
	if rel != "." {
		prefix = filepath.ToSlash(rel)
	}
	var buf bytes.Buffer
	if err := ix.WriteHTML(&buf, prefix); err != nil {
		return err
	}
	return writeFileAtomic(file, buf.Bytes())
}

func verdictSlot(v string) int {
	switch v {
	case "valid":
		return 0
	case "invalid":
		return 1
	}
	return 2
}

func escapePath(p string) string { return strings.TrimPrefix(href(p), "./") }

type indexView struct {
	Root, Generated string
	Counts          [3]int // valid, invalid, unknown
	Runs            []indexRow
	Suites          []suiteRow
}

type indexRow struct {
	IndexRun
	When, Took, Dir string
	Links           []link
}

type suiteRow struct {
	Name, When, Dir, JUnit, Summary string
	Runs, Passed                    int
}

var indexTmpl = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faultline runs</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1300px; padding: 16px 24px 48px; color: #1f2937; }
h1 { font-size: 22px; margin: 8px 0 2px; } h2 { font-size: 17px; margin: 26px 0 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 10px 4px 0; vertical-align: top; border-bottom: 1px solid #eee; }
th { color: #4b5563; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; }
.valid { background: #2e7d32; } .invalid { background: #c62828; } .unknown { background: #b7791f; }
.muted { color: #6b7280; } .note { color: #6b7280; font-size: 12.5px; max-width: 420px; }
a { color: #1d4ed8; } .files a { margin-right: 8px; font-size: 12.5px; }
</style>
</head>
<body>
<h1>faultline runs</h1>
<p class="muted">{{.Root}} · {{len .Runs}} runs: {{index .Counts 0}} valid, {{index .Counts 1}} invalid, {{index .Counts 2}} unknown · generated {{.Generated}}</p>
{{if .Suites}}<h2>Suites</h2>
<table>
<tr><th>started (UTC)</th><th>suite</th><th>result</th><th></th></tr>
{{range .Suites}}<tr><td>{{.When}}</td><td><a href="{{.Dir}}">{{.Name}}</a></td><td><span class="badge {{if eq .Passed .Runs}}valid{{else}}invalid{{end}}">{{.Passed}} of {{.Runs}} passed</span></td><td class="files"><a href="{{.JUnit}}">junit.xml</a><a href="{{.Summary}}">summary.md</a></td></tr>
{{end}}</table>
{{end}}<h2>Runs</h2>
{{if .Runs}}<table id="runs">
<tr><th>started (UTC)</th><th>test</th><th>verdict</th><th class="n">duration</th><th>target</th><th>faults</th><th class="n">seed</th><th>files</th></tr>
{{range .Runs}}<tr><td><a href="{{.Dir}}">{{.When}}</a></td><td>{{.Name}}</td><td><span class="badge {{.Verdict}}">{{.Verdict}}</span>{{if .Note}}<div class="note">{{.Note}}</div>{{end}}</td><td class="n">{{.Took}}</td><td>{{.Target}}</td><td>{{.Nemesis}}</td><td class="n">{{.Seed}}</td><td class="files">{{range .Links}}<a href="{{.Href}}">{{.Text}}</a>{{end}}</td></tr>
{{end}}</table>
{{else}}<p class="muted">No runs in this store yet.</p>
{{end}}</body>
</html>
`))
