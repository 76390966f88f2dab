package cmd

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness"
	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/reports"
)

func init() { addCommand(newSuiteCmd) }

func newSuiteCmd() *cobra.Command {
	var storeDir string
	var dryRun bool
	c := &cobra.Command{
		Use:   "suite FILE.yaml",
		Short: "Run a matrix of targets × workloads × nemeses × seeds, one after another",
		Long: `Suite reads a YAML file describing a matrix — targets (with options), workloads
(with options), nemeses and seeds, plus settings shared by every combination — checks
every combination before anything starts, then runs them one after another. Each run
is an ordinary run directory in the store (report.html, junit.xml, summary.md); the
suite adds a record under <store>/_suites/<name>/<timestamp>/ with suite.json, a
junit.xml with one testcase per combination and summary.md, and prints one table.

A combination passes when its verdict is the one expected: 'expect: valid' by
default; 'expect: invalid' (suite-wide or on a target) asserts a seeded bug is caught;
'expect: any' accepts any verdict. The exit code is the worst over the suite:
0 every combination passed, 2 a verdict was unknown, 1 a verdict was not the one
expected, 254 the suite file is bad (the message names the line and field), 255 the
harness failed. When $GITHUB_STEP_SUMMARY is set, the suite's summary is appended.

Fields: name, description, store, targets, workloads, nemeses, nemesis_options, seeds,
expect, nodes, concurrency, rate, time_limit, op_timeout, nemesis_interval,
recovery_timeout, check_timeout, balance. A target is a name or {name, options, expect}; a workload a
name or {name, options}; a nemesis a list such as "partition,kill", "all" or "none".`,
		Example: `  $ faultline suite suites/raft-faults.yaml
  $ faultline suite suites/raft-seeded-bugs.yaml --store /tmp/store
  $ faultline suite suites/raft-faults.yaml --dry-run     # list the combinations

  # suites/example.yaml
  name: example
  targets:
    - raft
    - {name: raft, options: {bug: stale-read}, expect: invalid}
  workloads: [register]
  nemeses: [partition, "kill,pause"]
  seeds: [1, 2]
  nodes: 3
  time_limit: 10s`,
		Args: exactArgs(1, "FILE.yaml"),
		RunE: func(c *cobra.Command, args []string) error {
			return runSuite(c, args[0], storeDir, dryRun)
		},
	}
	c.Flags().StringVar(&storeDir, "store", "", "directory that keeps runs (default: the file's store, else ./store)")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and list the combinations without running them")
	return c
}

func runSuite(c *cobra.Command, path, storeDir string, dryRun bool) error {
	sf, err := readSuiteFile(path)
	if err != nil {
		return &UsageError{err}
	}
	combos := sf.combinations(storeDir)
	out, log := c.OutOrStdout(), c.ErrOrStderr()
	if dryRun {
		fmt.Fprintf(out, "suite %s: %d combinations\n", sf.Name, len(combos))
		for i, cb := range combos {
			fmt.Fprintf(out, "%3d  %s  (expect %s)\n", i+1, cb.label(), cb.expect)
		}
		return nil
	}
	suite := reports.Suite{Name: sf.Name, File: path, Start: time.Now().UTC()}
	ctx := c.Context()
	fmt.Fprintf(log, "faultline %s: suite %s, %d combinations\n", VersionString(), sf.Name, len(combos))
	for i, cb := range combos {
		sr := reports.SuiteRun{Label: cb.label(), Target: cb.target.Name, Workload: cb.workload.Name,
			Nemesis: cb.nemesis.Text, Seed: cb.seed, Expect: cb.expect}
		if mo := mapArg(cb.target.Options); mo != "" {
			sr.Target += " (" + mo + ")"
		}
		if ctx.Err() != nil {
			sr.Error = "not run: the suite was interrupted"
			suite.Runs = append(suite.Runs, sr)
			continue
		}
		fmt.Fprintf(log, "=== [%d/%d] %s (expect %s)\n", i+1, len(combos), sr.Label, cb.expect)
		sr = runCombination(c, cb, sr, fmt.Sprintf("[%d/%d] ", i+1, len(combos)))
		status := "pass"
		if !sr.Pass {
			status = "FAIL"
		}
		fmt.Fprintf(log, "=== [%d/%d] %s: %s, expected %s: %s in %.1fs\n", i+1, len(combos), sr.Label,
			orNone(sr.Verdict), cb.expect, status, time.Duration(sr.Duration).Seconds())
		suite.Runs = append(suite.Runs, sr)
	}
	suite.End = time.Now().UTC()

	root := combos[0].cfg.Store
	if root == "" {
		root = "store"
	}
	recDir := filepath.Join(root, reports.SuitesDir, sf.Name, suite.Start.Format(store.TimestampLayout))
	var werr error
	if err := reports.WriteSuite(recDir, suite); err != nil {
		werr = fmt.Errorf("write suite record: %w", err)
	}
	if err := suiteTable(out, &suite); err != nil {
		werr = errors.Join(werr, err)
	}
	fmt.Fprintf(out, "suite %s: %d of %d passed; record: %s (junit.xml, summary.md)\n", sf.Name, suite.Passed(), len(suite.Runs), recDir)
	if werr == nil {
		appendStepSummary(c, filepath.Join(recDir, reports.MarkdownFile))
	}
	code := suiteExit(suite.Runs)
	if werr != nil {
		return &ExitError{Code: ExitFailure, Err: werr}
	}
	if code == ExitValid {
		return nil
	}
	return &ExitError{Code: code}
}

