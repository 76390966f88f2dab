// Package nemesis injects faults into a running target and decides when.
//
// A Fault is one kind of fault with a start (inject) and a stop (heal).
// Faults register by name from init, one file each, and are built by a
// Factory that checks the target has the capability the fault needs
// (targets.Killer, targets.Pauser, targets.Partitioner) so a run is refused
// before it starts rather than failing midway.
//
// The Schedule runs faults like Jepsen's combined nemesis: a quiet
// warm-up, then faults one after another in a shuffled order, each held for
// a random time around the interval and followed by a quiet time of the
// same kind. Every start and stop is recorded in the history as an info op
// of process "nemesis" (f "start-partition", "kill", "pause", …, with a
// value saying which nodes and how). At the end, HealAll stops whatever is
// active, and heals every fault class regardless, so the final reads run on
// a whole cluster.
//
// # Writing a fault
//
//  1. Put it in its own file, e.g. kill.go, and call Register from init.
//  2. Honour ctx in every blocking call; make Stop idempotent.
//  3. Return from Start a JSON-encodable value saying what was done.
package nemesis
