package cmd

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/internal/testenv"
)

// These tests drive the real thing: the faultline binary, a Raft cluster
// in Docker, real partitions, kills and pauses, and Porcupine.

func latestRun(t *testing.T, storeDir string) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(filepath.Join(storeDir, store.LatestLink))
	if err != nil {
		t.Fatalf("no latest run: %v", err)
	}
	return dir
}

func TestE2ERaftValidUnderFaults(t *testing.T) {
	rt := testenv.Runtime(t)
	testenv.NodeBinary(t)
	dir := t.TempDir()
	code, stdout, stderr := execute(t, "run", "--target", "raft", "--nodes", "3", "--time-limit", "12s",
		"--nemesis", "partition,kill,pause", "--nemesis-interval", "1s", "--seed", "11", "--store", dir)
	if code != ExitValid {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	run := latestRun(t, dir)
	res, err := checker.ReadResults(filepath.Join(run, store.ResultsFile))
	if err != nil || res.Valid != checker.Valid {
		t.Fatalf("results.json: %v, %v", res.Valid, err)
	}
	ops, err := history.ReadFile(filepath.Join(run, store.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]int{}
	ok := 0
	for _, op := range ops {
		if op.Process.IsNemesis() && op.Value != nil && op.Error == "" {
			done[op.F]++
		}
		if op.IsClient() && op.Type == history.OK {
			ok++
		}
	}
	for _, f := range []string{"start-partition", "stop-partition", "kill", "restart", "pause", "resume"} {
		if done[f] == 0 {
			t.Errorf("no successful %s in the history (%v)", f, done)
		}
	}
	if ok < 200 {
		t.Errorf("only %d ok client ops", ok)
	}
	logs, _ := filepath.Glob(filepath.Join(run, store.NodesDir, "*.log"))
	if len(logs) != 3 {
		t.Errorf("node logs: %v", logs)
	}
	info, err := store.ReadRunInfo(run)
	if err != nil {
		t.Fatal(err)
	}
	if left, err := rt.Leftovers(context.Background(), info.RunID); err != nil || len(left) > 0 {
		t.Errorf("run left %v (%v)", left, err)
	}
	// The stored run alone gives the same verdict.
	if code, _, stderr := execute(t, "check", run); code != ExitValid {
		t.Errorf("check: exit %d\n%s", code, stderr)
	}
}

func TestE2ERaftStaleReadBugCaught(t *testing.T) {
	testenv.Runtime(t)
	testenv.NodeBinary(t)
	dir := t.TempDir()
	// Detection depends on timing, so allow a few seeds; each run is real.
	for seed := 1; seed <= 3; seed++ {
		code, stdout, stderr := execute(t, "run", "--target", "raft", "--nodes", "3", "--time-limit", "10s",
			"--target-opt", "bug=stale-read", "--nemesis", "partition", "--nemesis-interval", "1500ms",
			"--seed", strings.Repeat("1", seed), "--store", dir)
		switch code {
		case ExitInvalid:
			run := latestRun(t, dir)
			if code, _, _ := execute(t, "check", run); code != ExitInvalid {
				t.Fatalf("check of the invalid run exited %d", code)
			}
			return
		case ExitValid:
			t.Logf("seed %d: bug not caught this time", seed)
		default:
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	}
	t.Fatal("the stale-read bug went unnoticed in 3 runs")
}

// TestE2EInterruptLeavesNothing sends SIGINT to a real controller at
// several moments (during start-up, under load, during a fault) and checks
// it removes every container and network it made and keeps the history.
func TestE2EInterruptLeavesNothing(t *testing.T) {
	rt := testenv.Runtime(t)
	bin := testenv.NodeBinary(t)
	for _, after := range []time.Duration{300 * time.Millisecond, 2500 * time.Millisecond, 6 * time.Second} {
		t.Run(after.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, "run", "--target", "raft", "--nodes", "3", "--time-limit", "60s",
				"--nemesis", "partition,kill,pause", "--nemesis-interval", "1s", "--seed", "5", "--store", dir)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stdout = io.Discard
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			runID := make(chan string, 1)
			var logBuf strings.Builder
			lines := make(chan struct{})
			go func() {
				defer close(lines)
				re := regexp.MustCompile(`^run (\w+):`)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					logBuf.WriteString(sc.Text() + "\n")
					if m := re.FindStringSubmatch(sc.Text()); m != nil {
						runID <- m[1]
					}
				}
			}()
			var id string
			select {
			case id = <-runID:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatal("controller never announced its run")
			}
			time.Sleep(after)
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			waitErr := make(chan error, 1)
			go func() { <-lines; waitErr <- cmd.Wait() }()
			select {
			case err = <-waitErr:
			case <-time.After(90 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("controller did not exit after SIGINT\n%s", logBuf.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != ExitFailure {
				t.Errorf("exit after SIGINT: %v, want %d\n%s", err, ExitFailure, logBuf.String())
			}
			if left, err := rt.Leftovers(context.Background(), id); err != nil || len(left) > 0 {
				t.Fatalf("SIGINT after %v left %v (%v)\n%s", after, left, err, logBuf.String())
			}
			run := latestRun(t, dir)
			if _, err := os.Stat(filepath.Join(run, store.HistoryFile)); err != nil {
				t.Errorf("history lost: %v", err)
			}
			if info, err := store.ReadRunInfo(run); err != nil || !info.Interrupted {
				t.Errorf("run.json: interrupted=%v err=%v", info.Interrupted, err)
			}
		})
	}
}
