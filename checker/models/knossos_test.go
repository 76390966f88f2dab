package models

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history/edn"
)

// knossosTimeout bounds the check of one Knossos history: a history not
// decided in time is unknown, which the test reports as a mismatch rather
// than forcing a verdict.
const knossosTimeout = 30 * time.Second

// sharedData is ../shared/data beside the module root: where the Knossos
// histories live, outside the repository (see its SOURCES.md).
func sharedData(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "data")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

type knossosCase struct {
	path  string // relative to the data folder
	valid bool
	model string
	init  string // EDN
}

// readExpected reads EXPECTED.tsv: path, expected (linearizable or
// NOT_linearizable), model as "name(init X)", then notes.
func readExpected(t testing.TB, file string) []knossosCase {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []knossosCase
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		cols := strings.Split(sc.Text(), "\t")
		if line == 1 || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		if len(cols) < 3 {
			t.Fatalf("%s:%d: want path, expected, model columns: %q", file, line, sc.Text())
		}
		c := knossosCase{path: cols[0]}
		switch cols[1] {
		case "linearizable":
			c.valid = true
		case "NOT_linearizable":
		default:
			t.Fatalf("%s:%d: unknown expectation %q", file, line, cols[1])
		}
		name, init, ok := strings.Cut(cols[2], "(")
		init, ok2 := strings.CutSuffix(init, ")")
		init, ok3 := strings.CutPrefix(init, "init ")
		if !ok || !ok2 || !ok3 {
			t.Fatalf("%s:%d: model %q is not name(init X)", file, line, cols[2])
		}
		c.model, c.init = name, init
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// knossosInits are the models' initial states in Knossos's own
// test-examples (core_test.clj), which walks data/<model>/good expecting
// valid and data/<model>/bad expecting invalid; the mutex starts unlocked.
var knossosInits = map[string]string{"cas-register": "0", "multi-register": "{:x 0 :y 0}", "mutex": "nil"}

// layoutCases lists data/<model>/<good|bad>/*.edn under root (Knossos's
// own layout) with the verdict its folder names: the expectations when
// no EXPECTED.tsv comes with the histories.
func layoutCases(t testing.TB, data, root string) []knossosCase {
	t.Helper()
	var cases []knossosCase
	for model, init := range knossosInits {
		for verdict, valid := range map[string]bool{"good": true, "bad": false} {
			files, err := filepath.Glob(filepath.Join(data, root, model, verdict, "*.edn"))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				rel, _ := filepath.Rel(data, f)
				cases = append(cases, knossosCase{path: rel, valid: valid, model: model, init: init})
			}
		}
	}
	slices.SortFunc(cases, func(a, b knossosCase) int { return strings.Compare(a.path, b.path) })
	return cases
}

// TestKnossosHistories checks every Knossos history with the model and
// the verdict EXPECTED.tsv gives, or, without that file, its folders give.
// `make knossos` runs it.
func TestKnossosHistories(t *testing.T) {
	data := sharedData(t)
	const layoutRoot = "knossos/data"
	var cases []knossosCase
	source := "EXPECTED.tsv"
	if expected := filepath.Join(data, "EXPECTED.tsv"); fileExists(expected) {
		cases = readExpected(t, expected)
	} else if fileExists(filepath.Join(data, layoutRoot)) {
		cases, source = layoutCases(t, data, layoutRoot), "their folders (good/bad)"
	} else {
		t.Skipf("Knossos histories not available: they live in ../shared/data/knossos beside the repository (no %s there)", layoutRoot)
	}
	if len(cases) == 0 {
		t.Fatalf("%s lists no history", source)
	}
	start := time.Now()
	var slow []string
	matched := 0
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "knossos/data/"), func(t *testing.T) {
			ops, err := edn.ReadFile(filepath.Join(data, c.path))
			if err != nil {
				t.Fatal(err)
			}
			init, err := edn.ToJSON([]byte(c.init))
			if err != nil {
				t.Fatalf("init %q: %v", c.init, err)
			}
			m, err := New(c.model, init)
			if err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			res := Checker(m, knossosTimeout).Check(context.Background(), ops)
			took := time.Since(began)
			if took > time.Second {
				slow = append(slow, fmt.Sprintf("%s %v", c.path, took.Round(time.Millisecond)))
			}
			want := checker.Invalid
			if c.valid {
				want = checker.Valid
			}
			if res.Verdict != want {
				t.Errorf("%d ops, model %s init %s: verdict %v, want %v (%s)", len(ops), c.model, c.init, res.Verdict, want, res.Message)
				return
			}
			d := res.Details.(*linearizable.Details)
			if len(d.Malformed) > 0 {
				t.Errorf("uninterpretable ops: %v", d.Malformed)
			}
			if want == checker.Invalid && (len(d.Anomalies) == 0 || d.Anomalies[0].Explanation == "") {
				t.Errorf("invalid without an explanation: %+v", d.Anomalies)
			}
			matched++
			t.Logf("%v in %v: %s", res.Verdict, took.Round(time.Microsecond), res.Message)
		})
	}
	t.Logf("%d of %d histories match the verdicts of %s; %v in all", matched, len(cases), source, time.Since(start).Round(time.Millisecond))
	if len(slow) > 0 {
		t.Logf("slower than 1s: %s", strings.Join(slow, "; "))
	}
}
