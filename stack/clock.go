package stack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrClockBackwards: the dev clock only moves forward (single-use
// values, registry versions and credentials' iat all assume time does).
var ErrClockBackwards = errors.New("stack: the dev clock only moves forward")

// Clock is the one clock of every service of the stack: the base clock
// plus an offset that only dev mode may move, and only forward, so a
// demo can show months passing (examples/accretion.sh). The offset is
// kept in the data directory, so a restart stays in simulated time.
type Clock struct {
	base func() time.Time

	mu     sync.Mutex
	offset time.Duration
	moved  func(offset time.Duration) error // persists a move
}

// NewClock returns base (time.Now when nil) shifted by offset.
func NewClock(base func() time.Time, offset time.Duration) *Clock {
	if base == nil {
		base = time.Now
	}
	return &Clock{base: base, offset: offset}
}

// Now is the stack's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	off := c.offset
	c.mu.Unlock()
	return c.base().Add(off)
}

// Offset is how far the clock is ahead of the base clock.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// Advance moves the clock forward by d (> 0) and returns the new offset.
func (c *Clock) Advance(d time.Duration) (time.Duration, error) {
	if d <= 0 {
		return 0, fmt.Errorf("%w: advance by a positive duration, not %s", ErrClockBackwards, d)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := c.offset + d
	if c.moved != nil {
		if err := c.moved(next); err != nil {
			return c.offset, err
		}
	}
	c.offset = next
	return next, nil
}

// ParseDays parses a duration that may use a day unit: "90d", "2160h",
// "1d12h" (a day is 24 hours: the dev clock's simulated months are
// counted in days).
func ParseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var total time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q: days must be a whole number", s)
		}
		total = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (use e.g. 90d, 36h or 1d12h)", s)
	}
	return total + d, nil
}

func bytesReader(b []byte) io.Reader {
	if b == nil {
		return http.NoBody
	}
	return bytes.NewReader(b)
}
