package measure

import (
	"runtime"
	"syscall"
	"time"
)

// CPUTime returns the user plus system CPU time of the process so far
// (zero where the system cannot tell).
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// HeldBytes returns how much more heap is in use, after a collection, once
// make has returned and while its result (and whatever make captured) is
// kept: the memory that result holds. Garbage make leaves behind is not
// counted.
func HeldBytes(make func() any) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // the first may leave objects queued for finalizers or sweeping
	runtime.ReadMemStats(&before)
	v := make()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	runtime.KeepAlive(make) // and what it captured, e.g. its input
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}
