// Package kvhttp is the JSON-over-HTTP key-value protocol spoken by the
// bundled targets (Raft now, others later), with a server-side Handler over
// any Backend and a Client that implements targets.KVClient.
//
// # Protocol
//
//	POST /kv/read   {"key":"k"}                  -> 200 {"value":3,"found":true}
//	POST /kv/write  {"key":"k","value":3}        -> 200 {}
//	POST /kv/cas    {"key":"k","from":1,"to":2}  -> 200 {"swapped":true}
//	GET  /status                                 -> 200 {"id":1,"name":"n1","leader":2,"term":4,"commit":17,"applied":17}
//	POST /kv/txn    {"ops":[{"f":"append","key":"x","value":3},{"f":"read","key":"x"}]}
//	                -> 200 {"results":[null,[1,3]]}  or  200 {"aborted":true,"reason":"…"}
//
// /kv/txn (served when the backend is a TxnBackend) applies its micro-ops
// (targets.TxnOp: read, write, append, add, init, transfer) in order, all
// or nothing; results has one entry per micro-op, what a read saw (null,
// an integer or a list) and null for the others. An aborted transaction
// took no effect: the Client returns it as a definite
// *targets.TxnAbortedError.
//
// Any other answer carries {"error":"…","definite":true|false}: 400 for a
// malformed request (always definite: it was never processed), 503 for a
// backend error, 504 for a backend timeout. definite is true only when the
// backend's error wraps targets.ErrDefinite.
//
// # Invariants
//
// The Handler reads the whole request body before calling the backend, so a
// request cut short by a broken connection is never processed.
//
// The Client reports an error as definite (wrapping targets.ErrDefinite)
// only when the request certainly was not processed:
//
//   - no connection was ever handed to the request (the dial was refused,
//     was unreachable or timed out, or the caller's deadline expired while
//     dialling), so not a byte of it was sent; or
//   - the server answered and said definite:true.
//
// Everything else (a timeout or reset once a connection carried the
// request, an unreadable answer) is indeterminate: the operation may or may
// not have taken effect.
package kvhttp
