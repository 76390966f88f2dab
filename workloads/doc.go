// Package workloads defines what clients do during a run and how the
// resulting history is checked, and keeps the registry of workloads.
//
// A Workload brings three things together: a Generator that decides what
// each logical process asks next, a Client that asks a node of the target
// and classifies the answer (ok / fail / info), and the checkers that judge
// the history. The harness wraps every Invoke to record the invocation and
// the completion; clients never touch the history.
//
// # Adding a workload
//
//  1. Put it in its own file and call Register from init.
//  2. Say in Requires which target capability the client needs; the
//     harness refuses a target without it before anything starts.
//  3. Return fail only when the operation certainly did not happen, info
//     when it may have.
package workloads
