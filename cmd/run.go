package cmd

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/harness"
	"github.com/faultline-io/faultline/nemesis"
	"github.com/faultline-io/faultline/reports"
)

type runOptions struct {
	cfg          harness.Config
	nemesis      string
	nemesisOpts  []string
	partition    string
	partMode     string
	targetOpts   []string
	workloadOpts []string
	seed         int64
}

func newRunCmd() *cobra.Command {
	o := &runOptions{}
	c := &cobra.Command{
		Use:   "run [flags]",
		Short: "Run a workload against a target cluster while injecting faults, then check the history",
		Long: `Run starts a cluster of the target in Docker, drives concurrent clients against it
while the nemesis injects faults, heals everything at the time limit, performs final
reads, removes the cluster and checks the recorded history.

Everything lands in a run directory under --store (run.json, history.jsonl,
results.json, report.html, node logs); store/latest points at the newest run.
The exit code is the verdict: 0 valid, 1 invalid, 2 unknown, 254 bad usage,
255 harness failure.`,
		Example: `  # The default: a 5-node Raft cluster, register workload, partitions, crashes and pauses
  $ faultline run --target raft --workload register --nemesis partition,kill,pause --time-limit 60s

  # Show that the checker catches a seeded bug
  $ faultline run --target raft --target-opt bug=stale-read --time-limit 60s --seed 3

  # Reproduce a run exactly: same seed, same flags
  $ faultline run --target raft --nemesis partition --seed 1234 --time-limit 30s

  # Every fault the target supports, overlapping, with chosen partition shapes
  $ faultline run --target raft --nemesis all --partition majorities-ring,bridge,one-way-halves --partition-mode reject

  # Clock faults aimed at the leader, with leader partitions, to hunt the lease-read bug
  $ faultline run --target raft --target-opt bug=lease-read --nemesis clock,partition --nemesis-interval 2s \
      --nemesis-opt clock=drift --nemesis-opt clock-drift=slow --nemesis-opt clock-targets=leader --partition leader

  # 30 % packet loss between one node and the rest
  $ faultline run --target raft --nemesis packet --nemesis-opt packet=loss --nemesis-opt packet-loss=30% --nemesis-opt packet-targets=one`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runRun(c, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.cfg.Target, "target", "raft", "system under test")
	f.StringArrayVar(&o.targetOpts, "target-opt", nil, "target option key=value (repeatable); see 'faultline targets'")
	f.StringVar(&o.cfg.Workload, "workload", "register", "workload to run")
	f.StringArrayVar(&o.workloadOpts, "workload-opt", nil, "workload option key=value (repeatable)")
	f.StringVar(&o.nemesis, "nemesis", "partition,kill,pause", "faults to inject: a comma-separated list, 'all' or 'none'")
	f.DurationVar(&o.cfg.NemesisInterval, "nemesis-interval", 5*time.Second, "mean time a fault is held, and mean quiet time between faults")
	f.StringVar(&o.partition, "partition", "", "partition shapes to draw from, e.g. halves,majorities-ring,one-way-one (see docs/faults.md; default: one, majority, majorities-ring, minority-third, random-halves, bridge, leader)")
	f.StringVar(&o.partMode, "partition-mode", "", "drop (silent, the default) or reject (peers get an ICMP error at once)")
	f.StringArrayVar(&o.nemesisOpts, "nemesis-opt", nil, "nemesis option key=value (repeatable), e.g. kill=one,all clock=drift packet=loss packet-loss=30%; see docs/faults.md")
	f.IntVar(&o.cfg.Nodes, "nodes", 5, "cluster size")
	f.IntVar(&o.cfg.Concurrency, "concurrency", 0, "client processes (default 2 × nodes)")
	f.Float64Var(&o.cfg.Rate, "rate", 200, "ops per second over all clients (0 = unlimited)")
	f.DurationVar(&o.cfg.TimeLimit, "time-limit", 60*time.Second, "how long clients run before the final heal")
	f.DurationVar(&o.cfg.OpTimeout, "op-timeout", 2*time.Second, "deadline of one client op; a write past it is indeterminate (info)")
	f.DurationVar(&o.cfg.CheckTimeout, "check-timeout", 5*time.Minute, "give up checking after this long (verdict unknown; 0 = no limit)")
	f.StringVar(&o.cfg.Balance, "balance", harness.BalancePinned, "how clients pick nodes: pinned (client i talks to node i mod n) or random (per op)")
	f.Int64Var(&o.seed, "seed", 0, "seed for the op mix and the fault schedule (default: random, printed)")
	f.StringVar(&o.cfg.Store, "store", "store", "directory that keeps runs")
	f.StringVar(&o.cfg.Name, "name", "", "test name (default <target>-<workload>)")
	return c
}

func runRun(c *cobra.Command, o *runOptions) error {
	var err error
	if o.cfg.TargetOpts, err = parseKV("target-opt", o.targetOpts); err != nil {
		return err
	}
	if o.cfg.WorkloadOpts, err = parseKV("workload-opt", o.workloadOpts); err != nil {
		return err
	}
	if o.cfg.Nemesis, err = nemesis.ParseList(o.nemesis); err != nil {
		return usageErrorf("--nemesis: %v", err)
	}
	if o.cfg.NemesisOpts, err = parseKV("nemesis-opt", o.nemesisOpts); err != nil {
		return err
	}
	for flag, v := range map[string]string{"partition": o.partition, "partition-mode": o.partMode} {
		if c.Flags().Changed(flag) {
			if o.cfg.NemesisOpts == nil {
				o.cfg.NemesisOpts = map[string]string{}
			}
			o.cfg.NemesisOpts[flag] = v
		}
	}
	if c.Flags().Changed("seed") {
		o.cfg.Seed = o.seed
	} else {
		o.cfg.Seed = rand.Int64N(1 << 31)
	}
	o.cfg.Version = VersionString()
	live := newLiveProgress(c.ErrOrStderr())
	o.cfg.Log, o.cfg.Progress = live, live.update
	o.cfg.Command = reproduce(o.cfg.Seed)
	fmt.Fprintf(c.ErrOrStderr(), "faultline %s: seed %d\n", o.cfg.Version, o.cfg.Seed)

	out, err := harness.Run(c.Context(), o.cfg)
	var ce *harness.ConfigError
	if errors.As(err, &ce) {
		return &UsageError{ce.Err}
	}
	if out == nil {
		return err
	}
	if rerr := writeRunReports(c, out.Dir, true); rerr != nil {
		err = errors.Join(err, fmt.Errorf("write report: %w", rerr))
	}
	if serr := reports.Summary(c.OutOrStdout(), out.Dir); serr != nil {
		fmt.Fprintf(c.ErrOrStderr(), "summary: %v\n", serr)
	}
	if err != nil {
		if errors.Is(err, harness.ErrInterrupted) {
			return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%w; history kept in %s (re-check with: faultline check %s)", err, out.Dir, out.Dir)}
		}
		return fmt.Errorf("%w (run directory: %s)", err, out.Dir)
	}
	return verdictExit(out.Results.Valid.String())
}

// reproduce is the command line that repeats this run, seed included.
func reproduce(seed int64) []string {
	args := append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...)
	for _, a := range os.Args[1:] {
		if a == "--seed" || len(a) > 7 && a[:7] == "--seed=" {
			return args
		}
	}
	return append(args, "--seed", fmt.Sprint(seed))
}

// verdictExit maps a verdict to the exit code; valid is success.
func verdictExit(v string) error {
	switch v {
	case "valid", "true":
		return nil
	case "invalid", "false":
		return &ExitError{Code: ExitInvalid}
	default:
		return &ExitError{Code: ExitUnknown}
	}
}
