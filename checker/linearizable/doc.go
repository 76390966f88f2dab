// Package linearizable checks that a history is linearizable, key by key,
// with Porcupine.
//
// What each key holds is a Model: by default a compare-and-set register
// that starts with no value (the register workload's keys); NewRegister
// makes registers with or without cas and with another initial value, and
// package checker/models adds Knossos's multi-register, mutex and set. A
// Model's Reader turns the history's client ops into Porcupine operations
// and gives Porcupine's sequential specification.
//
// The history follows Jepsen's conventions. Register ops have f "read" (the
// invocation carries no value; an ok completion carries an integer, or null
// for "no value"), "write" (an integer) or "cas" ([from, to]; ok means it
// swapped). Each invocation is paired with the next completion of the same
// process:
//
//   - ok: the op happened, with the value it returned;
//   - fail: the op certainly did not happen, and is dropped;
//   - info, or no completion before the history ends: the op may or may not
//     have happened, and may take effect at any time after its invocation.
//     It is kept with an open end (Return = math.MaxInt64) and an output the
//     model accepts whether or not it took effect; indeterminate reads tell
//     nothing and are dropped.
//
// Real-time order is the order of the history, as in Jepsen: op i is placed
// at max(its Time, the previous op's place + 1), which is its Time whenever
// times increase (faultline's histories) and still orders a Jepsen history
// whose :time values disagree with its order, or that has none.
//
// Nemesis ops are ignored by the check and only annotate visualizations.
// Client ops whose f the model does not know are ignored, or, with
// Options.Strict (a history of that model alone), make their key undecided.
//
// Keys are checked independently (P-compositionality), in parallel on a
// bounded pool of GOMAXPROCS workers, so every key has its own verdict and
// its own linearization info. In a history of at most SmallHistory ops every
// key is checked with porcupine.CheckOperationsVerbose and keeps its info;
// in a bigger one a key is first checked without partial linearizations
// (about twice as fast on big keys) and only a failing key is checked again
// verbosely for its info. A key that
// is not linearizable makes the result Invalid; a key that could not be
// decided — the timeout or the context ended first, or its ops could not be
// interpreted — makes it Unknown unless another key is Invalid. The result
// is never Valid unless every key was checked and found linearizable.
//
// WriteVisualizations writes Porcupine's HTML page for each failing key (and
// every key when the history is small) into a directory.
package linearizable
