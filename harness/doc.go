// Package harness runs a test: it validates the configuration, starts the
// target, drives the workload's clients while the nemesis injects faults,
// heals everything at the time limit, waits for the cluster to recover,
// performs the final reads, tears the cluster down and checks the history.
//
// One seed drives the operation mix and the fault schedule. One monotonic
// base time stamps every op. Everything the run records goes to its run
// directory as it happens (see package store), so a run that is
// interrupted or whose controller crashes keeps its history, and Analyze
// can check any stored run again offline.
package harness
