package cmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/reports"
)

// envStepSummary is the file GitHub Actions shows as the job's summary.
const envStepSummary = "GITHUB_STEP_SUMMARY"

func newReportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report RUN-DIR",
		Short: "Write report.html, junit.xml and summary.md for a stored run from its files",
		Long: `Report rewrites a run directory's report.html (the one page to read: verdict, what
failed, charts, timeline, linearizability view, logs), junit.xml (one testcase per
checker, for CI test reporters) and summary.md (Markdown for a CI job summary) from
the files the run left: run.json, history.jsonl, results.json, node logs and the
Porcupine pages. It does not check the history again (that is 'faultline check').

When $GITHUB_STEP_SUMMARY is set, summary.md is appended to it.`,
		Example: `  $ faultline report store/latest
  $ xdg-open store/latest/report.html`,
		Args: exactArgs(1, "RUN-DIR"),
		RunE: func(c *cobra.Command, args []string) error {
			dir := args[0]
			if _, err := store.ReadRunInfo(dir); err != nil {
				return &UsageError{fmt.Errorf("report %s: not a run directory: %w", dir, err)}
			}
			if err := writeRunReports(c, dir, true); err != nil {
				return fmt.Errorf("report %s: %w", dir, err)
			}
			fmt.Fprintln(c.OutOrStdout(), filepath.Join(dir, store.ReportFile))
			return nil
		},
	}
}

// writeRunReports writes report.html, junit.xml and summary.md into a run
// directory and, when stepSummary is set and $GITHUB_STEP_SUMMARY names a
// file, appends summary.md to it.
func writeRunReports(c *cobra.Command, dir string, stepSummary bool) error {
	if err := reports.WriteAll(dir); err != nil {
		return err
	}
	if stepSummary {
		appendStepSummary(c, filepath.Join(dir, reports.MarkdownFile))
	}
	return nil
}

// appendStepSummary appends a Markdown file to $GITHUB_STEP_SUMMARY when it
// is set. Failing to is worth a warning, not a failed run.
func appendStepSummary(c *cobra.Command, file string) {
	dst := os.Getenv(envStepSummary)
	if dst == "" {
		return
	}
	if err := reports.AppendFile(dst, file); err != nil {
		fmt.Fprintf(c.ErrOrStderr(), "warning: append to $%s: %v\n", envStepSummary, err)
	}
}
