// Package node is the bundled Raft key-value server that runs inside each
// container of the raft target as `faultline node raft ARGS`. It replicates
// a map from string keys to int64 values with etcd's Raft library
// (go.etcd.io/raft/v3, driven through a RawNode on one goroutine) and
// serves the kvhttp protocol.
//
// # One server, one goroutine for raft
//
// A single HTTP server on --listen carries both the client API
// (kvhttp.Handler: /kv/read, /kv/write, /kv/cas, /kv/txn, /status) and peer traffic
// (POST /raft, a batch of protobuf raftpb.Messages per request, each
// prefixed by its uvarint length). Peers are addressed by host:port (Docker
// DNS names n1…n5); each has its own sender goroutine with a bounded queue
// that drops when full, 500 ms dials and 1 s requests, so neither a dead
// peer nor a failing DNS lookup ever blocks raft. Failed sends are reported
// with ReportUnreachable, snapshots with ReportSnapshot.
//
// The raft loop owns the RawNode, the MemoryStorage and the journal, and
// handles each Ready in the order the library's contract requires:
//
//  1. write the snapshot, entries and hard state to the journal and fsync
//     (fsync is skipped only when raft says MustSync=false and there is no
//     snapshot, i.e. only the commit index moved);
//  2. apply them to the MemoryStorage;
//  3. send the messages (marshalled on the loop);
//  4. install a received snapshot and apply committed entries to the map;
//  5. hand out read states; Advance.
//
// So nothing is sent, and nothing acknowledged to a client, before the
// state it depends on is durable: a node SIGKILLed at any instant restarts
// with its log, term and vote intact and cannot vote twice in a term.
//
// # Persistence
//
// DataDir/raft.journal is an append-only file of records, each
// `u32 length | u32 CRC-32C | kind | payload`; every record is one Ready's
// batch (optional snapshot, optional hard state, entries, all protobuf), so
// a batch is durable all or nothing. On start the batches are replayed into
// a raft.MemoryStorage in order (ApplySnapshot, Append — which truncates a
// conflicting suffix as it did live — SetHardState); the first record that
// is short or fails its checksum is the torn tail of a crash mid-write and
// is truncated away (it was never fsynced, so nothing depended on it).
// Every SnapshotEvery (default 4096) applied entries the map is
// snapshotted (JSON), the in-memory log compacted (keeping a quarter of
// that as a tail for slow followers) and the journal atomically rewritten
// (temp file, fsync, rename, fsync of the directory) as one batch: the
// snapshot, the hard state and the entries after it. An empty journal
// means a fresh node: it bootstraps raft with every peer in --peers.
//
// # Operations and their errors
//
// Write and CAS are proposed as entries carrying a request id (node id, a
// random number drawn at each start, a counter); the handler waits until
// the entry is applied on this node and answers with the result computed
// at apply time (CAS compares then). When no leader is known, or raft drops
// the proposal at once, nothing was proposed and the error is definite;
// when the request's deadline passes after proposing, the entry may still
// commit and the error is indeterminate.
//
// Transactions (/kv/txn, txn.go) are proposed the same way, as one entry
// carrying every micro-op, and run at apply time against an overlay of the
// keys they touch: read, write, append (to a list), add, init (write if
// absent) and transfer (which aborts the whole transaction when an account
// is missing or the source holds less than the amount, so balances never
// go negative). A micro-op on the wrong kind of value aborts too; an
// aborted transaction changes nothing and is answered as a definite
// failure. Since a transaction is a log entry, its reads are linearizable
// without ReadIndex, and it is in the journal like any write. The state
// holds integers and lists side by side (a key is one or the other; the
// plain read/write/cas API sees integers only, and a plain write replaces
// a list); snapshots carry both ("data" and "lists", the latter absent in
// older snapshots).
//
// Reads are linearizable through ReadIndex with ReadOnlySafe: the node asks
// for a read index under a unique request context (any node may ask; a
// follower forwards to the leader), the leader answers with its commit
// index only after a quorum acknowledged a heartbeat in its current term
// (and only once it has committed an entry in that term), the node waits
// until it has applied at least that index, then reads its map. A lost
// request is asked again every election timeout. A read changes nothing,
// so every read failure is reported as definite.
//
// Raft runs with CheckQuorum and PreVote, a 50 ms tick, elections after 10
// ticks and heartbeats every tick, so a partitioned leader steps down and a
// new one is elected within about a second.
//
// # Seeded bugs
//
// --bug stale-read (BugStaleRead) makes Read return the local map at once,
// with no ReadIndex: a node cut off from the majority, paused, or just
// lagging serves stale values, which a linearizability checker catches
// under partitions. --bug ack-before-commit (BugAckBeforeCommit) answers a
// write once raft took the proposal, before it commits: acknowledged writes
// can be lost when a cut-off leader's entries are overwritten, and reads
// can miss them meanwhile. --bug skip-replay (BugSkipReplay) takes the
// persisted commit index as applied on restart, so the committed entries
// after the last snapshot are never applied on a node that crashed: it
// serves, and computes compare-and-sets on, a state that lacks them. Bugs
// are named in one place (config.go: bugs, Bugs, LookupBug); an unknown
// name is refused at startup. docs/bugs.md describes each one.
package node
