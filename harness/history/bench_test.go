package history_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/internal/histgen"
	"github.com/faultline-io/faultline/internal/measure"
)

// writeHistory writes the 100 000-op benchmark history and returns its path,
// size and op count.
func writeHistory(b *testing.B) (string, int, int) {
	ops := histgen.Register(42, 100_000, 100, 10, 0.01)
	path := filepath.Join(b.TempDir(), history.FileName)
	var buf bytes.Buffer
	if err := history.Encode(&buf, ops); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return path, buf.Len(), len(ops)
}

// BenchmarkDecodeReference100k is BenchmarkDecode100k with the json.Decoder
// per line reader the fast one replaced.
func BenchmarkDecodeReference100k(b *testing.B) {
	path, size, n := writeHistory(b)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu := measure.CPUTime()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		got, err := history.DecodeReference(f)
		f.Close()
		if err != nil || len(got) != n {
			b.Fatalf("%d ops, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(measure.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDecode100k reads a 100 000-op register history (100 keys, 10
// clients) from a file, as `faultline check` does, and reports the bytes
// the decoded history holds per op once garbage is collected.
func BenchmarkDecode100k(b *testing.B) {
	path, size, n := writeHistory(b)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var got []history.Op
	cpu := measure.CPUTime()
	for b.Loop() {
		var err error
		if got, err = history.ReadFile(path); err != nil || len(got) != n {
			b.Fatalf("%d ops, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(measure.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
	held := measure.HeldBytes(func() any { h, _ := history.ReadFile(path); return h })
	b.ReportMetric(float64(held)/float64(n), "held-B/op")
	runtime.KeepAlive(got)
}
