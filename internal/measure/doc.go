// Package measure reads what benchmarks report beside wall time: the CPU
// time the process used (on a shared machine wall time moves with the load
// of others, CPU time much less) and the heap a value keeps alive.
package measure