// runCombination runs one combination through harness.Run, writes its
// reports and says whether it met its expectation.
func runCombination(c *cobra.Command, cb combination, sr reports.SuiteRun, prefix string) reports.SuiteRun {
	cfg := cb.cfg
	if err := cfg.Validate(); err != nil { // checked before the suite started; defaults filled here
		sr.Error = "bad configuration: " + err.Error()
		return sr
	}
	cfg.Version = VersionString()
	cfg.Command = runCommand(cfg)
	live := newLiveProgress(c.ErrOrStderr())
	live.prefix = prefix
	cfg.Log, cfg.Progress = live, live.update
	start := time.Now()
	out, err := harness.Run(c.Context(), cfg)
	sr.Duration = int64(time.Since(start))
	if out != nil {
		sr.Dir = out.Dir
		if rerr := writeRunReports(c, out.Dir, false); rerr != nil {
			err = errors.Join(err, fmt.Errorf("write reports: %w", rerr))
		}
		if err == nil || errors.Is(err, harness.ErrInterrupted) {
			sr.Verdict = out.Results.Valid.String()
		}
		sr.OK = out.Results.Stats.Client.OK
		var msgs []string
		for _, r := range out.Results.Checkers {
			if r.Verdict != checker.Valid {
				msgs = append(msgs, r.Checker+": "+r.Message)
			}
		}
		sr.Message = strings.Join(msgs, "; ")
	}
	if err != nil {
		var ce *harness.ConfigError
		if errors.As(err, &ce) {
			sr.Error = "bad configuration: " + ce.Error()
		} else {
			sr.Error = err.Error()
		}
		return sr
	}
	sr.Pass = cb.expect == expectAny || sr.Verdict == cb.expect
	return sr
}

// runExit is the exit code one combination contributes.
func runExit(r reports.SuiteRun) int {
	switch {
	case strings.HasPrefix(r.Error, "bad configuration: "):
		return ExitUsage
	case r.Error != "":
		return ExitFailure
	case r.Pass:
		return ExitValid
	case r.Verdict == "unknown":
		return ExitUnknown
	default: // invalid when valid was expected, or a verdict other than the one expected
		return ExitInvalid
	}
}

// suiteExit is the worst exit code over the suite: a harness failure, then
// a bad configuration, then a verdict other than expected, then an unknown
// one.
func suiteExit(runs []reports.SuiteRun) int {
	rank := map[int]int{ExitValid: 0, ExitUnknown: 1, ExitInvalid: 2, ExitUsage: 3, ExitFailure: 4}
	code := ExitValid
	for _, r := range runs {
		if c := runExit(r); rank[c] > rank[code] {
			code = c
		}
	}
	return code
}

// suiteTable prints one row per combination.
func suiteTable(w io.Writer, s *reports.Suite) error {
	right := tw.CellAlignment{PerColumn: []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight,
		tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignLeft}}
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAlignmentConfig(right),
		tablewriter.WithRowMaxWidth(60))
	t.Header("#", "target", "workload", "nemesis", "seed", "verdict", "expected", "result", "ok ops", "time", "run")
	for i, r := range s.Runs {
		res := "pass"
		if !r.Pass {
			res = "FAIL"
		}
		v := orNone(r.Verdict)
		if r.Error != "" {
			v = "error: " + clip(r.Error, 60)
		}
		if err := t.Append(i+1, r.Target, r.Workload, r.Nemesis, r.Seed, v, r.Expect, res, r.OK,
			fmt.Sprintf("%.1fs", time.Duration(r.Duration).Seconds()), orNone(r.Dir)); err != nil {
			return err
		}
	}
	return t.Render()
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// runCommand is the 'faultline run' command line that repeats one
// combination on its own, stored in its run.json.
func runCommand(cfg harness.Config) []string {
	args := []string{"faultline", "run", "--target", cfg.Target}
	args = append(args, kvArgs("--target-opt", cfg.TargetOpts)...)
	args = append(args, "--workload", cfg.Workload)
	args = append(args, kvArgs("--workload-opt", cfg.WorkloadOpts)...)
	nem := strings.Join(cfg.Nemesis, ",")
	if nem == "" {
		nem = "none"
	}
	args = append(args, "--nemesis", nem)
	args = append(args, kvArgs("--nemesis-opt", cfg.NemesisOpts)...)
	return append(args, "--nemesis-interval", cfg.NemesisInterval.String(),
		"--nodes", fmt.Sprint(cfg.Nodes), "--concurrency", fmt.Sprint(cfg.Concurrency), "--rate", fmt.Sprint(cfg.Rate),
		"--time-limit", cfg.TimeLimit.String(), "--op-timeout", cfg.OpTimeout.String(),
		"--check-timeout", cfg.CheckTimeout.String(), "--balance", cfg.Balance,
		"--seed", fmt.Sprint(cfg.Seed), "--store", cfg.Store)
}

// kvArgs repeats flag once per key=value of m, in key order.
func kvArgs(flag string, m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var args []string
	for _, k := range keys {
		args = append(args, flag, k+"="+m[k])
	}
	return args
}
