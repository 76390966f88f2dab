// Package reports renders finished runs for people and for CI:
//
//   - report.html (WriteHTML): the one page a reviewer opens — the verdict
//     and what failed in plain words, the configuration and the command
//     that reproduces the run, latency, latency quantiles and throughput
//     over time with the fault windows shaded by kind, availability during
//     faults and outside them, a timeline of every operation per process,
//     Porcupine's view of the failing keys, per-checker results, op counts
//     and the node logs;
//   - junit.xml (WriteJUnit) and summary.md (WriteMarkdown) for CI test
//     reporters and job summaries; WriteAll writes all three;
//   - the terminal summary (Summary);
//   - suite records (WriteSuite): suite.json, a junit.xml with one testcase
//     per combination, summary.md;
//   - the index of a store (ScanStore, WriteIndexFile) and a read-only HTTP
//     server for it (Server).
//
// Reports only read what a run left behind — run.json, results.json,
// history.jsonl and the files under nodes/ and linearizable/ — so they work
// offline on any stored run, and on runs that broke half way: a missing
// results.json reads as an unknown verdict, a truncated history is shown up
// to its last complete op, and each problem is listed as a warning in the
// report rather than failing it. Only a missing or unreadable run.json is
// an error, since without it the directory is not a run.
//
// report.html is self-contained: inline CSS, SVG charts drawn here in Go,
// and one inline script (assets/report.js) that draws the timeline on a
// canvas from JSON embedded in the page; nothing is fetched, so it opens
// from a file or a CI artefact. Charts merge what cannot be told apart at
// their resolution, and the timeline draws only what is in view, so a run
// of 100 000 ops stays a few megabytes and fast to open. Everything taken
// from the run is escaped by html/template, or by svgBuf for the charts.
package reports
