package cmd

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/reports"
)

// fakeSuite is a suite for the in-process fake target: one combination
// that must be valid and one with the seeded stale-read bug that must be
// caught, short enough for a unit test. Few keys, so the writes a cut-off
// node misses are soon read there.
const fakeSuite = `name: fake-smoke
targets:
  - fake
  - name: fake
    options: {bug: stale-read}
    expect: invalid
workloads:
  - {name: register, options: {keys: 3}}
nemeses: [partition]
seeds: [2]
nodes: 3
time_limit: 3s
nemesis_interval: 200ms
op_timeout: 100ms
rate: 500
`

func writeSuite(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "suite.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSuiteFakeTarget(t *testing.T) {
	storeDir := t.TempDir()
	stepSummary := filepath.Join(t.TempDir(), "step-summary.md")
	t.Setenv(envStepSummary, stepSummary)
	code, stdout, stderr := execute(t, "suite", writeSuite(t, fakeSuite), "--store", storeDir)
	if code != ExitValid {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "=== [2/2] fake[bug=stale-read]/register[keys=3]/partition/seed=2: invalid, expected invalid: pass") {
		t.Errorf("stderr lacks the combination's result line:\n%s", stderr)
	}
	for _, want := range []string{"fake (bug=stale-read)", "invalid", "pass", "suite fake-smoke: 2 of 2 passed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Count(stdout, "┌") != 1 {
		t.Errorf("want one summary table:\n%s", stdout)
	}
	// Plain progress lines, not a redrawn status: the output is not a terminal.
	if strings.Contains(stderr, clearLine) || !strings.Contains(stderr, "progress: [1/2] ") {
		t.Errorf("stderr progress is not line-oriented:\n%s", stderr)
	}

	recs, _ := filepath.Glob(filepath.Join(storeDir, reports.SuitesDir, "fake-smoke", "*"))
	if len(recs) != 1 {
		t.Fatalf("suite records: %v", recs)
	}
	s, err := reports.ReadSuite(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Runs) != 2 || !s.Runs[0].Pass || !s.Runs[1].Pass || s.Runs[1].Verdict != "invalid" {
		t.Fatalf("suite record: %+v", s.Runs)
	}
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	b, err := os.ReadFile(filepath.Join(recs[0], reports.JUnitFile))
	if err != nil || xml.Unmarshal(b, &junit) != nil || junit.Tests != 2 || junit.Failures != 0 {
		t.Errorf("suite junit.xml: %+v, %v\n%s", junit, err, b)
	}
	for _, r := range s.Runs {
		dir := filepath.Join(recs[0], filepath.FromSlash(r.Dir))
		for _, f := range []string{store.ReportFile, reports.JUnitFile, reports.MarkdownFile} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("run %s: %v", r.Label, err)
			}
		}
		info, err := store.ReadRunInfo(dir)
		if err != nil {
			t.Fatal(err)
		}
		// run.json's command repeats the combination alone.
		cmd := strings.Join(info.Command, " ")
		if !strings.Contains(cmd, "faultline run --target fake") || !strings.Contains(cmd, "--workload-opt keys=3") ||
			!strings.Contains(cmd, "--seed 2") || !strings.Contains(cmd, "--time-limit 3s") {
			t.Errorf("run.json command: %s", cmd)
		}
	}
	sum, err := os.ReadFile(stepSummary)
	if err != nil || !strings.Contains(string(sum), "suite fake-smoke: 2 of 2 passed") || strings.Contains(string(sum), "### ✅ fake") {
		t.Errorf("$GITHUB_STEP_SUMMARY (want the suite's summary only): %v\n%s", err, sum)
	}
}

