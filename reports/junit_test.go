package reports

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/store"
)

// junitShape is the JUnit XML shape CI systems accept (the Ant junit
// schema that Jenkins, GitLab and the GitHub test reporters read): which
// elements may appear inside which, and the attributes each must have.
var junitShape = map[string]struct {
	children []string
	required []string
}{
	"testsuites": {[]string{"testsuite"}, []string{"name", "tests", "failures", "errors", "time"}},
	"testsuite":  {[]string{"properties", "testcase", "system-out", "system-err"}, []string{"name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname"}},
	"properties": {[]string{"property"}, nil},
	"property":   {nil, []string{"name", "value"}},
	"testcase":   {[]string{"failure", "error", "skipped", "system-out", "system-err"}, []string{"name", "classname", "time"}},
	"failure":    {nil, []string{"message", "type"}},
	"error":      {nil, []string{"message", "type"}},
	"skipped":    {nil, nil},
	"system-out": {nil, nil},
	"system-err": {nil, nil},
}

// junitCounts are what a validated document holds.
type junitCounts struct {
	suites, cases, failures, errors int
	names                           []string // testcase names
	failureTypes                    []string
}

// validateJUnit checks a document against junitShape, that the counts in
// the attributes match the elements, and that numbers are numbers.
func validateJUnit(t *testing.T, b []byte) junitCounts {
	t.Helper()
	var c junitCounts
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []string
	type tally struct{ tests, failures, errors, skipped int }
	var suiteTally, rootTally tally
	var suiteAttrs, rootAttrs map[string]string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("junit.xml is not well-formed XML: %v\n%s", err, b)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			name := e.Name.Local
			shape, known := junitShape[name]
			if !known {
				t.Errorf("unexpected element <%s>", name)
			}
			if len(stack) == 0 && name != "testsuites" {
				t.Errorf("root element <%s>, want <testsuites>", name)
			}
			if len(stack) > 0 && !slices.Contains(junitShape[stack[len(stack)-1]].children, name) {
				t.Errorf("<%s> inside <%s>", name, stack[len(stack)-1])
			}
			attrs := map[string]string{}
			for _, a := range e.Attr {
				attrs[a.Name.Local] = a.Value
			}
			for _, r := range shape.required {
				if _, ok := attrs[r]; !ok {
					t.Errorf("<%s> lacks the %s attribute", name, r)
				}
			}
			for _, num := range []string{"tests", "failures", "errors", "skipped"} {
				if v, ok := attrs[num]; ok {
					if _, err := strconv.Atoi(v); err != nil {
						t.Errorf("<%s %s=%q>: not an integer", name, num, v)
					}
				}
			}
			if v, ok := attrs["time"]; ok {
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					t.Errorf("<%s time=%q>: not a number", name, v)
				}
			}
			if v := attrs["timestamp"]; v != "" {
				if _, err := time.Parse("2006-01-02T15:04:05", v); err != nil {
					t.Errorf("<%s timestamp=%q>: not an ISO 8601 time", name, v)
				}
			}
			switch name {
			case "testsuites":
				rootAttrs = attrs
			case "testsuite":
				c.suites++
				suiteAttrs, suiteTally = attrs, tally{}
			case "testcase":
				c.cases++
				suiteTally.tests++
				rootTally.tests++
				c.names = append(c.names, attrs["name"])
			case "failure":
				c.failures++
				suiteTally.failures++
				rootTally.failures++
				c.failureTypes = append(c.failureTypes, attrs["type"])
			case "error":
				c.errors++
				suiteTally.errors++
				rootTally.errors++
			case "skipped":
				suiteTally.skipped++
				rootTally.skipped++
			}
			stack = append(stack, name)
		case xml.EndElement:
			if e.Name.Local == "testsuite" {
				for k, v := range map[string]int{"tests": suiteTally.tests, "failures": suiteTally.failures, "errors": suiteTally.errors, "skipped": suiteTally.skipped} {
					if suiteAttrs[k] != strconv.Itoa(v) {
						t.Errorf("<testsuite %s=%q> but it holds %d", k, suiteAttrs[k], v)
					}
				}
			}
			stack = stack[:len(stack)-1]
		}
	}
	for k, v := range map[string]int{"tests": rootTally.tests, "failures": rootTally.failures, "errors": rootTally.errors} {
		if rootAttrs[k] != strconv.Itoa(v) {
			t.Errorf("<testsuites %s=%q> but it holds %d", k, rootAttrs[k], v)
		}
	}
	return c
}

