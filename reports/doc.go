// Package reports renders a finished run directory for humans: report.html
// (WriteHTML) and a short terminal summary (Summary).
//
// Reports only read what a run left behind — run.json, results.json,
// history.jsonl and the files under nodes/ and linearizable/ — so they work
// offline on any stored run, and on runs that broke half way: a missing
// results.json reads as an unknown verdict, a truncated history is shown up
// to its last complete op, and each problem is listed as a warning in the
// report rather than failing it. Only a missing or unreadable run.json is
// an error, since without it the directory is not a run.
//
// report.html is one self-contained page: inline CSS, an inline SVG chart,
// no scripts and no external resources, so it can be attached to a CI run
// or mailed as is. Everything taken from the run is escaped by html/template.
package reports