func TestSuiteUnmetExpectationExits1(t *testing.T) {
	suite := strings.Replace(fakeSuite, "  - fake\n", "", 1)
	suite = strings.Replace(suite, "options: {bug: stale-read}\n    expect: invalid", "expect: invalid", 1)
	code, stdout, stderr := execute(t, "suite", writeSuite(t, suite), "--store", t.TempDir())
	if code != ExitInvalid {
		t.Fatalf("a valid run expected invalid: exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "FAIL") || !strings.Contains(stdout, "0 of 1 passed") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestSuiteBadFileExits254(t *testing.T) {
	base := "targets: [fake]\nnemeses: [partition]\ntime_limit: 1s\n"
	cases := []struct {
		name, text, want string
	}{
		{"empty", "", "empty"},
		{"not yaml", "targets: [fake\n", "line"},
		{"typo in a field", base + "seed: [1]\n", `line 4: unknown field seed`},
		{"unknown field in a target", "targets:\n  - name: fake\n    option: {bug: stale-read}\n", `line 3: unknown field "option" in a target`},
		{"unknown target", "targets: [zookeeper]\n", `line 1: targets: unknown target "zookeeper"`},
		{"unknown nemesis", "targets: [fake]\nnemeses: [meteor]\n", `line 2: nemeses:`},
		{"bad duration", base + "op_timeout: soon\n", `line 4: "soon" is not a duration`},
		{"bad expect", base + "expect: maybe\n", `line 4: expect: "maybe"`},
		{"bad expect on a target", "targets:\n  - {name: fake, expect: perhaps}\n", `line 2: expect: "perhaps"`},
		{"unknown target option", "targets:\n  - {name: fake, options: {speed: 11}}\n", `line 2: targets: target fake has no option "speed"`},
		{"unknown bug", "targets:\n  - {name: fake, options: {bug: gremlins}}\n", "gremlins"},
		{"too many nodes", base + "nodes: 50\n", "line 4: nodes: --nodes 50"},
		{"negative rate", base + "rate: -1\n", "line 4: rate"},
		{"bad workload option", base + "workloads:\n  - {name: register, options: {keys: 0}}\n", "line 5: workloads"},
		{"wrong type", base + "nodes: three\n", "line 4"},
		{"no targets", "seeds: [1]\n", "targets: at least one target"},
		{"bad name", base + "name: ../up\n", "name"},
		{"unknown nemesis option", base + "nemesis_options: {colour: red}\n", `line 4: nemesis_options: unknown nemesis option "colour"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storeDir := t.TempDir()
			code, _, stderr := execute(t, "suite", writeSuite(t, tc.text), "--store", storeDir)
			if code != ExitUsage {
				t.Fatalf("exit %d, want 254\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "suite.yaml") {
				t.Errorf("stderr does not name the problem %q and the file:\n%s", tc.want, stderr)
			}
			if entries, _ := os.ReadDir(storeDir); len(entries) != 0 {
				t.Errorf("a refused suite wrote to the store: %v", entries)
			}
		})
	}
	if code, _, stderr := execute(t, "suite", "/nonexistent/suite.yaml"); code != ExitUsage || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing file: exit %d\n%s", code, stderr)
	}
}

func TestSuiteHarnessFailureExits255(t *testing.T) {
	// A store that is a file: the harness cannot create the run directory.
	notDir := filepath.Join(t.TempDir(), "store")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := execute(t, "suite", writeSuite(t, "targets: [fake]\nnemeses: [none]\ntime_limit: 1s\n"), "--store", notDir)
	if code != ExitFailure {
		t.Fatalf("exit %d, want 255\n%s\n%s", code, stdout, stderr)
	}
}

func TestShippedSuitesParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "suites", "*.yaml"))
	if len(files) < 2 {
		t.Fatalf("suites/: %v", files)
	}
	most, invalid := 0, false
	for _, f := range files {
		sf, err := readSuiteFile(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		cs := sf.combinations("")
		most = max(most, len(cs))
		for _, c := range cs {
			invalid = invalid || c.expect == expectInvalid
		}
	}
	if most < 6 || !invalid {
		t.Errorf("want a suite of at least 6 combinations (largest: %d) and one that expects a bug to be caught (%v)", most, invalid)
	}
}

func TestSuiteExitPrecedence(t *testing.T) {
	pass := reports.SuiteRun{Pass: true, Verdict: "valid"}
	unknown := reports.SuiteRun{Verdict: "unknown", Expect: "valid"}
	invalid := reports.SuiteRun{Verdict: "invalid", Expect: "valid"}
	missed := reports.SuiteRun{Verdict: "valid", Expect: "invalid"}
	broken := reports.SuiteRun{Error: "docker: no such network"}
	for _, tc := range []struct {
		runs []reports.SuiteRun
		want int
	}{
		{[]reports.SuiteRun{pass, pass}, ExitValid},
		{[]reports.SuiteRun{pass, unknown}, ExitUnknown},
		{[]reports.SuiteRun{unknown, invalid, pass}, ExitInvalid},
		{[]reports.SuiteRun{pass, missed}, ExitInvalid},
		{[]reports.SuiteRun{invalid, broken, unknown}, ExitFailure},
	} {
		if got := suiteExit(tc.runs); got != tc.want {
			t.Errorf("suiteExit(%+v) = %d, want %d", tc.runs, got, tc.want)
		}
	}
}

// The example CI workflow runs suites that exist and parse.
func TestWorkflowUsesShippedSuites(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", ".github", "workflows", "*.yml"))
	if len(files) == 0 {
		t.Fatal("no workflow under .github/workflows")
	}
	used := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`suites/[\w.-]+\.yaml`).FindAllString(string(b), -1) {
			used++
			if _, err := readSuiteFile(filepath.Join("..", m)); err != nil {
				t.Errorf("%s runs %s: %v", f, m, err)
			}
		}
	}
	if used == 0 {
		t.Error("the workflow runs no suite")
	}
}
