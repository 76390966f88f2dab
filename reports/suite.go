package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/faultline-io/faultline/harness/store"
)

// SuitesDir is the directory under a store that keeps suite records:
// <store>/_suites/<suite>/<timestamp>/. A run's name cannot start with
// '_', so it never collides with a run.
const SuitesDir = "_suites"

// SuiteFile is the record of a suite run, beside its junit.xml and
// summary.md.
const SuiteFile = "suite.json"

// Suite is what `faultline suite` did: every combination of the matrix,
// in the order run.
type Suite struct {
	Name  string     `json:"name"`
	File  string     `json:"file"` // the suite file, as given
	Start time.Time  `json:"start"`
	End   time.Time  `json:"end,omitzero"`
	Runs  []SuiteRun `json:"runs"`
}

// SuiteRun is one combination of a suite.
type SuiteRun struct {
	Label    string `json:"label"` // target/workload/nemesis/seed
	Target   string `json:"target"`
	Workload string `json:"workload"`
	Nemesis  string `json:"nemesis"`
	Seed     int64  `json:"seed"`
	// Dir is the run directory, relative to the suite record's directory
	// when written; "" when the harness failed before creating it.
	Dir      string `json:"dir,omitempty"`
	Verdict  string `json:"verdict"` // valid, invalid, unknown; "" when not run
	Expect   string `json:"expect"`  // valid, invalid, unknown or any
	Pass     bool   `json:"pass"`
	Error    string `json:"error,omitempty"` // harness failure, or why it did not run
	Duration int64  `json:"duration_ns"`
	OK       int    `json:"ok"` // client ops that completed ok
	Message  string `json:"message,omitempty"`
}

// Passed counts the combinations that met their expectation.
func (s *Suite) Passed() int {
	n := 0
	for _, r := range s.Runs {
		if r.Pass {
			n++
		}
	}
	return n
}

// WriteSuite writes suite.json, junit.xml (one testcase per combination)
// and summary.md into dir, which it creates. Run directories are stored
// relative to dir, so the store can be moved or unpacked elsewhere.
func WriteSuite(dir string, s Suite) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("suite record: %w", err)
	}
	rec := s
	rec.Runs = append([]SuiteRun(nil), s.Runs...)
	for i := range rec.Runs {
		if d := rec.Runs[i].Dir; d != "" {
			if rel, err := filepath.Rel(absOr(dir), absOr(d)); err == nil {
				rec.Runs[i].Dir = filepath.ToSlash(rel)
			}
		}
	}
	if err := store.WriteJSON(filepath.Join(dir, SuiteFile), rec); err != nil {
		return err
	}
	b, err := suiteJUnit(s)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, JUnitFile), b); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, MarkdownFile), []byte(SuiteMarkdown(s)))
}

func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// ReadSuite reads a suite record.
func ReadSuite(dir string) (Suite, error) {
	var s Suite
	b, err := os.ReadFile(filepath.Join(dir, SuiteFile))
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", filepath.Join(dir, SuiteFile), err)
	}
	return s, nil
}

// suiteJUnit is one testsuite with a testcase per combination: a failure
// when the verdict was not the expected one, an error when the harness
// failed or the combination did not run.
func suiteJUnit(s Suite) ([]byte, error) {
	ss := junitSuites{Name: "faultline suite " + s.Name}
	class := "faultline.suite." + s.Name
	ts := junitSuite{Name: s.Name, Timestamp: junitStamp(s.Start), Hostname: "localhost",
		Properties: []junitProperty{{Name: "file", Value: s.File}}}
	var total time.Duration
	for _, r := range s.Runs {
		d := time.Duration(r.Duration)
		total += d
		tc := junitCase{Name: r.Label, Classname: class, Time: junitTime(d)}
		out := fmt.Sprintf("verdict: %s (expected %s)\n", orDash(r.Verdict), r.Expect)
		if r.Dir != "" {
			out += "run directory: " + r.Dir + "\n"
		}
		if r.Message != "" {
			out += r.Message + "\n"
		}
		switch {
		case r.Error != "":
			tc.Error = &junitMessage{Message: r.Error, Type: "harness-failure", Text: out}
		case !r.Pass:
			tc.Failure = &junitMessage{Message: fmt.Sprintf("verdict %s, expected %s", orDash(r.Verdict), r.Expect),
				Type: orDash(r.Verdict), Text: out}
		default:
			tc.SystemOut = textOf(out)
		}
		ts.add(tc)
	}
	ts.Time = junitTime(total)
	if !s.End.IsZero() && !s.Start.IsZero() {
		ts.Time = junitTime(s.End.Sub(s.Start))
	}
	ss.add(ts)
	ss.Time = ts.Time
	return ss.marshal()
}

// SuiteMarkdown is the suite's summary for a CI job page: one table row
// per combination, then what failed in the runs that did not pass.
func SuiteMarkdown(s Suite) string {
	var b strings.Builder
	failed := len(s.Runs) - s.Passed()
	icon := "pass"
	if failed > 0 {
		icon = "FAIL"
	}
	fmt.Fprintf(&b, "### %s suite %s: %d of %d passed\n\n", verdictIcon(icon), mdText(s.Name), s.Passed(), len(s.Runs))
	b.WriteString("| # | target | workload | nemesis | seed | verdict | expected | result | ok ops | time |\n")
	b.WriteString("|---:|---|---|---|---:|---|---|---|---:|---:|\n")
	for i, r := range s.Runs {
		res := "✅ pass"
		if !r.Pass {
			res = "❌ FAIL"
		}
		v := r.Verdict
		if r.Error != "" {
			v = "harness failure"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %d | %s | %s | %s | %d | %.1fs |\n", i+1, mdText(r.Target), mdText(r.Workload),
			mdText(r.Nemesis), r.Seed, mdText(orDash(v)), mdText(r.Expect), res, r.OK, time.Duration(r.Duration).Seconds())
	}
	b.WriteString("\n")
	for i, r := range s.Runs {
		if r.Pass {
			continue
		}
		fmt.Fprintf(&b, "**#%d %s** — ", i+1, mdText(r.Label))
		switch {
		case r.Error != "":
			b.WriteString(mdText(r.Error))
		default:
			fmt.Fprintf(&b, "verdict %s, expected %s", mdText(orDash(r.Verdict)), mdText(r.Expect))
			if r.Message != "" {
				b.WriteString(": " + mdText(r.Message))
			}
		}
		if r.Dir != "" {
			fmt.Fprintf(&b, " (%s)", mdCode(r.Dir))
		}
		b.WriteString("\n\n")
	}
	return b.String()
}
