// Package testkit holds the small helpers that the module's tests share:
// a log sink safe for a server's goroutines, a settable clock and a
// small X.509 PKI (NewTestCA, MintCert). It implements no specification. Only
// _test.go files import it (the layering test checks that no package's
// build does), so nothing here reaches a binary.
package testkit

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// SyncBuffer is an io.Writer that goroutines may write while a test
// reads it: a log or output sink for a running server or command.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Clock is a settable clock, safe for concurrent use; its Now method is
// the func() time.Time that packages take as their injected clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// CPUPerOp starts counting the process's CPU time (ProcessCPUTime); the
// returned function, called after a benchmark's loop, reports it per
// operation as "cpu-ns/op" (nothing where the platform does not say).
// Every goroutine of the process counts, the garbage collector's
// included: call it around a loop that runs alone.
func CPUPerOp(b *testing.B) (report func()) {
	start, ok := ProcessCPUTime()
	return func() {
		end, ok2 := ProcessCPUTime()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
