//go:build !unix

package testkit

import "time"

// ProcessCPUTime is not known on this platform.
func ProcessCPUTime() (time.Duration, bool) { return 0, false }
