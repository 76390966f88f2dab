// Command server is the system under test of the example adapter
// (examples/httpkv): a tiny in-memory key-value store over HTTP. One node,
// started without --primary, holds the data; every other node forwards
// each request to it. It is built as a static binary and shipped in an
// image of its own, as a user's own service would be.
//
//	GET  /kv/{key}                 200 "3", or 404 when key has no value
//	PUT  /kv/{key}      body "3"   204
//	POST /cas/{key}?from=1&to=2    204 swapped, 409 the value was not 1
//	GET  /health                   204 (on a forwarding node: the primary is reachable)
//
// A forwarding node that cannot connect to the primary answers 503 with
// "Definite: true" (the request went nowhere); one whose forwarded
// request fails after it was sent answers 504 without it (the primary may
// have applied it).
package main
