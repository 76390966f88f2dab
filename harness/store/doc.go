// Package store lays out run directories: where a run's files live, what
// run.json holds, and how runs are found again. It is a leaf: the harness
// writes through it, and checks and reports read through it, so `faultline
// check` and `faultline report` work offline on any stored run.
//
// Layout:
//
//	<store>/<test-name>/<timestamp>/
//	    run.json        configuration, seed, versions, timings
//	    history.jsonl   every op, streamed during the run
//	    results.json    the checkers' verdicts
//	    report.html     the human-readable report
//	    linearizable/   porcupine visualisations of failing keys
//	    nodes/<n>.log   node logs
//	<store>/latest -> <test-name>/<timestamp>
package store
