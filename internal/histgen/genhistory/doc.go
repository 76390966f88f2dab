// Command genhistory writes a generated, linearizable register history as
// a run directory (history.jsonl and run.json), for timing `faultline
// check` by hand (docs/benchmarks.md):
//
//	go run ./internal/histgen/genhistory -o /tmp/h100k
//	time bin/faultline check /tmp/h100k/history.jsonl --out /tmp/h100k/out
package main
