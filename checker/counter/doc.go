// Package counter checks histories of the counter workload, as Jepsen's
// counter checker does.
//
// Ops: {f: "add", value: N} increments the counter by N ≥ 0; {f: "read"}
// completes ok with its value (null counts as 0, a counter never written).
// Walking the history in order, every read must lie between
//
//   - lower: the sum of the adds that completed ok before the read was
//     invoked, and
//   - upper: the sum of the adds invoked before the read completed, minus
//     those known to have failed by then.
//
// A read outside [lower, upper] saw a lost or a double-applied increment
// (or one from nowhere): the verdict is invalid, with every such read
// counted and the first few reported with their bounds. Unknown when no
// read completed, or an op could not be interpreted (a negative add among
// them: the bounds assume increments).
package counter
