package elle

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
)

// TestGolden checks every history under testdata: the verdict is in the
// file name (NAME.valid.jsonl, ANOMALY--what.invalid.jsonl), and an invalid
// one must name ANOMALY.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.jsonl")
	if len(files) < 5 {
		t.Fatalf("golden histories: %v", files)
	}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		name, verdict, _ := strings.Cut(base, ".")
		t.Run(base, func(t *testing.T) {
			ops, err := history.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := New(Options{})
			res := c.Check(context.Background(), ops)
			if res.Verdict.String() != verdict {
				t.Fatalf("%v, want %s: %s", res.Verdict, verdict, res.Message)
			}
			if res.Verdict == checker.Invalid {
				anomaly, _, _ := strings.Cut(name, "--")
				if d := res.Details.(Details); !slices.Contains(d.AnomalyTypes, anomaly) {
					t.Fatalf("anomalies %v, want %s", d.AnomalyTypes, anomaly)
				}
			}
		})
	}
}
