package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
)

// cells is one row of the summary table, shared by the terminal and
// Markdown renderings so they cannot disagree.
func cells(r Row) []string {
	name := r.Bug
	if name == "" {
		name = "(correct)"
	}
	if r.FaultsOf != "" {
		name = "(correct, " + r.FaultsOf + " faults)"
	}
	detected, median, alarms := "", "", ""
	switch {
	case r.Unsupported != "":
		detected = "unsupported: " + r.Unsupported
	case r.Bug != "":
		detected = fmt.Sprintf("%d/%d", r.Invalid, r.Runs)
		if r.DetectionRate != nil {
			detected += fmt.Sprintf(" (%.0f%%)", *r.DetectionRate*100)
		}
	default:
		alarms = fmt.Sprintf("%d/%d", r.Invalid, r.Runs)
	}
	if r.MedianFirstAnomaly != nil {
		median = fmt.Sprintf("%.1f s", float64(*r.MedianFirstAnomaly))
	}
	other := ""
	if r.Unknown+r.Errors > 0 {
		other = fmt.Sprintf("%d unknown, %d error", r.Unknown, r.Errors)
	}
	nem := strings.Join(r.Nemesis, ",")
	if len(r.NemesisOpts) > 0 {
		nem += " (aimed: see the bug's nemesis_opts)"
	}
	return []string{r.Target, name, nem, detected, median, alarms, other}
}

var header = []string{"target", "bug", "nemesis", "detected", "median first anomaly", "false alarms", "other"}

// WriteTable prints the summary as a terminal table.
func (rep *Report) WriteTable(w io.Writer) error {
	tw := tablewriter.NewWriter(w)
	tw.Header(header)
	for _, r := range rep.Rows {
		if err := tw.Append(cells(r)); err != nil {
			return err
		}
	}
	if err := tw.Render(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s workload; %d nodes, seeds %s, %g s of load per run, nemesis interval %g s%s\n",
		rep.Workload, rep.Nodes, seedRange(rep.Seeds), float64(rep.TimeLimit), float64(rep.NemesisInterval), interrupted(rep))
	return err
}

// WriteMarkdown prints the summary as a Markdown table (for
// docs/benchmarks.md).
func (rep *Report) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	for _, r := range rep.Rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells(r), " | "))
	}
	_, err := fmt.Fprintf(w, "\n%s workload; %d nodes, seeds %s, %g s of load per run, nemesis interval %g s%s.\n",
		rep.Workload, rep.Nodes, seedRange(rep.Seeds), float64(rep.TimeLimit), float64(rep.NemesisInterval), interrupted(rep))
	return err
}

// WriteJSON prints the whole report, every run included.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func seedRange(s []int64) string {
	switch len(s) {
	case 0:
		return "none"
	case 1:
		return fmt.Sprint(s[0])
	}
	return fmt.Sprintf("%d–%d", s[0], s[len(s)-1])
}

func interrupted(rep *Report) string {
	if rep.Interrupted {
		return " (INTERRUPTED: partial results)"
	}
	return ""
}
