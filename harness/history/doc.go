// Package history holds the operation history of a run: the types every
// other package reads, the Recorder that appends to it while a run is under
// way, and the JSONL codec that stores it.
//
// The model is Jepsen's. A client operation is two ops in the history: an
// invoke, then a completion with the same process whose type says what is
// known about it:
//
//   - ok: it happened, and Value is what it returned;
//   - fail: it certainly did not happen;
//   - info: it may or may not have happened (a timeout, a reset connection).
//     The process that issued it is retired and never used again, because
//     its operation may still be in flight.
//
// Nemesis actions are recorded as info ops of process "nemesis" so checkers
// and reports can line faults up with client operations.
//
// This package is part of the pure core: no Docker, no wall clock (the
// Recorder takes times from a monotonic clock it is given).
package history
