// Package set checks histories of the set workload, as Jepsen's set and
// set-full checkers do.
//
// Ops: {f: "add", value: N} adds the unique integer N; {f: "read"} completes
// ok with the elements present, a JSON array. The last ok read in the
// history is the final read (the workload makes one after healing); reads
// before it are periodic reads.
//
// Against the final read, in Jepsen's words: an element is attempted when
// an add of it was invoked and did not fail (a failed add certainly did not
// happen), acknowledged when the add completed ok. Then
//
//   - ok: attempted and in the final read;
//   - lost: known present — acknowledged, or seen by an earlier read — before
//     the final read began, yet absent from it;
//   - recovered: in the final read, attempted but never acknowledged (an add
//     whose outcome was unknown that did happen);
//   - unexpected: in some read but never attempted;
//   - duplicated: more than once in one read (an add applied twice);
//   - stale: absent from a read that began after the element was known
//     present, but not lost (set-full's stale reads; invalid only when
//     reads are meant to be linearizable);
//   - never-read: acknowledged only after the final read began.
//
// The verdict is invalid when anything is lost, unexpected or duplicated
// (or stale, with Options.Linearizable); unknown when the set was never
// read or some op could not be interpreted; valid otherwise. The counts
// keep Jepsen's key names (attempt-count, acknowledged-count, ok-count,
// lost-count, recovered-count, unexpected-count, …); the sets are rendered
// as Jepsen renders integer sets, "#{1..5 7}".
package set
