package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/cairn-id/cairn/internal/server"
)

// RunConfig configures Run.
type RunConfig struct {
	Config
	// Addr is the listen address (host:port; port 0 picks one). When
	// Config.URL is empty it is http://<the address listened on>.
	Addr string
	// Ready is called once everything listens, before serving.
	Ready func(*Stack)
	// Signals replaces the process's signals (tests; see server.Config).
	Signals <-chan os.Signal
	// Extra are more listeners served beside the stack's (the
	// --metrics-addr listener).
	Extra []server.Listener
}

// Run listens on Addr, opens the stack (seeding on first use) and
// serves it with its admin sockets and hooks until ctx ends or
// SIGINT/SIGTERM, then shuts down gracefully (server.Run) and closes the
// stores.
func Run(ctx context.Context, rc RunConfig) error {
	ln, err := net.Listen("tcp", rc.Addr)
	if err != nil {
		return &server.ListenError{Name: "public", Addr: rc.Addr, Err: err}
	}
	if rc.URL == "" {
		rc.URL = "http://" + ln.Addr().String()
	}
	s, err := Open(ctx, rc.Config)
	if err != nil {
		ln.Close()
		return err
	}
	defer s.Close()
	admins, err := s.AdminListeners()
	if err != nil {
		ln.Close()
		return err
	}
	listeners := append([]server.Listener{{Name: "public", Listener: ln, Handler: s.Handler()}}, admins...)
	listeners = append(listeners, rc.Extra...)
	return server.Run(ctx, server.Config{Listeners: listeners, Hooks: s.Hooks(), Logger: s.log, Signals: rc.Signals,
		Listening: func([]net.Addr) {
			if rc.Ready != nil {
				rc.Ready(s)
			}
		}})
}

// ErrNeedsDev: plain http on an address other people can reach needs
// --dev (or a public https URL behind a TLS proxy).
var ErrNeedsDev = errors.New("stack: plain http on a non-loopback address needs dev mode, or a public https URL (behind a TLS-terminating proxy)")

// Loopback reports whether the host of addr (host:port) is a loopback
// address or "localhost".
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// DevFor decides dev mode: asked for, or implied by a loopback address
// without a public URL; without either, plain http elsewhere is refused.
func DevFor(addr, url string, dev bool) (bool, error) {
	switch {
	case dev:
		return true, nil
	case url == "" && Loopback(addr):
		return true, nil
	case url == "":
		return false, fmt.Errorf("%w: %s", ErrNeedsDev, addr)
	}
	return false, nil
}
