package bench

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/faultline-io/faultline/internal/testenv"
)

// TestDetectOneCasePerTarget is the benchmark in miniature, against real
// clusters: per bundled target one seeded bug that a short run catches.
// Detection depends on timing, so a bug gets up to three seeds. (Correct
// targets under faults are the cmd end-to-end tests' and the paxos
// adapter's business; the correct-case plumbing is tested on the fake
// target in cmd.)
func TestDetectOneCasePerTarget(t *testing.T) {
	testenv.RequireDocker(t)
	testenv.NodeBinary(t)
	var log bytes.Buffer
	base := Options{
		Seeds: 1, TimeLimit: 10 * time.Second, Nodes: 3, NemesisInterval: 1500 * time.Millisecond,
		Store: t.TempDir(), Log: &log,
	}
	defer func() {
		if t.Failed() {
			t.Logf("benchmark log:\n%s", log.String())
		}
	}()
	for _, bug := range []string{"paxos:minority-quorum", "raft:ack-before-commit"} {
		caught := false
		for seed := int64(1); seed <= 3 && !caught; seed++ {
			o := base
			o.Bugs, o.SkipCorrect, o.FirstSeed = []string{bug}, true, seed
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			r := rep.Rows[0]
			if r.Errors > 0 {
				t.Fatalf("%s: %+v", bug, r.Results)
			}
			if caught = r.Invalid == 1; caught {
				if r.MedianFirstAnomaly == nil || r.Results[0].FirstAnomaly == nil || r.Results[0].Ops == 0 {
					t.Errorf("%s caught without a first anomaly: %+v", bug, r)
				}
			}
		}
		if !caught {
			t.Errorf("%s went unnoticed on 3 seeds", bug)
		}
	}
}
