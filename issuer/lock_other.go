//go:build !linux

package issuer

import "net"

// adminPeer dials the admin socket and reports whether a server answers
// (the pid is not available here).
func adminPeer(sock string) (int, bool) {
	c, err := net.DialTimeout("unix", sock, adminDialTimeout)
	if err != nil {
		return 0, false
	}
	c.Close()
	return 0, true
}
