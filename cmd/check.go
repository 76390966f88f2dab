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
	c := &cobra.Command{
		Use:   "check RUN-DIR",
		Short: "Check a stored run's history again, offline",
		Long: `Check re-runs the checkers of a stored run on its history.jsonl alone (no Docker,
no cluster), rewrites results.json, the visualisations and report.html, and exits
with the verdict: 0 valid, 1 invalid, 2 unknown, 254 when the directory or its
files are not a readable run.`,
		Example: `  $ faultline check store/latest
  $ faultline check store/raft-register/20261125T101500.000Z`,
		Args: exactArgs(1, "RUN-DIR"),
		RunE: func(c *cobra.Command, args []string) error {
			dir := args[0]
			warn := func(format string, a ...any) { fmt.Fprintf(c.ErrOrStderr(), "warning: "+format+"\n", a...) }
			res, err := harness.Analyze(c.Context(), dir, harness.AnalyzeOptions{CheckTimeout: timeout, Warnf: warn})
			var bad *harness.BadRunError
			if errors.As(err, &bad) {
				return &UsageError{bad.Err}
			}
			if err != nil {
				return err
			}
			if err := reports.WriteHTML(dir); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if err := reports.Summary(c.OutOrStdout(), dir); err != nil {
				return err
			}
			return verdictExit(res.Valid.String())
		},
	}
	c.Flags().DurationVar(&timeout, "check-timeout", 5*time.Minute, "give up after this long (verdict unknown; 0 = no limit)")
	return c
}

func newReportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report RUN-DIR",
		Short: "Write report.html for a stored run from its files",
		Example: `  $ faultline report store/latest
  $ xdg-open store/latest/report.html`,
		Args: exactArgs(1, "RUN-DIR"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := reports.WriteHTML(args[0]); err != nil {
				return &UsageError{fmt.Errorf("report %s: %w", args[0], err)}
			}
			fmt.Fprintln(c.OutOrStdout(), args[0]+"/report.html")
			return nil
		},
	}
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
