//go:build unix

package fsx

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// TestLock: read-modify-writes of one file under Lock, from many
// goroutines at once, lose no update; the lock file is owner-only.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	counter, lock := filepath.Join(dir, "counter"), filepath.Join(dir, "counter.lock")
	if err := WriteAtomic(counter, []byte("0"), 0o600); err != nil {
		t.Fatal(err)
	}
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			unlock, err := Lock(lock)
			if err != nil {
				errs <- err
				return
			}
			defer unlock()
			b, err := os.ReadFile(counter)
			if err != nil {
				errs <- err
				return
			}
			v, _ := strconv.Atoi(string(b))
			if err := WriteAtomic(counter, []byte(strconv.Itoa(v+1)), 0o600); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if b, _ := os.ReadFile(counter); string(b) != strconv.Itoa(n) {
		t.Errorf("counter %s after %d locked increments", b, n)
	}
	if fi, err := os.Stat(lock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v %v", fi, err)
	}
	if _, err := Lock(filepath.Join(dir, "missing", "x.lock")); err == nil {
		t.Error("a lock in a missing directory")
	}
}
