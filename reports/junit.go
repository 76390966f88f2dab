package reports

import (
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/store"
)

// Files reports write into a run directory besides report.html.
const (
	JUnitFile    = "junit.xml"
	MarkdownFile = "summary.md"
)

// The JUnit XML shape CI systems read (Jenkins, GitHub and GitLab test
// reporters, the Ant junit schema): testsuites > testsuite > testcase, a
// failure element for a test that failed, error for one that could not
// run or decide.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  junitText       `xml:"system-out"`
	SystemErr  junitText       `xml:"system-err"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

func textOf(s string) *junitText { return &junitText{s} }

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"` // CDATA keeps the lines of the text readable
}

// add appends a case to the suite and counts it.
func (s *junitSuite) add(c junitCase) {
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Error != nil:
		s.Errors++
	case c.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, c)
}

func (ss *junitSuites) add(s junitSuite) {
	ss.Tests += s.Tests
	ss.Failures += s.Failures
	ss.Errors += s.Errors
	ss.Skipped += s.Skipped
	ss.Suites = append(ss.Suites, s)
}

func (ss *junitSuites) marshal() ([]byte, error) {
	b, err := xml.MarshalIndent(ss, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("junit: %w", err)
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

func junitTime(d time.Duration) string { return fmt.Sprintf("%.3f", max(d, 0).Seconds()) }

func junitStamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}

// WriteJUnit writes junit.xml into the run directory: one testsuite for the
// run and one testcase per checker, with a failure element for a checker
// that found the history invalid and an error element for one that could
// not decide. A harness failure, an interruption or a missing results.json
// adds a testcase with an error, so CI never mistakes such a run for a pass.
func WriteJUnit(runDir string) error {
	r, err := load(runDir, false)
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	ss := junitSuites{Name: "faultline " + orDash(r.info.Name)}
	ss.add(runSuite(r))
	ss.Time = ss.Suites[0].Time
	b, err := ss.marshal()
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(runDir, JUnitFile), b)
}

func runDuration(ri store.RunInfo) time.Duration {
	if ri.Start.IsZero() || ri.End.IsZero() {
		return 0
	}
	return ri.End.Sub(ri.Start)
}

func runSuite(r *run) junitSuite {
	ri := r.info
	class := "faultline." + orDash(ri.Name)
	s := junitSuite{
		Name:      fmt.Sprintf("%s %s", orDash(ri.Name), runStamp(r.dir)),
		Time:      junitTime(runDuration(ri)),
		Timestamp: junitStamp(ri.Start),
		Hostname:  "localhost",
		SystemOut: junitText{fmt.Sprintf("run directory: %s\nreport: %s\n", r.dir, filepath.Join(r.dir, store.ReportFile))},
	}
	for _, p := range [][2]string{
		{"target", ri.Target}, {"target_options", mapString(ri.TargetOpts)}, {"workload", ri.Workload},
		{"nemesis", strings.Join(ri.Nemesis, ",")}, {"nodes", fmt.Sprint(ri.Nodes)}, {"seed", fmt.Sprint(ri.Seed)},
		{"version", ri.Version}, {"command", shellJoin(ri.Command)},
	} {
		if p[1] != "" {
			s.Properties = append(s.Properties, junitProperty{Name: p[0], Value: p[1]})
		}
	}
	if ri.Error != "" {
		s.add(junitCase{Name: "harness", Classname: class, Time: "0",
			Error: &junitMessage{Message: "the harness failed", Type: "harness-failure", Text: ri.Error}})
	} else if ri.Interrupted {
		s.add(junitCase{Name: "harness", Classname: class, Time: "0",
			Error: &junitMessage{Message: "the run was interrupted", Type: "interrupted"}})
	}
	if !r.hasResults {
		s.add(junitCase{Name: "check", Classname: class, Time: "0",
			Error: &junitMessage{Message: "the run was not checked: no results.json", Type: "unknown"}})
	}
	for _, c := range r.results.Checkers {
		tc := junitCase{Name: c.Checker, Classname: class, Time: "0"}
		switch c.Verdict {
		case checker.Valid:
			tc.SystemOut = textOf(c.Message)
		case checker.Invalid:
			tc.Failure = &junitMessage{Message: c.Message, Type: "invalid", Text: anomalyText(c)}
		default:
			tc.Error = &junitMessage{Message: orDash(c.Message), Type: "unknown",
				Text: "the checker could not decide: the verdict is unknown"}
		}
		s.add(tc)
	}
	return s
}

// anomalyText lists a checker's anomalies, one per line.
func anomalyText(c checker.Result) string {
	d, ok := linearDetails(c)
	if !ok {
		return c.Message
	}
	var b strings.Builder
	for i, a := range d.Anomalies {
		if i == maxAnomalies {
			fmt.Fprintf(&b, "… and %d more\n", len(d.Anomalies)-i)
			break
		}
		b.WriteString(a.Explanation)
		b.WriteByte('\n')
	}
	return b.String()
}

// runStamp is the name of a run directory, through a link such as
// store/latest.
func runStamp(dir string) string {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return filepath.Base(dir)
}
