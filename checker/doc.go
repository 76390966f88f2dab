// Package checker turns a finished history into verdicts.
//
// A Checker reads the ops of a run and returns a Result whose Verdict is one
// of three values, as in Jepsen:
//
//   - Valid: the checker looked at the history and found no anomaly;
//   - Invalid: it found an anomaly, which Message and Details describe;
//   - Unknown: it could not decide — it ran out of time, was cancelled, the
//     history held nothing it could check, or it could not interpret what
//     it found. Unknown is never a pass: a run whose checkers could not
//     decide has not shown the system correct.
//
// The zero Verdict is Unknown, so a Result whose verdict was never set does
// not read as a pass. In results.json verdicts are written as Jepsen writes
// them: true, false or "unknown".
//
// Run runs several checkers over one history and merges their verdicts with
// Merge: any Invalid makes the whole run Invalid; otherwise any Unknown makes
// it Unknown; otherwise it is Valid. A checker that panics gives Unknown,
// with the panic as its message.
//
// This package is part of the pure core: no Docker, no wall clock, no
// goroutines left behind. Checkers take ops and return results; files are
// written only by the functions that are given a path (WriteResults).
package checker
