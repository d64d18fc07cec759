package issuer

import (
	"errors"
	"fmt"
	"path/filepath"
)

// ErrStoreLocked: another process holds the store's file lock (a running
// 'cairn issuer serve', or another operator command at that moment).
// Store implementations wrap it when they give up waiting for the lock.
var ErrStoreLocked = errors.New("issuer: the store is locked by another process")

// lockedError explains a locked store of dir: when a server answers on
// the admin socket, the lock is that serve's (with its pid where the
// system tells it) and the operator commands go through its socket.
func lockedError(dir string, err error) error {
	sock := filepath.Join(dir, AdminSocketFile)
	pid, answers := adminPeer(sock)
	switch {
	case answers && pid > 0:
		return fmt.Errorf("%w: %s is held by a running 'cairn issuer serve' (pid %d) on %s; stop it first to open the store directly, or use the operator commands (offer, list, revoke …), which go through its admin socket", err, DirStoreFile, pid, dir)
	case answers:
		return fmt.Errorf("%w: %s is held by a running 'cairn issuer serve' on %s (it answers on %s); stop it first to open the store directly, or use the operator commands, which go through its admin socket", err, DirStoreFile, dir, sock)
	}
	return fmt.Errorf("%w: %s is held by another process (a 'cairn issuer serve' starting or stopping, or another cairn command on %s); try again in a moment", err, DirStoreFile, dir)
}
