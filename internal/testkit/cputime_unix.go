//go:build unix

package testkit

import (
	"syscall"
	"time"
)

// ProcessCPUTime is the CPU time (user and system) the process has used
// so far, false where the platform does not say. A benchmark on a
// machine shared with other work reports it per operation (CPUPerOp):
// unlike ns/op, it does not count the time spent waiting for a core.
func ProcessCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
