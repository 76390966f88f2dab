package cmd

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/harness"
	"github.com/faultline-io/faultline/harness/bench"
)

func init() { addCommand(newBenchCmd) }

func newBenchCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure faultline itself (see 'faultline bench detect')",
		Example: `  # How often each seeded bug is caught, and how fast
  $ faultline bench detect --seeds 5 --time-limit 60s`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	c.AddCommand(newBenchDetectCmd())
	return c
}

type benchDetectOptions struct {
	opts      bench.Options
	targets   []string
	bugs      []string
	asJSON    bool
	markdown  bool
	reportOut string
	minRate   float64
}

func newBenchDetectCmd() *cobra.Command {
	o := &benchDetectOptions{}
	c := &cobra.Command{
		Use:   "detect [flags]",
		Short: "Run every seeded bug with the faults that expose it, and each correct target, over several seeds",
		Long: `Detect is the detection benchmark. For each seeded bug of the selected targets
(see 'faultline targets') it runs the register workload with the bug on and the
bug's own fault list as the nemesis, once per seed; and each correct target the
same way under the union of its bugs' faults. Runs go one at a time (each is a
full 'faultline run', stored under --store as bench-<target>-<bug>) and a table
sums them up:

  detected              runs with an invalid verdict, out of runs
  median first anomaly  median over detecting runs of the time from the first
                        client op to the end of the earliest op the
                        linearizability checker could not linearize
  false alarms          invalid verdicts of a correct target

Every run's reproducing command is in the JSON report (--json or --report).
The benchmark takes a while: about (time limit + 15 s) per run, so the default
(5 seeds, 60 s) over the bundled targets is over an hour.

Exit code: 0 when every run finished, no correct target was found invalid and
every bug met --min-rate; 1 when a correct target was found invalid or a bug
was caught in fewer runs than --min-rate asks; 255 when a run failed or the
benchmark was interrupted (the table then shows what finished); 254 for bad flags.`,
		Example: `  # The whole benchmark, as in docs/benchmarks.md
  $ faultline bench detect --seeds 5 --time-limit 60s --report bench.json

  # One target, a quick look with fewer seeds
  $ faultline bench detect --target paxos --seeds 2 --time-limit 30s

  # Two bugs only, no correct-target runs, JSON on stdout
  $ faultline bench detect --bug raft:stale-read,amnesia --no-correct --json

  # Only the correct targets: count false alarms
  $ faultline bench detect --no-bugs --seeds 10`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runBenchDetect(c, o) },
	}
	f := c.Flags()
	f.StringSliceVar(&o.targets, "target", nil, "targets to benchmark, comma-separated or repeated (default: every target with seeded bugs)")
	f.StringSliceVar(&o.bugs, "bug", nil, "bugs to run, as NAME or TARGET:NAME, comma-separated or repeated (default: all)")
	f.BoolVar(&o.opts.SkipCorrect, "no-correct", false, "do not run the correct targets")
	f.BoolVar(&o.opts.SkipBugs, "no-bugs", false, "run only the correct targets")
	f.IntVar(&o.opts.Seeds, "seeds", bench.DefaultSeeds, "runs per case, with seeds --first-seed, --first-seed+1, …")
	f.Int64Var(&o.opts.FirstSeed, "first-seed", 1, "the first seed")
	f.DurationVar(&o.opts.TimeLimit, "time-limit", bench.DefaultTimeLimit, "load time of each run")
	f.IntVar(&o.opts.Nodes, "nodes", bench.DefaultNodes, "cluster size")
	f.DurationVar(&o.opts.NemesisInterval, "nemesis-interval", bench.DefaultNemesisInterval, "mean time a fault is held, and mean quiet time between faults")
	f.StringVar(&o.opts.Store, "store", "store", "directory that keeps the runs")
	f.BoolVar(&o.asJSON, "json", false, "print the report as JSON (every run included) instead of a table")
	f.BoolVar(&o.markdown, "markdown", false, "print the table as Markdown")
	f.StringVar(&o.reportOut, "report", "", "also write the JSON report to this file")
	f.Float64Var(&o.minRate, "min-rate", 0, "fail (exit 1) when a bug is caught in fewer than this fraction of its runs, 0 to 1")
	return c
}

func runBenchDetect(c *cobra.Command, o *benchDetectOptions) error {
	if o.asJSON && o.markdown {
		return usageErrorf("--json and --markdown: pick one")
	}
	if o.minRate < 0 || o.minRate > 1 {
		return usageErrorf("--min-rate %v: want a fraction from 0 to 1", o.minRate)
	}
	// Options treat zero as "default"; on the command line a zero was typed.
	switch {
	case o.opts.Seeds < 1:
		return usageErrorf("--seeds %d: want 1 or more", o.opts.Seeds)
	case o.opts.Nodes < 1:
		return usageErrorf("--nodes %d: want 1 or more", o.opts.Nodes)
	case o.opts.TimeLimit <= 0:
		return usageErrorf("--time-limit %v: want a positive duration", o.opts.TimeLimit)
	case o.opts.NemesisInterval <= 0:
		return usageErrorf("--nemesis-interval %v: want a positive duration", o.opts.NemesisInterval)
	}
	o.opts.Targets = cleanList(o.targets)
	o.opts.Bugs = cleanList(o.bugs)
	o.opts.Version = VersionString()
	o.opts.Log = c.ErrOrStderr()
	// Refuse bad flags and names before the first container starts.
	check := o.opts
	if _, err := bench.Validate(&check); err != nil {
		return &UsageError{err}
	}
	start := time.Now()
	rep, err := bench.Run(c.Context(), o.opts)
	var ce *harness.ConfigError
	if errors.As(err, &ce) {
		return &UsageError{err}
	}
	if err != nil {
		return err
	}
	out := c.OutOrStdout()
	switch {
	case o.asJSON:
		err = rep.WriteJSON(out)
	case o.markdown:
		err = rep.WriteMarkdown(out)
	default:
		err = rep.WriteTable(out)
	}
	if err != nil {
		return err
	}
	if o.reportOut != "" {
		f, err := os.Create(o.reportOut)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		werr := rep.WriteJSON(f)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("write report %s: %w", o.reportOut, werr)
		}
	}
	fmt.Fprintf(c.ErrOrStderr(), "benchmark took %v\n", time.Since(start).Round(time.Second))
	return benchExit(rep, o.minRate)
}

func cleanList(vals []string) []string {
	var out []string
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// benchExit turns the report into the exit code the help text promises.
func benchExit(rep *bench.Report, minRate float64) error {
	var failed, short []string
	errored := rep.Interrupted
	for _, r := range rep.Rows {
		if r.Errors > 0 {
			errored = true
		}
		if r.FalseAlarms != nil && *r.FalseAlarms > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d false alarms", r.Name(), *r.FalseAlarms))
		}
		if r.DetectionRate != nil && *r.DetectionRate < minRate {
			short = append(short, fmt.Sprintf("%s caught in %d of %d runs", r.Name(), r.Invalid, r.Runs))
		}
	}
	problems := append(failed, short...)
	switch {
	case errored:
		msg := "some runs failed (see the table and the logs under <store>/bench-logs)"
		if rep.Interrupted {
			msg = "benchmark interrupted; the table holds the runs that finished"
		}
		return &ExitError{Code: ExitFailure, Err: errors.New(msg)}
	case len(problems) > 0:
		return &ExitError{Code: ExitInvalid, Err: errors.New(strings.Join(problems, "; "))}
	}
	return nil
}
