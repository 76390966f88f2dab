package cmd

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/internal/testenv"
)

// TestE2ETxnWorkloads runs each transactional workload end to end: the
// faultline CLI, a 3-node Raft cluster in Docker, partitions and kills,
// and the workload's checker. Each run must be valid, and its checker must
// have had real work to judge (not a run that did nothing).
func TestE2ETxnWorkloads(t *testing.T) {
	rt := testenv.Runtime(t)
	testenv.NodeBinary(t)
	for _, tc := range []struct {
		workload string
		opts     []string
		enough   func(d map[string]any) bool
	}{
		{"set", []string{"mix=19:1"}, func(d map[string]any) bool { return num(d, "ok-count") >= 20 && num(d, "read-count") >= 2 }},
		{"counter", nil, func(d map[string]any) bool { return num(d, "reads") >= 10 }},
		{"bank", nil, func(d map[string]any) bool { return num(d, "read-count") >= 10 && num(d, "transfer-count") >= 10 }},
		{"unique-ids", nil, func(d map[string]any) bool { return num(d, "acknowledged-count") >= 20 }},
		{"list-append", nil, func(d map[string]any) bool {
			txns, _ := d["txns"].(map[string]any)
			return num(txns, "ok") >= 20
		}},
	} {
		t.Run(tc.workload, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"run", "--target", "raft", "--workload", tc.workload, "--nodes", "3", "--time-limit", "6s",
				"--nemesis", "partition,kill", "--nemesis-interval", "1500ms", "--seed", "4", "--store", dir}
			for _, o := range tc.opts {
				args = append(args, "--workload-opt", o)
			}
			code, stdout, stderr := execute(t, args...)
			run := latestRun(t, dir)
			res, err := checker.ReadResults(filepath.Join(run, store.ResultsFile))
			if err != nil {
				t.Fatalf("exit %d: %v\nstdout:\n%s\nstderr:\n%s", code, err, stdout, stderr)
			}
			if code != ExitValid || res.Valid != checker.Valid {
				b, _ := json.MarshalIndent(res, "", "  ")
				t.Fatalf("exit %d, valid %v\n%.6000s\nstderr:\n%s", code, res.Valid, b, stderr)
			}
			r, ok := res.Result(tc.workload)
			if !ok {
				t.Fatalf("no %s checker in results.json", tc.workload)
			}
			d, _ := r.Details.(map[string]any)
			if !tc.enough(d) {
				t.Fatalf("the checker saw too little: %s", r.Message)
			}
			info, err := store.ReadRunInfo(run)
			if err != nil {
				t.Fatal(err)
			}
			nem, _ := json.Marshal(res.Stats.Nemesis)
			if !bytes.Contains(nem, []byte("partition")) || !bytes.Contains(nem, []byte("kill")) {
				t.Errorf("faults in the run: %s", nem)
			}
			if left, err := rt.Leftovers(t.Context(), info.RunID); err != nil || len(left) > 0 {
				t.Errorf("run left %v (%v)", left, err)
			}
			t.Logf("%s: %s", tc.workload, r.Message)
		})
	}
}

func num(d map[string]any, k string) float64 {
	f, _ := d[k].(float64)
	return f
}
