// Package histgen generates histories for tests and benchmarks: seeded,
// deterministic, and linearizable by construction, so a checker that does
// not call them valid is wrong.
package histgen
