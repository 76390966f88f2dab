// Package models names the data types faultline can check histories of
// for linearizability, as Knossos's models do: cas-register, register,
// multi-register, mutex and set. Each is a linearizable.Model; Checker
// checks a history of one model alone, per independent key, with Porcupine
// and Jepsen's semantics (fail did not happen; info or no completion is
// indeterminate and may take effect at any time after its invocation, or
// never; nemesis ops are ignored; each process is sequential).
//
// Initial states are given as JSON (the command line converts an EDN
// --init with edn.ToJSON), and default to nil as in Knossos's command line.
//
// The tests include the acceptance check against the 122 Knossos histories
// with known verdicts in ../shared/data (beside the repository): see
// knossos_test.go and `make knossos`.
package models
