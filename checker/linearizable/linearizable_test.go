package linearizable

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/internal/measure"
)

func check(t *testing.T, ops []history.Op) (checker.Result, *Details) {
	t.Helper()
	r := New(Options{}).Check(context.Background(), ops)
	d, isD := r.Details.(*Details)
	if !isD {
		t.Fatalf("Details is %T", r.Details)
	}
	if r.Checker != Name {
		t.Errorf("Checker = %q", r.Checker)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("result does not encode: %v", err)
	}
	return r, d
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ops     []history.Op
		want    checker.Verdict
		invalid []string
	}{
		{"empty", nil, checker.Valid, nil},
		{"sequential", hist(r(0, "x", nil), w(0, "x", 1), r(1, "x", 1), cas(0, "x", 1, 2, history.OK), r(1, "x", 2), w(1, "x", 3), r(0, "x", 3)), checker.Valid, nil},
		{"stale read", hist(w(0, "x", 1), w(1, "x", 2), r(0, "x", 1)), checker.Invalid, []string{"x"}},
		{"read nil after write", hist(w(0, "x", 1), r(1, "x", nil)), checker.Invalid, []string{"x"}},
		{"read of a value never written", hist(w(0, "x", 1), r(0, "x", 7)), checker.Invalid, []string{"x"}},
		{"concurrent write, read sees it", hist(inv(0, "write", "x", 1), inv(1, "read", "x", nil), ok(1, "read", "x", 1), ok(0, "write", "x", 1)), checker.Valid, nil},
		{"concurrent write, read does not see it", hist(inv(0, "write", "x", 1), inv(1, "read", "x", nil), ok(1, "read", "x", nil), ok(0, "write", "x", 1)), checker.Valid, nil},
		{"concurrent writes, reads disagree on order", hist(
			inv(0, "write", "x", 1), inv(1, "write", "x", 2), ok(0, "write", "x", 1), ok(1, "write", "x", 2),
			r(2, "x", 2), r(3, "x", 1)), checker.Invalid, []string{"x"}},
		{"concurrent writes, reads agree", hist(
			inv(0, "write", "x", 1), inv(1, "write", "x", 2), ok(0, "write", "x", 1), ok(1, "write", "x", 2),
			r(2, "x", 1), r(3, "x", 1)), checker.Valid, nil},
		{"info write later read", hist(w(0, "x", 1), inv(1, "write", "x", 2), info(1, "write", "x", nil), r(2, "x", 1), r(2, "x", 2)), checker.Valid, nil},
		{"info write never read", hist(w(0, "x", 1), inv(1, "write", "x", 2), info(1, "write", "x", nil), r(2, "x", 1), r(2, "x", 1)), checker.Valid, nil},
		{"info write read then undone", hist(w(0, "x", 1), inv(1, "write", "x", 2), info(1, "write", "x", nil), r(2, "x", 2), r(2, "x", 1)), checker.Invalid, []string{"x"}},
		{"pending write read", hist(w(0, "x", 1), inv(1, "write", "x", 2), r(2, "x", 2)), checker.Valid, nil},
		{"pending write read before its invocation", hist(r(2, "x", 2), inv(1, "write", "x", 2)), checker.Invalid, []string{"x"}},
		{"failed write read", hist(w(0, "x", 1), inv(1, "write", "x", 2), fail(1, "write", "x", 2), r(2, "x", 2)), checker.Invalid, []string{"x"}},
		{"failed write not read", hist(w(0, "x", 1), inv(1, "write", "x", 2), fail(1, "write", "x", 2), r(2, "x", 1)), checker.Valid, nil},
		{"info read is dropped", hist(w(0, "x", 1), inv(1, "read", "x", nil), info(1, "read", "x", nil), r(2, "x", 1)), checker.Valid, nil},
		{"cas ok", hist(w(0, "x", 1), cas(0, "x", 1, 2, history.OK), r(0, "x", 2)), checker.Valid, nil},
		{"cas ok on wrong value", hist(w(0, "x", 1), cas(0, "x", 3, 2, history.OK)), checker.Invalid, []string{"x"}},
		{"cas ok on no value", hist(cas(0, "x", 0, 2, history.OK)), checker.Invalid, []string{"x"}},
		{"cas fail is dropped", hist(w(0, "x", 1), cas(0, "x", 1, 2, history.Fail), r(0, "x", 1)), checker.Valid, nil},
		{"cas fail whose swap is read", hist(w(0, "x", 1), cas(0, "x", 1, 2, history.Fail), r(0, "x", 2)), checker.Invalid, []string{"x"}},
		{"cas info took effect", hist(w(0, "x", 1), cas(1, "x", 1, 2, history.Info), r(0, "x", 2)), checker.Valid, nil},
		{"cas info did not", hist(w(0, "x", 1), cas(1, "x", 1, 2, history.Info), r(0, "x", 1), w(0, "x", 5), r(0, "x", 5)), checker.Valid, nil},
		{"cas info cannot swap from a wrong value", hist(w(0, "x", 1), cas(1, "x", 3, 2, history.Info), r(0, "x", 2)), checker.Invalid, []string{"x"}},
		{"two concurrent cas both swap", hist(w(0, "x", 0),
			inv(1, "cas", "x", []int{0, 1}), inv(2, "cas", "x", []int{0, 2}), ok(1, "cas", "x", []int{0, 1}), ok(2, "cas", "x", []int{0, 2})),
			checker.Invalid, []string{"x"}},
		{"keys are independent", hist(w(0, "a", 1), w(1, "b", 2), r(2, "a", 1), r(2, "b", 2), r(0, "c", nil)), checker.Valid, nil},
		{"only one key bad", hist(w(0, "a", 1), w(1, "b", 2), r(2, "a", 1), r(2, "b", 1), w(0, "c", 3), r(1, "c", 3)), checker.Invalid, []string{"b"}},
		{"two keys bad", hist(w(0, "k7", 1), r(1, "k7", nil), w(0, "k3", 1), r(1, "k3", 2), w(0, "ok", 1)), checker.Invalid, []string{"k3", "k7"}},
		{"nemesis and other fs are ignored", hist(nem(history.Info, "start-partition", []string{"n1"}), w(0, "x", 1),
			inv(1, "txn", "", nil), ok(1, "txn", "", nil), nem(history.Info, "stop-partition", nil), r(0, "x", 1)), checker.Valid, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, d := check(t, tc.ops)
			if res.Verdict != tc.want {
				t.Fatalf("verdict %v, want %v: %s", res.Verdict, tc.want, res.Message)
			}
			if !slices.Equal(d.InvalidKeys, tc.invalid) {
				t.Errorf("InvalidKeys = %v, want %v", d.InvalidKeys, tc.invalid)
			}
			if len(d.Anomalies) != len(tc.invalid) {
				t.Errorf("%d anomalies for %d invalid keys", len(d.Anomalies), len(tc.invalid))
			}
			for _, k := range tc.invalid {
				if !strings.Contains(res.Message, k) {
					t.Errorf("message %q does not name %s", res.Message, k)
				}
			}
			if d.Checked != d.Keys || len(d.UnknownKeys) != 0 {
				t.Errorf("Checked %d of %d, unknown %v", d.Checked, d.Keys, d.UnknownKeys)
			}
		})
	}
}

