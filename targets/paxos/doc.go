// Package paxos is the bundled Paxos target: a replicated key-value store
// on CASPaxos written in this project (see package node for the server and
// its invariants), run as a cluster of Docker containers built from the
// faultline binary itself.
//
// The adapter starts n1…nN on a network of their own, waits until a read
// succeeds through every node, and offers every capability the nemesis and
// the register workload use: kill and restart (acceptor state survives in
// the container's /data), pause, partitions (kept across restarts), node
// logs, key-value clients over kvhttp, and clock control (the nodes' backoff
// timers run on targets/nodeclock; a skew is re-imposed after a restart).
// Option bug=NAME turns on a seeded bug; `faultline targets` lists them.
package paxos
