// Package node is the bundled Paxos key-value server that runs inside each
// container of the paxos target as `faultline node paxos ARGS`. It is
// written here, with no Paxos library: every key is an independent
// CASPaxos register (Rystsov, "CASPaxos: Replicated State Machines without
// logs", 2018), i.e. single-decree Paxos run afresh for every operation,
// where the "value" a round proposes is the result of applying the
// operation to the value it learned in the round's first phase. There is
// no leader and no log: any node serves any operation, and a quorum of
// acceptors is all that must be reachable.
//
// # One round
//
// Each node is a proposer and an acceptor. For a client operation on key k
// the node's proposer:
//
//  1. picks a ballot (round, node id) above every ballot it used before,
//     and sends prepare(k, ballot) to every acceptor (itself directly,
//     peers over HTTP). An acceptor promises when the ballot is above
//     every ballot it promised for k, and answers with the ballot and
//     value it last accepted for k;
//  2. once a quorum (a strict majority) promised, takes the value with the
//     highest accepted ballot among the promises (the empty register when
//     none accepted anything), applies the operation to it — a write
//     replaces it, a compare-and-set replaces it when it holds the
//     expected integer, a read leaves it unchanged — and sends
//     accept(k, ballot, new value) to every acceptor. An acceptor accepts
//     unless it promised a higher ballot;
//  3. once a quorum accepted, the new value is chosen and the operation
//     answers.
//
// A read whose promises all report the same accepted ballot skips step 2:
// a quorum holds that value, so it is chosen, and nothing newer can have
// been chosen (it would have been accepted by a member of that quorum).
// Otherwise the read writes the adopted value back unchanged, which makes
// it chosen. Either way reads are linearizable.
//
// # Invariants
//
//   - An acceptor's accepted ballot never exceeds its promised ballot, and
//     neither ever decreases — also across crashes: every change is in the
//     journal, fsynced, before the acceptor answers.
//   - Ballots are unique: (round, node id), and a proposer never reuses a
//     round, even after SIGKILL: before using round r it has durably
//     recorded a ceiling above r (one fsync per 1024 rounds), and it
//     starts from the recorded ceiling after a restart.
//   - Once a value is chosen for a key at ballot b, every value accepted
//     for the key at a ballot above b is derived from it (by the
//     highest-ballot rule of step 2), so a chosen value is never lost and
//     operations apply in one order: each chosen value is the previous one
//     with one more operation applied.
//   - An operation takes effect at most once. Every change carries the
//     operation's id (node, a random number drawn at each start, a counter)
//     into the register's window of its last RecentWindow changes, with a
//     version that counts changes. When an accept carrying a change is cut
//     short, the next round looks for the id in the value it adopts: found,
//     the round just makes that value chosen; absent while the window
//     covers every version since the first attempt, the change was never
//     chosen and, once this round seals the adopted value at a higher
//     ballot, never can be, so the round applies it afresh. Past the
//     window the outcome is reported unknown.
//   - A failure is definite (kvhttp "definite": true) only when no accept
//     carrying the operation's change can have been taken: no quorum of
//     promises, every acceptor refused, or a read (which changes nothing).
//     Any other failure is indeterminate.
//
// # Liveness
//
// Proposers that collide (two prepares for one key interleave) lose their
// round and retry with a higher ballot after a randomized exponential
// backoff (base --backoff, doubling up to 32×) timed on the node's
// nodeclock, so skewing the clock slows retries but cannot break safety:
// nothing in the protocol depends on time. A node also runs its own
// operations on one key one at a time. An operation gives up after
// --op-timeout (1 s), below the harness's client deadline, so a node cut
// off from the majority answers with a definite failure. Messages to peers
// have a 300 ms dial and a --peer-timeout (500 ms) deadline, and at most
// 128 wait on one peer, so a partitioned or frozen peer never blocks a
// round: a round waits only for a quorum.
//
// # Persistence
//
// DataDir/paxos.journal is an append-only file of checksummed records (a
// key's whole acceptor state, or the ballot ceiling), group-committed: one
// writer goroutine writes whatever has queued and fsyncs once for all of
// it, and every answer waits for its record. Recovery replays the records
// (the last one of a key wins) and truncates a torn tail; past
// --compact-bytes the journal is rewritten as one record per key (temp
// file, fsync, rename, fsync of the directory). See journal.go.
//
// # The HTTP port
//
// One server on --listen carries the client API (kvhttp.Handler: /kv/read,
// /kv/write, /kv/cas, /status — leader is always 0, term is the proposer's
// round, commit the rounds it completed), peer messages (POST
// /paxos/prepare and /paxos/accept, JSON) and the clock control
// (nodeclock.Path).
//
// # Seeded bugs
//
// --bug NAME turns on one mistake real Paxos implementations have made
// (config.go names them; docs/bugs.md says what each breaks and which
// faults expose it): amnesia (acceptor state in memory only),
// accept-lower-ballot (accept ignores the promise), adopt-first (the
// proposer adopts the first promise's value, not the highest ballot's),
// local-read (reads return the local acceptor's value without a round)
// and minority-quorum (n/2 answers count as a quorum).
package node
