package testkit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); fmt.Fprintf(&b, "%d\n", i) }()
	}
	wg.Wait()
	if got := len(b.String()); got != 20 {
		t.Fatalf("%d bytes written, want 20: %q", got, b.String())
	}
}

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewClock(t0)
	for _, tc := range []struct {
		name string
		step func()
		want time.Time
	}{
		{"start", func() {}, t0},
		{"advance", func() { c.Advance(time.Minute) }, t0.Add(time.Minute)},
		{"set", func() { c.Set(t0.Add(time.Hour)) }, t0.Add(time.Hour)},
	} {
		tc.step()
		if got := c.Now(); !got.Equal(tc.want) {
			t.Errorf("%s: Now %v, want %v", tc.name, got, tc.want)
		}
	}
}
