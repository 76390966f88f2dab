package harness

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/internal/faketarget"
)

func init() { faketarget.Register("fake") }

func fakeConfig(t *testing.T) Config {
	return Config{
		Target: "fake", Workload: "register", Nodes: 5, Concurrency: 6,
		Nemesis:   []string{"partition", "kill", "pause"},
		TimeLimit: 3 * time.Second, NemesisInterval: 200 * time.Millisecond,
		OpTimeout: 100 * time.Millisecond, Rate: 400, Seed: 7,
		Store: t.TempDir(), CheckTimeout: time.Minute,
		// At most a minority down or frozen at once, so the short run
		// gets enough ops through.
		NemesisOpts: map[string]string{"kill": "one,minority", "pause": "one,minority"},
	}
}

func TestRunFakeClusterValid(t *testing.T) {
	cfg := fakeConfig(t)
	out, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Results.Valid != checker.Valid {
		t.Fatalf("verdict %v, want valid; results %+v", out.Results.Valid, out.Results)
	}
	ops, err := history.ReadFile(filepath.Join(out.Dir, store.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	okClient := 0
	for _, op := range ops {
		if op.Process.IsNemesis() && op.Value != nil {
			seen[op.F]++
		}
		if op.IsClient() && op.Type == history.OK {
			okClient++
		}
	}
	for _, f := range []string{"start-partition", "stop-partition", "kill", "restart", "pause", "resume"} {
		if seen[f] == 0 {
			t.Errorf("history has no completed %s; saw %v", f, seen)
		}
	}
	if okClient < 100 {
		t.Errorf("only %d ok client ops", okClient)
	}
	for _, f := range []string{store.RunFile, store.ResultsFile, store.HistoryFile} {
		if _, err := os.Stat(filepath.Join(out.Dir, f)); err != nil {
			t.Errorf("run dir lacks %s: %v", f, err)
		}
	}
	latest, err := filepath.EvalSymlinks(filepath.Join(cfg.Store, store.LatestLink))
	if err != nil || latest != out.Dir {
		t.Errorf("latest -> %q (%v), want %q", latest, err, out.Dir)
	}
	// Re-checking the stored run gives the same verdict.
	res, err := Analyze(context.Background(), out.Dir, AnalyzeOptions{})
	if err != nil || res.Valid != out.Results.Valid {
		t.Errorf("Analyze = %v, %v; want %v", res.Valid, err, out.Results.Valid)
	}
}

func TestRunFakeStaleReadCaught(t *testing.T) {
	caught := 0
	for seed := int64(1); seed <= 3; seed++ {
		cfg := fakeConfig(t)
		cfg.Seed = seed
		cfg.Nemesis = []string{"partition"}
		cfg.TargetOpts = map[string]string{"bug": "stale-read"}
		out, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if out.Results.Valid == checker.Invalid {
			caught++
		}
	}
	if caught < 2 {
		t.Fatalf("stale reads caught in %d of 3 runs, want at least 2", caught)
	}
}

func TestRunInterruptedKeepsHistory(t *testing.T) {
	cfg := fakeConfig(t)
	cfg.TimeLimit = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	out, err := Run(ctx, cfg)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	info, rerr := store.ReadRunInfo(out.Dir)
	if rerr != nil || !info.Interrupted {
		t.Fatalf("run.json interrupted=%v (%v)", info.Interrupted, rerr)
	}
	ops, herr := history.ReadFile(filepath.Join(out.Dir, store.HistoryFile))
	if herr != nil || len(ops) == 0 {
		t.Fatalf("history after interrupt: %d ops, %v", len(ops), herr)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"unknown target", func(c *Config) { c.Target = "nope" }, `unknown target "nope"`},
		{"unknown workload", func(c *Config) { c.Workload = "nope" }, `unknown workload "nope"`},
		{"too many nodes", func(c *Config) { c.Nodes = 99 }, "--nodes 99"},
		{"negative rate", func(c *Config) { c.Rate = -1 }, "--rate"},
		{"tiny time limit", func(c *Config) { c.TimeLimit = time.Millisecond }, "--time-limit"},
		{"bad balance", func(c *Config) { c.Balance = "sideways" }, "--balance"},
		{"bad target option", func(c *Config) { c.TargetOpts = map[string]string{"colour": "blue"} }, `no option "colour"`},
		{"bad workload option", func(c *Config) { c.WorkloadOpts = map[string]string{"keys": "0"} }, "keys"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fakeConfig(t)
			tc.mod(&cfg)
			_, err := Run(context.Background(), cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a ConfigError containing %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(cfg.Store); len(entries) != 0 {
				t.Errorf("a refused run left files in the store: %v", entries)
			}
		})
	}
}
