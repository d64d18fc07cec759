//go:build linux

package issuer

import (
	"net"
	"syscall"
)

// adminPeer dials the admin socket and reports whether a server answers
// and its pid (SO_PEERCRED).
func adminPeer(sock string) (int, bool) {
	c, err := net.DialTimeout("unix", sock, adminDialTimeout)
	if err != nil {
		return 0, false
	}
	defer c.Close()
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return 0, true
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, true
	}
	var cred *syscall.Ucred
	_ = raw.Control(func(fd uintptr) { cred, _ = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED) })
	if cred == nil {
		return 0, true
	}
	return int(cred.Pid), true
}
