// Package etcd is the etcd target: a real etcd cluster, which nobody here
// wrote, tested through the same adapter interface a user would write.
//
// # Image
//
// By default the target runs faultline-etcd:<Version>, an image FROM
// scratch holding the etcd server at /usr/local/bin/etcd. When Docker does
// not have it, Start builds it: the etcd binary comes from the nested
// module targets/etcd/etcdbuild (its own go.mod, so etcd's dependencies
// stay out of faultline's), compiled static with CGO_ENABLED=0 and
// -trimpath and cached under the user cache directory by version; `make
// etcd-image` does the same ahead of time. Instead, --target-opt
// binary=PATH ships a static etcd binary of the user's, and --target-opt
// image=REF runs an etcd image already on the Docker host (official
// images keep etcd at the same path); faultline never pulls.
//
// # Cluster
//
// Members n1…nN find each other by name on the run network (peer port
// 2380); data lives in the container (/data/etcd), so a killed member
// restarts with it. Health comes from every member's
// Maintenance.Status: no alarms, one cluster, one leader that is a member,
// and every member caught up with the leader's commit index.
//
// # Faults
//
// Kill and restart, pause, partitions (also rejecting and one-way ones),
// packet faults and log collection come from the Docker runtime; Leader
// names the member the others follow, for faults aimed at the leader.
// Clock faults are not offered: etcd reads the system clock, and
// containers never get SYS_TIME.
//
// # Client
//
// Client speaks etcd's v3 JSON API (the gRPC gateway on the client port
// 2379): get is a Range, put a Put, and compare-and-set a Txn comparing
// the value and putting on success. Reads are linearizable unless the
// reads option asks for serializable ones. Errors are classified as
// definite only when the request certainly did not take effect: it was
// never sent (the dial failed), or etcd rejected it before proposing it
// to Raft (see APIError.Definite); a timeout after sending, "request
// timed out", "leader changed" and the like are indeterminate.
//
// Transactions for the set, counter, bank, unique-ids and list-append
// workloads are optimistic, as in Jepsen's etcd tests: a read-only Txn
// snapshots the keys, the micro-ops run on the snapshot, and one Txn
// guarded by every key's mod_revision writes the result (see txn.go).
package etcd
