// Package targets defines what a system under test looks like to the
// harness, and keeps the registry of targets by name.
//
// A Target is one running cluster. Everything beyond starting, stopping and
// naming its nodes is an optional capability, found by type assertion:
// Killer, Pauser and Partitioner for the nemesis, LogCollector for the run
// directory, and client constructors for the workloads (for example
// KVClientFactory for the register workload). A nemesis or workload that
// needs a capability the target lacks is refused before the run starts.
//
// # Adding a target
//
//  1. Put it in its own folder under targets/ and call Register from init.
//  2. Validate options in the Factory and return an error naming the bad one.
//  3. Make Teardown idempotent and safe to call after a failed Setup.
//  4. Classify client errors: return an error wrapping ErrDefinite only when
//     the operation certainly did not take effect; anything else is taken
//     as indeterminate.
package targets
