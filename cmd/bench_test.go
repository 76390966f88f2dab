package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/harness/bench"
)

func TestBenchDetectBadUsageExits254(t *testing.T) {
	for _, args := range [][]string{
		{"--seeds", "0"},
		{"--bug", "gremlins"},
		{"--target", "zookeeper"},
		{"--target", "fake", "--bug", "raft:stale-read"},
		{"--no-bugs", "--no-correct"},
		{"--json", "--markdown"},
		{"--min-rate", "2"},
		{"--time-limit", "10ms"},
		{"--nodes", "0"},
		{"extra"},
	} {
		dir := t.TempDir()
		code, _, stderr := execute(t, append([]string{"bench", "detect", "--store", dir}, args...)...)
		if code != ExitUsage {
			t.Errorf("bench detect %v: exit %d, want %d\n%s", args, code, ExitUsage, stderr)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("bench detect %v wrote to the store: %v", args, entries)
		}
	}
}

// TestBenchDetectOnTheFakeTarget runs the benchmark end to end through the
// CLI on the in-process fake target (no Docker): its seeded stale-read bug
// under partitions, and the correct fake.
func TestBenchDetectOnTheFakeTarget(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "bench.json")
	code, stdout, stderr := execute(t, "bench", "detect", "--target", "fake", "--seeds", "1", "--first-seed", "3",
		"--time-limit", "3s", "--nemesis-interval", "400ms", "--nodes", "3", "--store", dir, "--report", report)
	if code != ExitValid {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"stale-read", "(correct)", "0/1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 || rep.Rows[0].Bug != "stale-read" || rep.Rows[1].FalseAlarms == nil || rep.Seeds[0] != 3 {
		t.Fatalf("report rows %+v", rep.Rows)
	}
	bug := rep.Rows[0]
	if bug.Runs != 1 || bug.Errors != 0 || bug.Results[0].Dir == "" || !strings.Contains(bug.Results[0].Command, "--seed 3") {
		t.Errorf("bug row %+v", bug)
	}
	// The stored run checks again to the same verdict.
	code, _, _ = execute(t, "check", bug.Results[0].Dir)
	if want := map[string]int{"invalid": ExitInvalid, "valid": ExitValid}[bug.Results[0].Verdict]; code != want {
		t.Errorf("check of a %s run: exit %d", bug.Results[0].Verdict, code)
	}
	if _, err := os.Stat(filepath.Join(dir, "bench-logs", "bench-fake-stale-read-seed3.log")); err != nil {
		t.Errorf("no run log: %v", err)
	}

	// --min-rate turns a missed bug into exit 1; --markdown prints a table.
	code, stdout, _ = execute(t, "bench", "detect", "--target", "fake", "--no-correct", "--seeds", "1", "--time-limit", "1s",
		"--nemesis-interval", "5s", "--nodes", "3", "--store", dir, "--markdown", "--min-rate", "1")
	if !strings.Contains(stdout, "| fake | stale-read | partition |") {
		t.Errorf("markdown:\n%s", stdout)
	}
	if strings.Contains(stdout, "1/1") && code != ExitValid || strings.Contains(stdout, "0/1") && code != ExitInvalid {
		t.Errorf("--min-rate 1: exit %d for\n%s", code, stdout)
	}
}
