// Package nodeclock is an in-process clock that a node of a bundled target
// takes all of its protocol time from, so the harness can skew it at run
// time without touching the host's clock (a container cannot own its wall
// clock: setting it needs CAP_SYS_TIME and moves the host's, so faultline
// never grants it).
//
// # The model
//
// A Clock reads the real clock and adds an offset that the harness
// controls:
//
//	Now() = real now + jump + drift(t) + strobe(t)
//
// where:
//
//   - jump is changed by Bump (a step of ±d, like `date -s` or Jepsen's
//     bump-time) and by Set;
//   - drift is the integral of (rate − 1) over real time: with SetRate(0.5)
//     the clock gains 0.5 s less per real second, i.e. runs slow, and keeps
//     the offset it accumulated when the rate changes back;
//   - strobe flips the reading between +0 and +delta every period for a
//     duration (Jepsen's strobe-time), then stops by itself.
//
// Reset returns to real time (offset 0, rate 1, no strobe).
//
// # Which time follows what
//
// Now reads the wall clock a skewed machine would show: jump, drift and
// strobe all move it. Tickers, timers, After, Sleep and Elapsed measure
// durations, and a real machine measures durations with its oscillator:
// they follow the rate (a node at rate 0.5 ticks half as often) but ignore
// jumps and the strobe, exactly as a Go program's monotonic timers ignore a
// `date -s`. A node should therefore drive its protocol's timeouts
// (election and heartbeat ticks, leases) from NewTicker/NewTimer/Elapsed,
// and stamp anything it reports as "its time" with Now. Timeouts that are
// not part of the protocol's notion of time (HTTP deadlines, retry loops,
// log timestamps) should stay on the real clock, so a test skews the
// protocol and not the Go runtime.
//
// Reading the clock is one atomic load and one time.Now; parameter changes
// publish a new immutable snapshot, and wake every ticker and timer so they
// re-plan against the new rate.
//
// # Control
//
// Apply executes a Command (bump, rate, strobe, set, reset) and returns the
// State after it. Handler serves the same over HTTP (GET reads the State,
// POST applies a JSON Command); nodes mount it at Path on their HTTP port,
// and the controller calls it with Post. Durations in JSON are Go duration
// strings ("-1.5s", "250ms"). Set exists so a controller can re-impose a
// node's clock state after the node restarts (the process's clock starts
// at real time).
package nodeclock
