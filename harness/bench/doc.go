// Package bench measures faultline itself: how reliably, and how fast, the
// register workload and the linearizability checker catch each seeded bug
// of the bundled targets under the faults that should expose it, and how
// often they raise a false alarm on the correct targets.
//
// Plan turns the registered targets' bug tables (targets.Info.Bugs, each
// bug with its nemesis list) into cases: one per bug, and one per target
// without a bug, under the union of its bugs' faults. Run performs every
// case once per seed with harness.Run, one run at a time, and summarises:
// per bug the detection rate (invalid verdicts over runs) and the median
// time to the first anomalous operation, per correct target the false
// alarms (invalid verdicts). Each run is an ordinary stored run directory
// with a reproducing command, and its progress log is kept under
// <store>/bench-logs.
//
// The time to the first anomaly is read from the stored run (Anomalies):
// the linearizable checker names, for each invalid key, the first
// operation it cannot linearize; the earliest end among those, measured
// from the first client invocation, is when the history first showed
// something no correct system could produce.
//
// The full benchmark is long (the number of cases × seeds × the time
// limit, plus start-up and checking) and is run by hand (`faultline bench
// detect`); its measured table is in docs/benchmarks.md. The package's
// tests run one short case per bundled target.
package bench
