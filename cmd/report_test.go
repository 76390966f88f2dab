package cmd

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-io/faultline/harness"
	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/reports"
)

// fakeRun makes one short run against the fake target and returns the
// store and the run directory.
func fakeRun(t *testing.T, extra ...string) (storeDir, runDir string) {
	t.Helper()
	storeDir = t.TempDir()
	args := append([]string{"run", "--target", "fake", "--nodes", "3", "--time-limit", "1s", "--nemesis", "partition",
		"--nemesis-interval", "200ms", "--op-timeout", "100ms", "--store", storeDir, "--seed", "5"}, extra...)
	code, stdout, stderr := execute(t, args...)
	if code != ExitValid {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(storeDir, store.LatestLink))
	if err != nil {
		t.Fatal(err)
	}
	return storeDir, dir
}

func TestRunWritesReportsAndStepSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.md")
	t.Setenv(envStepSummary, summary)
	_, dir := fakeRun(t)
	for _, f := range []string{store.ReportFile, reports.JUnitFile, reports.MarkdownFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run left no %s: %v", f, err)
		}
	}
	b, err := os.ReadFile(summary)
	if err != nil || !strings.Contains(string(b), "fake-register: VALID") {
		t.Fatalf("$GITHUB_STEP_SUMMARY after a run: %v\n%s", err, b)
	}

	// report rewrites the three files, and appends the summary again.
	for _, f := range []string{store.ReportFile, reports.JUnitFile, reports.MarkdownFile} {
		os.Remove(filepath.Join(dir, f))
	}
	code, stdout, stderr := execute(t, "report", dir)
	if code != ExitValid || !strings.Contains(stdout, "report.html") {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range []string{store.ReportFile, reports.JUnitFile, reports.MarkdownFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("report left no %s: %v", f, err)
		}
	}
	b, _ = os.ReadFile(summary)
	if n := strings.Count(string(b), "fake-register: VALID"); n != 2 {
		t.Errorf("$GITHUB_STEP_SUMMARY has %d summaries after run and report, want 2", n)
	}

	// check writes them too.
	os.Remove(filepath.Join(dir, reports.JUnitFile))
	if code, _, stderr := execute(t, "check", dir); code != ExitValid {
		t.Fatalf("check: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, reports.JUnitFile)); err != nil {
		t.Errorf("check left no junit.xml: %v", err)
	}

	if code, _, stderr := execute(t, "report", t.TempDir()); code != ExitUsage || !strings.Contains(stderr, "not a run directory") {
		t.Errorf("report of an empty directory: exit %d\n%s", code, stderr)
	}
}

func TestIndexCommand(t *testing.T) {
	storeDir, dir := fakeRun(t)
	out := filepath.Join(t.TempDir(), "pages", "index.html")
	code, stdout, stderr := execute(t, "index", "--store", storeDir, "-o", out)
	if code != ExitValid || strings.TrimSpace(stdout) != out {
		t.Fatalf("index: exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(filepath.Dir(out), dir)
	if !strings.Contains(string(b), filepath.ToSlash(rel)+"/report.html") || !strings.Contains(string(b), `class="badge valid"`) {
		t.Errorf("index.html does not link the run's report as %s:\n%s", rel, b)
	}
	if code, _, _ := execute(t, "index", "--store", filepath.Join(t.TempDir(), "none")); code != ExitUsage {
		t.Errorf("index of a missing store: exit %d, want 254", code)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeCommand(t *testing.T) {
	storeDir, _ := fakeRun(t)
	root := NewRootCmd()
	pr, pw := io.Pipe()
	var errb syncBuffer
	root.SetOut(pw)
	root.SetErr(&errb)
	root.SetArgs([]string{"serve", "--store", storeDir, "--addr", "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("serve printed nothing: %v; stderr: %s", err, errb.String())
	}
	go io.Copy(io.Discard, pr)
	i := strings.Index(line, "http://")
	if i < 0 {
		cancel()
		t.Fatalf("no address in %q", line)
	}
	url := strings.Fields(line[i:])[0]
	resp, err := http.Get(url)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "fake-register") {
		t.Errorf("GET %s: %d\n%s", url, resp.StatusCode, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after Ctrl-C", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(errb.String(), "not a loopback") {
		t.Errorf("warned about a loopback address: %s", errb.String())
	}
	code, _, stderr := execute(t, "serve", "--store", filepath.Join(t.TempDir(), "none"))
	if code != ExitUsage || !strings.Contains(stderr, "not a directory") {
		t.Errorf("serve of a missing store: exit %d\n%s", code, stderr)
	}
}

func TestLiveProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	lp := &liveProgress{w: &buf, tty: true, width: 40}
	p := harness.Progress{Elapsed: time.Second, TimeLimit: 10 * time.Second, OK: 90, Fail: 5, Info: 1, Faults: []string{"partition"}}
	lp.update(p)
	// Cut to the terminal's width, so it never wraps.
	if got, want := buf.String(), clearLine+"1s/10s · 96 ops/s · 90 ok, 5 fail, 1 i…"; got != want {
		t.Errorf("status line: %q, want %q", got, want)
	}
	buf.Reset()
	// A log line lifts the status line and puts it back below.
	io.WriteString(lp, "nemesis kill n2\n")
	if got := buf.String(); !strings.HasPrefix(got, clearLine+"nemesis kill n2\n1s/10s") {
		t.Errorf("log line with status: %q", got)
	}
	buf.Reset()
	p.Elapsed, p.OK = 2*time.Second, 190
	lp.update(p)
	if got := buf.String(); !strings.Contains(got, "2s/10s · 100 ops/s") {
		t.Errorf("second status: %q", got)
	}
	buf.Reset()
	p.Done = true
	lp.update(p)
	if got := buf.String(); !strings.HasPrefix(got, clearLine+"load phase over:") || !strings.HasSuffix(got, "\n") {
		t.Errorf("final line: %q", got)
	}
	buf.Reset()
	io.WriteString(lp, "healing\n")
	if buf.String() != "healing\n" {
		t.Errorf("after the load phase, logs are plain: %q", buf.String())
	}
}

func TestLiveProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	lp := newLiveProgress(&buf) // not a terminal
	for s := 1; s <= 12; s++ {
		lp.update(harness.Progress{Elapsed: time.Duration(s) * time.Second, TimeLimit: 12 * time.Second, OK: int64(100 * s),
			Faults: []string{"kill", "pause"}})
	}
	lp.update(harness.Progress{Elapsed: 12 * time.Second, TimeLimit: 12 * time.Second, OK: 1200, Done: true})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || strings.Contains(buf.String(), "\r") {
		t.Fatalf("want a line at 5 s, 10 s and the end, no carriage returns:\n%s", buf.String())
	}
	if !strings.Contains(lines[0], "progress: 5s/12s · 100 ops/s · 500 ok, 0 fail, 0 info · faults: kill, pause") {
		t.Errorf("line: %s", lines[0])
	}
	t.Setenv("CI", "true")
	if lp := newLiveProgress(os.Stderr); lp.tty {
		t.Error("CI set, yet the status line would be redrawn")
	}
}
