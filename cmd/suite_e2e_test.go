package cmd

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/internal/testenv"
	"github.com/faultline-io/faultline/reports"
)

// TestE2ESuiteRaft runs a one-combination suite against the real Raft
// target in Docker: 5 s of load under partitions, then the suite record.
func TestE2ESuiteRaft(t *testing.T) {
	rt := testenv.Runtime(t)
	testenv.NodeBinary(t)
	storeDir := t.TempDir()
	suite := writeSuite(t, `name: raft-e2e
targets: [raft]
workloads: [register]
nemeses: [partition]
seeds: [7]
nodes: 3
time_limit: 5s
nemesis_interval: 1s
`)
	code, stdout, stderr := execute(t, "suite", suite, "--store", storeDir)
	if code != ExitValid {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "suite raft-e2e: 1 of 1 passed") {
		t.Errorf("stdout:\n%s", stdout)
	}
	recs, _ := filepath.Glob(filepath.Join(storeDir, reports.SuitesDir, "raft-e2e", "*"))
	if len(recs) != 1 {
		t.Fatalf("suite records: %v", recs)
	}
	s, err := reports.ReadSuite(recs[0])
	if err != nil || len(s.Runs) != 1 || s.Runs[0].Verdict != "valid" || s.Runs[0].OK == 0 {
		t.Fatalf("suite record: %+v, %v", s, err)
	}
	info, err := store.ReadRunInfo(filepath.Join(recs[0], filepath.FromSlash(s.Runs[0].Dir)))
	if err != nil {
		t.Fatal(err)
	}
	if left, err := rt.Leftovers(context.Background(), info.RunID); err != nil || len(left) > 0 {
		t.Errorf("the suite left %v (%v)", left, err)
	}
}
