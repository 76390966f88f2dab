package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/store"
)

// verdictIcon marks a verdict in Markdown, where colour is not available.
func verdictIcon(v string) string {
	switch v {
	case "valid", "pass":
		return "✅"
	case "invalid", "FAIL":
		return "❌"
	default:
		return "⚠️"
	}
}

// mdEscaper escapes what Markdown (GitHub's flavour, in tables too) would
// otherwise interpret in text taken from a run.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`,
	"`", "\\`", "[", `\[`, "]", `\]`, "\r", " ", "\n", " ")

func mdText(s string) string { return mdEscaper.Replace(s) }

// mdCode writes s as inline code, with a fence longer than any run of
// backticks in it.
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// WriteMarkdown writes summary.md into the run directory: the verdict,
// the checkers, what failed in plain words, op counts, faults and the
// command that reproduces the run — for a CI job summary such as GitHub's
// $GITHUB_STEP_SUMMARY.
func WriteMarkdown(runDir string) error {
	r, err := load(runDir, false)
	if err != nil {
		return fmt.Errorf("summary.md: %w", err)
	}
	var b strings.Builder
	runMarkdown(&b, r, 3)
	return writeFileAtomic(filepath.Join(runDir, MarkdownFile), []byte(b.String()))
}

func runMarkdown(b *strings.Builder, r *run, level int) {
	v := r.results.Valid.String()
	fmt.Fprintf(b, "%s %s %s: %s\n\n", strings.Repeat("#", level), verdictIcon(v), mdText(orDash(r.info.Name)), strings.ToUpper(v))
	for _, w := range r.warnings {
		fmt.Fprintf(b, "> ⚠️ %s\n\n", mdText(w))
	}
	if len(r.results.Checkers) > 0 {
		b.WriteString("| checker | verdict | message |\n|---|---|---|\n")
		for _, c := range r.results.Checkers {
			cv := c.Verdict.String()
			fmt.Fprintf(b, "| %s | %s %s | %s |\n", mdText(c.Checker), verdictIcon(cv), cv, mdText(c.Message))
		}
		b.WriteString("\n")
	}
	if e := firstExplanation(r.results); e != "" {
		fmt.Fprintf(b, "**What failed:** %s\n\n", mdText(e))
	}
	c := r.stats.Client
	fmt.Fprintf(b, "**Client ops:** %d ok, %d fail, %d info, %d pending", c.OK, c.Fail, c.Info, c.Pending)
	if n := len(r.stats.Nemesis); n > 0 {
		var parts []string
		for _, f := range sortedKeys(r.stats.Nemesis) {
			parts = append(parts, fmt.Sprintf("%s ×%d", f, r.stats.Nemesis[f]))
		}
		fmt.Fprintf(b, " · **nemesis:** %s", mdText(strings.Join(parts, ", ")))
	}
	fmt.Fprintf(b, " · **seed:** %d", r.info.Seed)
	if d := runDuration(r.info); d > 0 {
		fmt.Fprintf(b, " · **duration:** %.1fs", d.Seconds())
	}
	b.WriteString("\n\n")
	if len(r.info.Command) > 0 {
		fmt.Fprintf(b, "Reproduce: %s\n\n", mdCode(shellJoin(r.info.Command)))
	}
	fmt.Fprintf(b, "Run directory: %s (open %s)\n\n", mdCode(r.dir), mdCode(store.ReportFile))
}

// AppendFile appends the file at src to the file at dst, creating dst if
// needed: how a summary reaches $GITHUB_STEP_SUMMARY.
func AppendFile(dst, src string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteAll writes everything reports derive from a run directory:
// junit.xml, summary.md and report.html (last, so it links the other two).
// It returns the first error but tries every file.
func WriteAll(runDir string) error {
	var first error
	for _, w := range []func(string) error{WriteJUnit, WriteMarkdown, WriteHTML} {
		if err := w(runDir); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// firstExplanation says in words what the first failing checker found. The
// history is not loaded here, so a linearizability anomaly is explained
// without the faults in place.
func firstExplanation(rs checker.Results) string {
	for _, c := range rs.Checkers {
		if d, ok := linearDetails(c); ok && len(d.Anomalies) > 0 {
			return plainExplanation(d.Anomalies[0], nil, false)
		}
	}
	for _, c := range rs.Checkers {
		if c.Verdict == checker.Invalid {
			if es, _ := explanations(c.Details, 1); len(es) > 0 {
				return c.Checker + ": " + es[0]
			}
		}
	}
	return ""
}
