// Package hist holds what the workload checkers share: pairing each
// client invocation with its completion, compact references to ops for
// results, the bookkeeping of ops a checker cannot interpret, and Jepsen's
// compact rendering of integer sets. It is part of the pure core.
package hist
