package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/store"
)

// TestExportThenCheckKeepsTheVerdict runs the fake target (valid, then with
// its stale-read bug), exports each run as EDN and as JSONL, and checks the
// exports as history files: the verdict is the run's.
func TestExportThenCheckKeepsTheVerdict(t *testing.T) {
	for _, tc := range []struct {
		extra []string
		want  int
	}{
		{[]string{"--seed", "1"}, ExitValid},
		{[]string{"--seed", "2", "--target-opt", "bug=stale-read", "--rate", "500"}, ExitInvalid},
	} {
		dir := t.TempDir()
		args := append([]string{"run", "--target", "fake", "--nodes", "3", "--time-limit", "2s", "--nemesis", "partition",
			"--nemesis-interval", "200ms", "--op-timeout", "100ms", "--store", dir}, tc.extra...)
		if code, stdout, stderr := execute(t, args...); code != tc.want {
			t.Fatalf("run %v: exit %d, want %d\n%s\n%s", tc.extra, code, tc.want, stdout, stderr)
		}
		run, err := filepath.EvalSymlinks(filepath.Join(dir, store.LatestLink))
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"edn", "jsonl"} {
			file := filepath.Join(t.TempDir(), "history."+format)
			if code, _, stderr := execute(t, "export", run, "--format", format, "-o", file); code != 0 {
				t.Fatalf("export --format %s: exit %d\n%s", format, code, stderr)
			}
			out := filepath.Join(t.TempDir(), "out")
			code, stdout, stderr := execute(t, "check", file, "--out", out)
			if code != tc.want {
				t.Errorf("check of the %s export: exit %d, the run exited %d\n%s\n%s", format, code, tc.want, stdout, stderr)
			}
			rs, err := checker.ReadResults(filepath.Join(out, store.ResultsFile))
			if err != nil {
				t.Fatal(err)
			}
			if int(rs.Valid) == 0 || (tc.want == ExitInvalid) != (rs.Valid == checker.Invalid) {
				t.Errorf("results.json says %v", rs.Valid)
			}
			if tc.want == ExitInvalid {
				if !strings.Contains(stdout, "cannot be linearized") {
					t.Errorf("check printed no explanation:\n%s", stdout)
				}
				if pages, _ := filepath.Glob(filepath.Join(out, store.LinearDir, "*.html")); len(pages) == 0 {
					t.Error("no Porcupine page for the failing keys")
				}
			}
		}
		// The run's own history.jsonl, checked as a file.
		if code, stdout, _ := execute(t, "check", filepath.Join(run, store.HistoryFile)); code != tc.want {
			t.Errorf("check of history.jsonl: exit %d, want %d\n%s", code, tc.want, stdout)
		}
	}
}

const mutexEDN = `; two clients take a mutex; the second acquire overlaps nothing
[{:process 0, :type :invoke, :f :acquire, :time 1}
 {:process 0, :type :ok, :f :acquire, :time 2}
 {:process :nemesis, :type :info, :f :start, :value "partition"}
 {:process 1, :type :invoke, :f :acquire, :time 3}
 {:process 1, :type :ok, :f :acquire, :time 4}]
`

func TestCheckHistoryFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mutex := write("mutex.edn", mutexEDN)
	cas := write("cas.edn", "{:process 0 :type :invoke :f :read :value nil}\n{:process 0 :type :ok :f :read :value 0}\n")
	noExt := write("history", "[{:process 0 :type :invoke :f :write :value 3} {:process 0 :type :ok :f :write :value 3}]")
	for _, tc := range []struct {
		args []string
		want int
		out  string
	}{
		{[]string{"check", mutex, "--model", "mutex"}, ExitInvalid, "acquire (history #3, process 1, ok"},
		{[]string{"check", mutex, "--model", "mutex", "--init", "false"}, ExitInvalid, "leaves the mutex at locked"},
		{[]string{"check", cas, "--init", "0"}, ExitValid, "valid: linearizable (cas-register model, 1 ops"},
		{[]string{"check", cas}, ExitInvalid, "model cas-register, init nil"},
		{[]string{"check", cas, "--model", "mutex"}, ExitUnknown, `f "read" is not an operation of the mutex model`},
		{[]string{"check", noExt, "--model", "register"}, ExitValid, "valid"},
	} {
		code, stdout, stderr := execute(t, tc.args...)
		if code != tc.want || !strings.Contains(stdout, tc.out) {
			t.Errorf("%v: exit %d (want %d), stdout lacks %q:\n%s\n%s", tc.args[1:], code, tc.want, tc.out, stdout, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("checking files without --out wrote into their folder: %v", entries)
	}
}

func TestCheckAndExportBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.edn")
	os.WriteFile(bad, []byte("[{:process 0 :type :invoke :f :read}\n {:process 0\n  :type :maybe :f :read}]"), 0o644)
	badJSONL := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(badJSONL, []byte(`{"index":0,"time":1,"process":0,"type":"invoke","f":"read"}`+"\nnope\n"), 0o644)
	good := filepath.Join(dir, "good.edn")
	os.WriteFile(good, []byte("[]"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", bad}, "line 3"},
		{[]string{"check", filepath.Join(dir, "missing.edn")}, "no such file"},
		{[]string{"check", badJSONL}, "line 2"},
		{[]string{"check", good, "--model", "queue"}, `unknown model "queue"`},
		{[]string{"check", good, "--init", "{:x"}, "--init"},
		{[]string{"check", good, "--model", "cas-register", "--init", "{:x 0}"}, "not an integer"},
		{[]string{"check", good, "--format", "xml"}, "--format"},
		{[]string{"check", dir, "--model", "mutex"}, "--model applies to a history file"},
		{[]string{"export", dir}, "not a run directory"},
		{[]string{"export", good, "--format", "xml"}, "--format"},
		{[]string{"export", bad}, "line 3"},
	} {
		code, _, stderr := execute(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr lacks %q:\n%s", tc.args, code, tc.want, stderr)
		}
	}
}

// TestExportConvertsFiles converts EDN to JSONL and back.
func TestExportConvertsFiles(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "mutex.edn")
	os.WriteFile(src, []byte(mutexEDN), 0o644)
	code, jsonl, stderr := execute(t, "export", src, "--format", "jsonl")
	if code != 0 || !strings.Contains(jsonl, `"process":"nemesis"`) || strings.Count(jsonl, "\n") != 5 {
		t.Fatalf("export to jsonl: exit %d\n%s\n%s", code, jsonl, stderr)
	}
	mid := filepath.Join(dir, "mutex.jsonl")
	os.WriteFile(mid, []byte(jsonl), 0o644)
	code, back, stderr := execute(t, "export", mid, "--format", "edn")
	if code != 0 || !strings.Contains(back, `{:index 3, :time 3, :process 1, :type :invoke, :f :acquire}`) {
		t.Fatalf("export back to edn: exit %d\n%s\n%s", code, back, stderr)
	}
}

func TestCheckReadsStdin(t *testing.T) {
	root := NewRootCmd()
	var out, errb strings.Builder
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(mutexEDN))
	root.SetArgs([]string{"check", "-", "--model", "mutex"})
	code := exitCode(root.ExecuteContext(t.Context()), root)
	if code != ExitInvalid || !strings.Contains(out.String(), "stdin: 5 ops") {
		t.Errorf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
}
