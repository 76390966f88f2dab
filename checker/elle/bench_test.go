package elle

import (
	"context"
	"testing"

	"github.com/faultline-io/faultline/checker"
)

// BenchmarkCheck100k checks a simulated strict-serializable history of
// 100 000 transactions (10 processes, 1–4 micro-ops over 3 keys whose
// lists keep growing): the cost of inferring the graph of a clean run,
// whose components have no cycle to search. Numbers in docs/benchmarks.md.
func BenchmarkCheck100k(b *testing.B) {
	ops := simulate(1, 10, 100_000, false)
	c, _ := New(Options{})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if r := c.Check(context.Background(), ops); r.Verdict != checker.Valid {
			b.Fatalf("%v: %s", r.Verdict, r.Message)
		}
	}
	b.ReportMetric(float64(len(ops)), "ops")
}
