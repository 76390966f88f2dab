package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline-io/faultline/harness"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/targets"
	_ "github.com/faultline-io/faultline/targets/all"
)

// fakeRun stores a tiny history as a real run would and checks it with
// the real checkers: a write of 1, then a read of stale (2 never written
// when bad, 1 when good). Times are in seconds since the history began.
func fakeRun(t *testing.T, bad func(cfg harness.Config) bool) func(context.Context, harness.Config) (*harness.Outcome, error) {
	return func(ctx context.Context, cfg harness.Config) (*harness.Outcome, error) {
		if err := cfg.Validate(); err != nil {
			return nil, &harness.ConfigError{Err: err}
		}
		dir, err := store.NewRunDir(cfg.Store, cfg.Name, time.Now())
		if err != nil {
			return nil, err
		}
		info := store.RunInfo{Name: cfg.Name, Target: cfg.Target, TargetOpts: cfg.TargetOpts, Workload: cfg.Workload,
			Nemesis: cfg.Nemesis, Seed: cfg.Seed, Command: cfg.Command}
		if err := store.WriteJSON(filepath.Join(dir, store.RunFile), info); err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		times := []float64{0.5, 3, 3.2, 4, 4.5 + float64(cfg.Seed)}
		i := 0
		rec := history.NewRecorder(func() int64 { v := int64(times[i] * 1e9); i++; return v }, &buf)
		rec.Append(history.Op{Process: history.NemesisProcess, Type: history.Info, F: "start-partition"})
		rec.Invoke(0, "write", "k", history.MustValue(1), "n1")
		rec.Append(history.Op{Process: 0, Type: history.OK, F: "write", Key: "k", Value: history.MustValue(1), Node: "n1"})
		read := int64(1)
		if bad(cfg) {
			read = 2
		}
		rec.Invoke(1, "read", "k", nil, "n2")
		rec.Append(history.Op{Process: 1, Type: history.OK, F: "read", Key: "k", Value: history.MustValue(read), Node: "n2"})
		if err := os.WriteFile(filepath.Join(dir, store.HistoryFile), buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		res, err := harness.Analyze(ctx, dir, harness.AnalyzeOptions{})
		return &harness.Outcome{Dir: dir, Results: res}, err
	}
}

func TestPlanCoversEveryBugAndCorrectTarget(t *testing.T) {
	cases, err := Plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Case{}
	for _, c := range cases {
		got[c.Name()] = c
	}
	for _, tn := range []string{"raft", "paxos"} {
		info, _ := targets.Lookup(tn)
		if len(info.Bugs) == 0 {
			t.Fatalf("target %s has no bugs", tn)
		}
		for _, b := range info.Bugs {
			c, ok := got[tn+"/"+b.Name]
			if !ok || strings.Join(c.Nemesis, ",") != strings.Join(b.Nemesis, ",") {
				t.Errorf("case for %s/%s: %+v, %v", tn, b.Name, c, ok)
			}
		}
		c, ok := got[tn+" (correct)"]
		if !ok || len(c.Nemesis) == 0 {
			t.Errorf("no correct case for %s: %+v", tn, c)
		}
	}

	// A bug whose faults are aimed by options runs with them, and so does
	// the correct target's extra case; the command repeats them.
	lease, ok := got["raft/lease-read"]
	if !ok || lease.NemesisOpts["clock-targets"] != "leader" {
		t.Errorf("lease-read case without its nemesis options: %+v", lease)
	}
	aimed, ok := got["raft (correct, lease-read faults)"]
	if !ok || aimed.Bug != "" || aimed.NemesisOpts["partition"] != "leader" {
		t.Errorf("correct raft under lease-read's faults: %+v, %v", aimed, ok)
	}
	if cmd := strings.Join(Command(aimed, 1, Options{Nodes: 5, TimeLimit: time.Minute, NemesisInterval: time.Second}), " "); !strings.Contains(cmd, "--nemesis-opt clock-targets=leader") || strings.Contains(cmd, "bug=") {
		t.Errorf("command %q", cmd)
	}

	cases, err = Plan(Options{Bugs: []string{"paxos:amnesia", "stale-read"}, SkipCorrect: true})
	if err != nil || len(cases) != 2 || cases[0].Name() != "paxos/amnesia" || cases[1].Name() != "raft/stale-read" {
		t.Errorf("filtered plan: %+v, %v", cases, err)
	}
	for _, bad := range []Options{
		{Targets: []string{"nope"}},
		{Bugs: []string{"gremlins"}},
		{Targets: []string{"paxos"}, Bugs: []string{"stale-read"}},
		{Targets: []string{"paxos"}, Bugs: []string{"raft:amnesia"}},
	} {
		if _, err := Plan(bad); err == nil {
			t.Errorf("Plan(%+v) accepted", bad)
		}
	}
	for _, bad := range []Options{{Seeds: -1}, {TimeLimit: time.Millisecond}, {Nodes: 99}, {SkipBugs: true, SkipCorrect: true}} {
		var ce *harness.ConfigError
		if _, err := Validate(&bad); !errors.As(err, &ce) {
			t.Errorf("Validate(%+v) = %v, want a ConfigError", bad, err)
		}
	}
}

func TestRunSummarisesRuns(t *testing.T) {
	dir := t.TempDir()
	opts := Options{
		Bugs: []string{"paxos:local-read"}, Targets: []string{"paxos"}, Seeds: 3, TimeLimit: 10 * time.Second,
		Store: dir,
		// The bug is caught on seeds 1 and 3; the correct target is
		// (wrongly) flagged on seed 2, to count a false alarm.
		Runner: fakeRun(t, func(cfg harness.Config) bool {
			if cfg.TargetOpts["bug"] == "" {
				return cfg.Seed == 2
			}
			return cfg.Seed != 2
		}),
	}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 {
		t.Fatalf("%d rows", len(rep.Rows))
	}
	bug, ok := rep.Rows[0], rep.Rows[1]
	if bug.Bug != "local-read" || bug.Runs != 3 || bug.Invalid != 2 || bug.Valid != 1 || bug.DetectionRate == nil ||
		*bug.DetectionRate < 0.66 || *bug.DetectionRate > 0.67 || bug.FalseAlarms != nil {
		t.Errorf("bug row %+v", bug)
	}
	// The anomalous read ends at 4.5+seed s; the first client op starts at
	// 3 s: 2.5 s for seed 1 and 4.5 s for seed 3, median 3.5 s.
	if bug.MedianFirstAnomaly == nil || *bug.MedianFirstAnomaly != 3.5 {
		t.Errorf("median first anomaly %v, want 3.5", bug.MedianFirstAnomaly)
	}
	if r := bug.Results[0]; r.FirstAnomaly == nil || *r.FirstAnomaly != 2.5 || r.Ops != 2 || r.InvalidKeys != 1 ||
		!strings.Contains(r.Command, "--target-opt bug=local-read --workload register --nemesis partition") ||
		!strings.HasSuffix(r.Command, "--seed 1") {
		t.Errorf("first run %+v", r)
	}
	if ok.Bug != "" || ok.FalseAlarms == nil || *ok.FalseAlarms != 1 || ok.DetectionRate != nil || ok.Valid != 2 {
		t.Errorf("correct row %+v", ok)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "bench-logs", "*.log"))
	if len(logs) != 6 {
		t.Errorf("%d run logs: %v", len(logs), logs)
	}

	var tbl, md, js bytes.Buffer
	if err := rep.WriteTable(&tbl); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"local-read", "2/3 (67%)", "3.5 s", "(correct)", "1/3"} {
		if !strings.Contains(tbl.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tbl.String())
		}
	}
	if err := rep.WriteMarkdown(&md); err != nil || !strings.Contains(md.String(), "| paxos | local-read | partition | 2/3 (67%) | 3.5 s |") {
		t.Errorf("markdown (%v):\n%s", err, md.String())
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Rows) != 2 || len(back.Rows[0].Results) != 3 {
		t.Errorf("JSON round trip: %v", err)
	}
}

func TestRunStopsWhenInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	opts := Options{Bugs: []string{"paxos:local-read"}, Seeds: 3, Store: t.TempDir(), SkipCorrect: true,
		Runner: func(ctx context.Context, cfg harness.Config) (*harness.Outcome, error) {
			runs++
			cancel()
			return &harness.Outcome{Dir: cfg.Store, Interrupted: true}, harness.ErrInterrupted
		}}
	rep, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if runs != 1 || !rep.Interrupted || len(rep.Rows) != 1 || rep.Rows[0].Runs != 0 {
		t.Errorf("runs %d, report %+v", runs, rep)
	}
}

func TestUnavailableFaultIsReportedNotRun(t *testing.T) {
	c := newCase("paxos", "x", []string{"partition", "gremlins"}, nil)
	if c.Unsupported == "" {
		t.Fatalf("case with an unknown fault: %+v", c)
	}
	row := summarize(Row{Case: c})
	if row.DetectionRate != nil || row.FalseAlarms != nil {
		t.Errorf("unsupported row has numbers: %+v", row)
	}
	if !strings.Contains(strings.Join(cells(row), " "), "unsupported") {
		t.Errorf("cells %v", cells(row))
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
		ok   bool
	}{{nil, 0, false}, {[]float64{3}, 3, true}, {[]float64{5, 1, 3}, 3, true}, {[]float64{4, 1, 3, 2}, 2.5, true}} {
		if got, ok := median(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("median(%v) = %v, %v", tc.in, got, ok)
		}
	}
}
