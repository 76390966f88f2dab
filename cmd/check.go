package cmd

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/harness"
	"github.com/faultline-io/faultline/reports"
)

func newCheckCmd() *cobra.Command {
	var timeout time.Duration
	var hopts historyCheckOpts
	c := &cobra.Command{
		Use:   "check RUN-DIR | HISTORY-FILE | -",
		Short: "Check a stored run's history again, offline, or a Jepsen/Knossos history file",
		Long: `Check re-runs the checkers of a stored run on its history.jsonl alone (no Docker,
no cluster), rewrites results.json, the visualisations and report.html, and exits
with the verdict: 0 valid, 1 invalid, 2 unknown, 254 when the directory or its
files are not a readable run.

Given a history file instead (.edn as Jepsen and Knossos write them, .jsonl as
faultline does, or - for stdin; --format says which when the name does not), it
checks the history for linearizability against --model with Jepsen's semantics:
a fail did not happen, an info or an invocation that never completed may take
effect at any time after it was invoked or never, nemesis ops are ignored, each
key (:key) is checked on its own. It prints the verdict with a short
explanation, writes nothing unless --out DIR is given, and exits 0/1/2, or 254
for an unreadable history (naming the line), an unknown model or a bad --init.

Models:
` + modelHelp(),
		Example: `  $ faultline check store/latest
  $ faultline check store/raft-register/20261125T101500.000Z
  $ faultline check history.edn --model cas-register --init 0
  $ faultline check etcd.edn --model mutex --out /tmp/etcd-check
  $ faultline check txn.edn --model multi-register --init '{:x 0 :y 0}'
  $ faultline export store/latest --format edn | faultline check -`,
		Args: exactArgs(1, "RUN-DIR or a history file"),
		RunE: func(c *cobra.Command, args []string) error {
			dir := args[0]
			if isHistoryFile(dir) {
				return checkHistoryFile(c, dir, hopts, timeout)
			}
			if err := refuseHistoryFlags(c); err != nil {
				return err
			}
			warn := func(format string, a ...any) { fmt.Fprintf(c.ErrOrStderr(), "warning: "+format+"\n", a...) }
			res, err := harness.Analyze(c.Context(), dir, harness.AnalyzeOptions{CheckTimeout: timeout, Warnf: warn})
			var bad *harness.BadRunError
			if errors.As(err, &bad) {
				return &UsageError{bad.Err}
			}
			if err != nil {
				return err
			}
			if err := writeRunReports(c, dir, true); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if err := reports.Summary(c.OutOrStdout(), dir); err != nil {
				return err
			}
			return verdictExit(res.Valid.String())
		},
	}
	c.Flags().DurationVar(&timeout, "check-timeout", 5*time.Minute, "give up after this long (verdict unknown; 0 = no limit)")
	addHistoryCheckFlags(c, &hopts)
	return c
}

// exactArgs is cobra.ExactArgs with a message that names the argument.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("want %s, got %d arguments", what, len(args))
		}
		return nil
	}
}
