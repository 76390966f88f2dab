// Package elle checks list-append histories for transactional anomalies,
// after Kingsbury and Alvaro's Elle (jepsen-io/elle), written in Go.
//
// # History
//
// Ops are {f: "txn", value: [[f, k, v], …]} with micro-ops ["append", k, n]
// and ["r", k, list]; keys are numbers or strings. An invocation's reads
// carry null; an ok completion carries what each read saw (null for a key
// never written, which counts as the empty list). Every value is appended
// at most once per key — the workload guarantees it — so a list names the
// transactions that wrote it. Fail means the transaction did not happen;
// info (or no completion at all) means it may have.
//
// # Inference
//
// The version order of a key is its longest read; every other read must be
// a prefix of it (else incompatible-order). Over the transactions that
// completed ok, plus the indeterminate ones whose appends some read saw:
//
//   - ww: T1 appended v and T2 appended the element right after v;
//   - wr: T2's first read of k ends in v, which T1 appended;
//   - rw: T1's first read of k saw a prefix, and T2 appended the next
//     element (an anti-dependency);
//   - process: T2 is the next transaction of T1's client process;
//   - realtime: T1 completed before T2 was invoked (transitively reduced:
//     a transaction is linked to those completed since the last
//     completion it already follows).
//
// A transaction's own appends are stripped from the end of its first read
// of a key before inferring wr and rw.
//
// # Anomalies
//
// Without cycles: G1a (a read saw an element appended by a failed
// transaction), G1b (a read ended in an element its writer followed with
// another append to the same key: an intermediate version), internal (a
// read disagrees with the transaction's own earlier read and appends),
// incompatible-order, duplicate-elements (an element twice in one read) and
// garbage-read (an element nobody appended).
//
// Cycles: the strongly connected components of the graph (Tarjan), then in
// each one the shortest cycle of each kind, by breadth-first search from
// every candidate first edge, counting rw edges in the search state: G0
// (ww only), G1c (ww and wr), G-single (exactly one rw), G2 (two or more),
// then the same needing process order (suffix -process) and realtime order
// (-realtime). Each comes with its transactions and, per edge, why it
// exists. The search has an edge-visit budget; running out leaves an
// otherwise clean verdict unknown.
//
// # Models
//
// The anomalies found place the history in a small lattice of consistency
// models after Elle's: read-uncommitted < read-committed < {repeatable-read,
// snapshot-isolation} < serializable < strong-session-serializable <
// strict-serializable. The result names the strongest models satisfied and
// the weakest violated ("not", as Elle's :not). The verdict is invalid when
// an anomaly the chosen model forbids (Options.Model, default
// strict-serializable) is present; anomalies it allows are reported and
// leave it valid. Unknown when nothing completed ok, some op could not be
// interpreted, appends were not unique, or the search was cut short.
package elle
