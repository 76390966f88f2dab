// Package linearizable checks that a history of per-key compare-and-set
// registers is linearizable, with Porcupine.
//
// The history follows Jepsen's conventions. Client ops have f "read" (the
// invocation carries no value; an ok completion carries an integer, or null
// for "no value"), "write" (an integer) or "cas" ([from, to]; ok means it
// swapped). Every key is an independent register that starts with no value.
// Each invocation is paired with the next completion of the same process:
//
//   - ok: the op happened, with the value it returned;
//   - fail: the op certainly did not happen, and is dropped;
//   - info, or no completion before the history ends: the op may or may not
//     have happened, and may take effect at any time after its invocation.
//     Writes and cas are kept with an open end (Return = math.MaxInt64) and
//     an output the model accepts whether or not they took effect;
//     indeterminate reads tell nothing and are dropped.
//
// Nemesis ops are ignored by the check and only annotate visualizations.
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
