package reports

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/faultline-io/faultline/harness/store"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Summary writes a short summary of the run in runDir to w: the verdict,
// a table of checker / verdict / message, a table of client ops by f and
// outcome, and where the run directory and its report are.
func Summary(w io.Writer, runDir string) error {
	r, err := load(runDir, false)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	var b strings.Builder
	name := r.info.Name
	if name == "" {
		name = filepath.Base(runDir)
	}
	fmt.Fprintf(&b, "%s: %s\n", name, strings.ToUpper(r.results.Valid.String()))
	for _, warn := range r.warnings {
		fmt.Fprintf(&b, "warning: %s\n", warn)
	}

	t := tablewriter.NewTable(&b, tablewriter.WithRowMaxWidth(72), tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header("checker", "verdict", "message")
	for _, c := range r.results.Checkers {
		if err := t.Append(c.Checker, c.Verdict.String(), c.Message); err != nil {
			return fmt.Errorf("summary: %w", err)
		}
	}
	if len(r.results.Checkers) > 0 {
		if err := t.Render(); err != nil {
			return fmt.Errorf("summary: %w", err)
		}
	}

	right := tw.CellAlignment{PerColumn: []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}}
	t = tablewriter.NewTable(&b, tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(right), tablewriter.WithFooterAlignmentConfig(right))
	t.Header("f", "ok", "fail", "info", "pending")
	for _, f := range sortedKeys(r.stats.ByF) {
		c := r.stats.ByF[f]
		if err := t.Append(f, c.OK, c.Fail, c.Info, c.Pending); err != nil {
			return fmt.Errorf("summary: %w", err)
		}
	}
	c := r.stats.Client
	t.Footer("total", c.OK, c.Fail, c.Info, c.Pending)
	if len(r.stats.ByF) > 0 {
		if err := t.Render(); err != nil {
			return fmt.Errorf("summary: %w", err)
		}
	}
	if n := len(r.stats.Nemesis); n > 0 {
		var parts []string
		for _, f := range sortedKeys(r.stats.Nemesis) {
			parts = append(parts, fmt.Sprintf("%s ×%d", f, r.stats.Nemesis[f]))
		}
		fmt.Fprintf(&b, "faults: %s\n", strings.Join(parts, ", "))
	}

	fmt.Fprintf(&b, "run dir: %s\n", runDir)
	report := filepath.Join(runDir, store.ReportFile)
	if _, err := os.Stat(report); err != nil {
		report += " (not written yet)"
	}
	fmt.Fprintf(&b, "report:  %s\n", report)
	_, err = io.WriteString(w, b.String())
	return err
}