func TestDetails(t *testing.T) {
	ops := hist(
		nem(history.Invoke, "start-partition", nil), nem(history.Info, "start-partition", []string{"n1", "n2"}),
		w(0, "x", 1),
		inv(1, "write", "x", 2), fail(1, "write", "x", 2),
		inv(2, "read", "x", nil), info(2, "read", "x", nil),
		inv(3, "write", "x", 3), info(3, "write", "x", nil),
		w(0, "x", 4), r(0, "x", 1), // stale
		nem(history.Info, "stop-partition", nil),
		ok(9, "read", "x", 1), // no invocation
		inv(4, "cas", "y", []int{1, 2}),
	)
	res, d := check(t, ops)
	if res.Verdict != checker.Invalid {
		t.Fatalf("verdict %v: %s", res.Verdict, res.Message)
	}
	if res.Message != "1 of 2 keys not linearizable: x" {
		t.Errorf("message %q", res.Message)
	}
	want := Details{Model: "cas-register", Init: "nil", Keys: 2, Checked: 2, InvalidKeys: []string{"x"}, Ops: 5, Indeterminate: 2, DroppedFailed: 1, DroppedReads: 1, Ignored: 1}
	got := *d
	got.Anomalies, got.Info, got.Annotations, got.spans, got.Visualizable = nil, nil, nil, nil, nil
	got.spec = porcupine.Model{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("details\n got %+v\nwant %+v", got, want)
	}
	if len(d.Anomalies) != 1 {
		t.Fatalf("anomalies: %+v", d.Anomalies)
	}
	a := d.Anomalies[0]
	if a.Key != "x" || a.Op == nil || a.Op.F != "read" || a.Op.Index != 12 || a.Op.CompleteIndex != 13 ||
		a.Op.Process != 0 || a.State != "4" || a.Op.Value != int64(1) || a.Linearized != 3 {
		t.Errorf("anomaly %+v, op %+v", a, a.Op)
	}
	if !strings.Contains(a.Explanation, "read x → 1") || !strings.Contains(a.Explanation, "register at 4") {
		t.Errorf("explanation %q", a.Explanation)
	}
	// The history is small: every key can be visualized.
	if !slices.Equal(d.Visualizable, []string{"x", "y"}) || len(d.Info) != 2 {
		t.Errorf("visualizable %v", d.Visualizable)
	}
	if len(d.Annotations) != 1 || d.Annotations[0].Tag != NemesisTag || d.Annotations[0].Description != "partition" {
		t.Errorf("annotations %+v", d.Annotations)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"valid":false`, `"invalid_keys":["x"]`, `"explanation"`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("JSON lacks %s: %s", s, b)
		}
	}
}

func TestMalformed(t *testing.T) {
	ops := hist(w(0, "a", 1), inv(0, "write", "x", "one"), ok(0, "write", "x", "one"), r(1, "x", nil),
		inv(1, "cas", "y", []int{1}), ok(1, "cas", "y", nil), inv(1, "read", "z", nil), ok(1, "read", "z", "two"))
	res, d := check(t, ops)
	if res.Verdict != checker.Unknown || !slices.Equal(d.UnknownKeys, []string{"x", "y", "z"}) || len(d.Malformed) != 3 || d.Checked != 1 {
		t.Fatalf("verdict %v %s; details %+v", res.Verdict, res.Message, d)
	}
	// An invalid key still makes the result invalid.
	res, _ = check(t, append(ops, hist(w(0, "b", 1), r(0, "b", 2))...))
	if res.Verdict != checker.Invalid {
		t.Errorf("verdict %v: %s", res.Verdict, res.Message)
	}
}

// hard is a single-key history Porcupine cannot decide quickly: n
// concurrent writes of distinct values, then a read of a value never
// written, so every order of the writes must be tried.
func hard(n int) []history.Op {
	var parts []any
	for p := range n {
		parts = append(parts, inv(p, "write", "x", p))
	}
	for p := range n {
		parts = append(parts, ok(p, "write", "x", p))
	}
	parts = append(parts, r(n, "x", 999))
	return hist(append(parts, w(0, "other", 1), r(1, "other", 1))...)
}

func TestTimeoutIsUnknown(t *testing.T) {
	start := time.Now()
	res := New(Options{Timeout: 50 * time.Millisecond}).Check(context.Background(), hard(26))
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("check took %v after a 50ms timeout", el)
	}
	d := res.Details.(*Details)
	// The easy key may or may not be decided before the deadline on a busy
	// machine; the hard one never is.
	if res.Verdict != checker.Unknown || !d.TimedOut || !slices.Contains(d.UnknownKeys, "x") {
		t.Fatalf("verdict %v: %s; %+v", res.Verdict, res.Message, d)
	}
	if !strings.Contains(res.Message, "timed out") {
		t.Errorf("message %q", res.Message)
	}
}

func TestCancelledIsUnknown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, ops := range [][]history.Op{nil, hist(w(0, "x", 1), r(0, "x", 1)), genHistory(1, 5000, 10, 5, 0.01)} {
		res := New(Options{}).Check(ctx, ops)
		if res.Verdict != checker.Unknown {
			t.Errorf("%d ops: verdict %v: %s", len(ops), res.Verdict, res.Message)
		}
	}
	// Cancelled while checking.
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if res := New(Options{}).Check(ctx, hard(26)); res.Verdict != checker.Unknown {
		t.Errorf("verdict %v: %s", res.Verdict, res.Message)
	}
}

// TestGolden checks every testdata/<name>-<valid|invalid|unknown>.jsonl.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden histories: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		t.Run(name, func(t *testing.T) {
			var want checker.Verdict
			switch {
			case strings.HasSuffix(name, "-valid"):
				want = checker.Valid
			case strings.HasSuffix(name, "-invalid"):
				want = checker.Invalid
			case strings.HasSuffix(name, "-unknown"):
				want = checker.Unknown
			default:
				t.Fatalf("%s: name must end in -valid, -invalid or -unknown", f)
			}
			ops, err := history.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, _ := check(t, ops)
			if res.Verdict != want {
				t.Errorf("verdict %v, want %v: %s", res.Verdict, want, res.Message)
			}
		})
	}
}

// randomSequential is a history of sequential ops (each completes before
// the next is invoked) against real registers: reads, writes, and cas
// that swap (ok) or not (fail).
func randomSequential(rng *rand.Rand, n int) []history.Op {
	regs := map[string]*int{}
	var parts []any
	for range n {
		p := rng.IntN(4)
		k := []string{"a", "b", "c"}[rng.IntN(3)]
		cur := regs[k]
		switch rng.IntN(3) {
		case 0:
			if cur == nil {
				parts = append(parts, r(p, k, nil))
			} else {
				parts = append(parts, r(p, k, *cur))
			}
		case 1:
			v := rng.IntN(4)
			regs[k] = &v
			parts = append(parts, w(p, k, v))
		case 2:
			from, to := rng.IntN(4), rng.IntN(4)
			if cur != nil && *cur == from {
				regs[k] = &to
				parts = append(parts, cas(p, k, from, to, history.OK))
			} else {
				parts = append(parts, cas(p, k, from, to, history.Fail))
			}
		}
	}
	return hist(parts...)
}

func TestPropertySequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	c := New(Options{})
	corrupted := 0
	for i := range 300 {
		ops := randomSequential(rng, 5+rng.IntN(60))
		if res := c.Check(context.Background(), ops); res.Verdict != checker.Valid {
			t.Fatalf("history %d: verdict %v: %s", i, res.Verdict, res.Message)
		}
		// Corrupt one ok read: any other value makes a sequential history
		// invalid, on that key.
		var reads []int
		for j := range ops {
			if ops[j].F == "read" && ops[j].Type == history.OK {
				reads = append(reads, j)
			}
		}
		if len(reads) == 0 {
			continue
		}
		j := reads[rng.IntN(len(reads))]
		v, found := ops[j].IntValue()
		switch {
		case !found:
			ops[j].Value = history.MustValue(rng.IntN(4))
		case rng.IntN(2) == 0:
			ops[j].Value = nil
		default:
			ops[j].Value = history.MustValue(v + 1 + int64(rng.IntN(3)))
		}
		res := c.Check(context.Background(), ops)
		d := res.Details.(*Details)
		if res.Verdict != checker.Invalid || !slices.Equal(d.InvalidKeys, []string{ops[j].Key}) {
			t.Fatalf("history %d with read %d corrupted: verdict %v: %s", i, j, res.Verdict, res.Message)
		}
		corrupted++
	}
	if corrupted < 100 {
		t.Errorf("only %d histories corrupted", corrupted)
	}
}

func TestPropertyConcurrent(t *testing.T) {
	for seed := range uint64(20) {
		ops := genHistory(seed, 3000, 3, 6, 0.05)
		res := New(Options{}).Check(context.Background(), ops)
		if res.Verdict != checker.Valid {
			t.Fatalf("seed %d: verdict %v: %s", seed, res.Verdict, res.Message)
		}
	}
}

func TestWriteVisualizations(t *testing.T) {
	ops := hist(nem(history.Info, "kill", nil), w(0, "x", 1), r(1, "x", 2), w(0, "a/b", 1), r(1, "a/b", 1),
		nem(history.Info, "restart", nil))
	res, _ := check(t, ops)
	dir := filepath.Join(t.TempDir(), "linearizable")
	names, err := WriteVisualizations(res, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || !slices.Contains(names, "x.html") || slices.Contains(names, "a/b.html") {
		t.Fatalf("names %v", names)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "<html") || !strings.Contains(string(b), "nemesis") {
			t.Errorf("%s does not look like a porcupine page with annotations", n)
		}
	}
	// Twice is fine, and annotations do not pile up.
	if _, err := WriteVisualizations(res, dir); err != nil {
		t.Fatal(err)
	}
	if li := res.Details.(*Details).Info["x"]; len(li.PartialLinearizations()) == 0 {
		t.Error("info lost")
	}
	// A result read back from JSON has no info.
	b, _ := json.Marshal(res)
	var back checker.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteVisualizations(back, dir); err == nil {
		t.Error("WriteVisualizations of a decoded result succeeded")
	}
}

func TestBigHistoryKeepsOnlyFailingInfo(t *testing.T) {
	ops := genHistory(3, 10_000, 20, 8, 0.01)
	// Corrupt: a read of a value never written on one key.
	for i := len(ops) - 1; i >= 0; i-- {
		if ops[i].F == "read" && ops[i].Type == history.OK {
			ops[i].Value = history.MustValue(1000)
			break
		}
	}
	res, d := check(t, ops)
	if res.Verdict != checker.Invalid || len(d.InvalidKeys) != 1 {
		t.Fatalf("verdict %v: %s", res.Verdict, res.Message)
	}
	if len(d.Info) != 1 || d.Visualizable[0] != d.InvalidKeys[0] {
		t.Errorf("info for %v", d.Visualizable)
	}
	a := d.Anomalies[0]
	if a.Op == nil || a.Op.Value != int64(1000) {
		t.Errorf("anomaly %+v op %+v", a, a.Op)
	}
}

func TestFileName(t *testing.T) {
	for key, want := range map[string]string{"k1": "k1.html", "a.b-c_d": "a.b-c_d.html"} {
		if got := FileName(key); got != want {
			t.Errorf("FileName(%q) = %q, want %q", key, got, want)
		}
	}
	seen := map[string]string{}
	for _, key := range []string{"", ".", "..", "a/b", "a_b", "a b", "../../etc", strings.Repeat("x", 300), "ключ"} {
		n := FileName(key)
		if strings.ContainsAny(n, "/\\ ") || strings.HasPrefix(n, ".") || len(n) > 120 || !strings.HasSuffix(n, ".html") {
			t.Errorf("FileName(%q) = %q", key, n)
		}
		if k, dup := seen[n]; dup {
			t.Errorf("FileName(%q) = FileName(%q) = %q", key, k, n)
		}
		seen[n] = key
	}
}

func BenchmarkCheck100kOps(b *testing.B) {
	ops := genHistory(42, 100_000, 100, 10, 0.01)
	c := New(Options{})
	ctx := context.Background()
	b.ReportAllocs()
	cpu := measure.CPUTime()
	for b.Loop() {
		if res := c.Check(ctx, ops); res.Verdict != checker.Valid {
			b.Fatalf("verdict %v: %s", res.Verdict, res.Message)
		}
	}
	b.ReportMetric(float64(measure.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(ops)), "history-ops")
}