func TestJUnitRun(t *testing.T) {
	invalid := makeRun(t)

	// A check cut short: the linearizable checker says unknown.
	unknown := makeRun(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs := checker.Run(ctx, testHistory(), linearizable.New(linearizable.Options{}), checker.StatsChecker())
	if err := checker.WriteResults(filepath.Join(unknown, store.ResultsFile), rs); err != nil {
		t.Fatal(err)
	}

	// The harness failed and nothing was checked.
	failed := makeRun(t)
	ri := runInfo()
	ri.Error = "start raft cluster: no such image"
	if err := store.WriteJSON(filepath.Join(failed, store.RunFile), ri); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(failed, store.ResultsFile))

	for _, tc := range []struct {
		name, dir        string
		failures, errors int
		failureType      string
	}{
		{"invalid", invalid, 1, 0, "invalid"},
		{"unknown", unknown, 0, 2, ""}, // both checkers were cut short
		{"harness failure", failed, 0, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := WriteJUnit(tc.dir); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(tc.dir, JUnitFile))
			if err != nil {
				t.Fatal(err)
			}
			c := validateJUnit(t, b)
			if c.suites != 1 || c.failures != tc.failures || c.errors != tc.errors {
				t.Errorf("%d suites, %d failures, %d errors; want 1, %d, %d\n%s", c.suites, c.failures, c.errors, tc.failures, tc.errors, b)
			}
			if tc.failureType != "" && !slices.Contains(c.failureTypes, tc.failureType) {
				t.Errorf("failure types %v, want %s", c.failureTypes, tc.failureType)
			}
			if tc.name == "invalid" && !strings.Contains(string(b), "read k1 → 1") {
				t.Errorf("the failure does not name the anomaly:\n%s", b)
			}
		})
	}
}

func TestJUnitSuite(t *testing.T) {
	s := Suite{Name: "raft-faults", File: "suites/raft-faults.yaml", Start: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		End: time.Date(2026, 11, 25, 10, 1, 0, 0, time.UTC), Runs: []SuiteRun{
			{Label: "raft/register/partition/seed=1", Verdict: "valid", Expect: "valid", Pass: true, Duration: int64(10 * time.Second)},
			{Label: "raft[bug=stale-read]/register/partition/seed=1", Verdict: "invalid", Expect: "invalid", Pass: true},
			{Label: "raft/register/kill/seed=1", Verdict: "invalid", Expect: "valid", Message: "linearizable: 1 of 2 keys <not> linearizable"},
			{Label: "raft/register/pause/seed=1", Expect: "valid", Error: "start raft cluster: no such network"},
		}}
	b, err := suiteJUnit(s)
	if err != nil {
		t.Fatal(err)
	}
	c := validateJUnit(t, b)
	if c.cases != 4 || c.failures != 1 || c.errors != 1 {
		t.Errorf("%d cases, %d failures, %d errors; want 4, 1, 1\n%s", c.cases, c.failures, c.errors, b)
	}
	if !slices.Contains(c.names, "raft[bug=stale-read]/register/partition/seed=1") {
		t.Errorf("testcase names %v", c.names)
	}
	md := SuiteMarkdown(s)
	for _, want := range []string{"suite raft-faults: 2 of 4 passed", "| 3 |", "❌ FAIL", "&lt;not&gt;", "harness failure", "no such network"} {
		if !strings.Contains(md, want) {
			t.Errorf("suite summary lacks %q:\n%s", want, md)
		}
	}
}

func TestMarkdownRun(t *testing.T) {
	dir := makeRun(t)
	if err := WriteMarkdown(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{"### ❌ raft-register: INVALID", "| linearizable | ❌ invalid | 1 of 2 keys not linearizable: k1 |",
		"**What failed:** On key k1", "**seed:** 424242", "Reproduce: `faultline run --target raft", "it'\\''s <b>'`"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
	if got := mdText("a|b <i>*x*</i>"); got != `a\|b &lt;i&gt;\*x\*&lt;/i&gt;` {
		t.Errorf("mdText = %s", got)
	}
	if got := mdCode("a `b` c"); got != "``a `b` c``" {
		t.Errorf("mdCode = %s", got)
	}
}
