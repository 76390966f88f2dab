// Package raft is the bundled Raft target: a replicated key-value store on
// go.etcd.io/raft/v3 (see package node for the server), run as a cluster of
// Docker containers built from the faultline binary itself.
//
// The adapter starts n1…nN on a network of their own, waits until every
// node agrees on a leader, and offers every capability the nemesis and the
// register workload use: kill and restart (data survives in the container),
// pause, partitions (kept across restarts), node logs, and key-value
// clients. Option bug=NAME turns on a seeded bug so the harness can show it
// finds one.
package raft
