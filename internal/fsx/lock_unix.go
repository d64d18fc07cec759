//go:build unix

package fsx

import (
	"fmt"
	"os"
	"syscall"
)

// Lock takes an exclusive lock on the file at path (flock(2), created
// with mode 0600 if missing), waiting for another holder to let go, and
// returns the function that lets go. Guard a read-modify-write of a file
// that WriteAtomic replaces with a lock file beside it (WriteAtomic's
// rename gives the target a new inode, which a lock on it would not
// follow). Locks exclude each other between processes and between
// goroutines alike (each Lock opens the file anew); the system lets go
// of a crashed holder's lock.
func Lock(path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fsx: locking %s: %w", path, err)
	}
	return func() error {
		// closing the file lets go of the lock
		return f.Close()
	}, nil
}
