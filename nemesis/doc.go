// Package nemesis injects faults into a running target and decides when.
//
// A Fault is one class of fault with a start (inject) and a stop (heal).
// Faults register by name from init, one file each: partition, packet,
// clock, kill, pause. A Factory checks that the target has the capability
// the fault needs (targets.Partitioner, targets.PacketShaper,
// targets.ClockController, targets.Killer, targets.Pauser, and
// optionally targets.LeaderFinder and targets.OptionPartitioner) and
// returns an *UnsupportedError when it has not, so a run is refused
// before it starts rather than failing midway. Build makes a run's
// faults: "all" expands to every fault the target supports, while a fault
// named explicitly that the target cannot do is an error.
//
// Faults read options (OptionSpecs; --partition, --partition-mode and
// --nemesis-opt on the command line): partition shapes (grudges.go),
// node specs saying which nodes a process, clock or packet fault hits
// (targeting.go), clock operations and packet behaviours.
//
// The Schedule runs faults like Jepsen's combined package: after a quiet
// warm-up each class runs its own loop of start, hold, stop, quiet, with
// times drawn around the interval, so classes overlap while a class never
// overlaps with itself. Faults that must check the live cluster first
// (Preparer: the packet probe, the clock check) do so in Prepare. Every
// action is recorded in the history as an info op of process "nemesis"
// (f "start-partition", "kill", "clock", …, with a value saying which
// nodes and how). At the end, HealAll stops every class, active or not,
// network first, then clocks, then processes, so the final reads run on a
// whole cluster. docs/faults.md describes every fault and option.
//
// # Writing a fault
//
//  1. Put it in its own file, e.g. kill.go, and call Register from init
//     with its options.
//  2. Honour ctx in every blocking call; make Stop idempotent.
//  3. Return from Start a JSON-encodable value saying what was done.
//  4. Return unsupported(…) from the factory for a missing capability.
package nemesis
