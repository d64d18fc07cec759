package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/server"
)

// metricsFlags are the /metrics flags of the serve commands. By default
// /metrics is served nowhere: it tells anyone who can read it how busy
// the service is and which outcomes it answers.
type metricsFlags struct {
	addr, tokenFile string
}

const (
	minMetricsToken = 16
	maxMetricsToken = 4096
)

func addMetricsFlags(c *cobra.Command, m *metricsFlags) {
	c.Flags().StringVar(&m.addr, "metrics-addr", "", "serve /metrics on this separate listener (e.g. 127.0.0.1:9464); default: /metrics is not served")
	c.Flags().StringVar(&m.tokenFile, "metrics-token-file", "", "require 'Authorization: Bearer <token>' for /metrics, the token read from FILE (mode 0600); without --metrics-addr /metrics is then served on the main listener")
}

// token reads --metrics-token-file ("" without it).
func (m *metricsFlags) token() (string, error) {
	if m.tokenFile == "" {
		return "", nil
	}
	b, err := fsx.ReadSecret(m.tokenFile, maxMetricsToken)
	if errors.Is(err, fsx.ErrInsecureMode) {
		return "", withExit(ExitFailure, fmt.Errorf("--metrics-token-file: %w", err))
	}
	if err != nil {
		return "", usageError(fmt.Errorf("--metrics-token-file: %w", err))
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < minMetricsToken || strings.ContainsAny(tok, " \t\r\n") {
		return "", usageError(fmt.Errorf("--metrics-token-file: the token must be one word of at least %d characters", minMetricsToken))
	}
	return tok, nil
}

// metricsSetup returns what serves /metrics: a separate listener (with
// --metrics-addr), or a handler to mount on the main listener (with only
// --metrics-token-file), or neither.
func (m *metricsFlags) setup(h http.Handler) (separate *server.Listener, onMain http.Handler, err error) {
	tok, err := m.token()
	if err != nil {
		return nil, nil, err
	}
	if tok != "" {
		h = server.RequireBearer(tok, h)
	}
	if m.addr != "" {
		if _, _, err := net.SplitHostPort(m.addr); err != nil {
			return nil, nil, usageError(errors.New("--metrics-addr must be HOST:PORT"))
		}
		return &server.Listener{Name: "metrics", Addr: m.addr, Handler: server.MetricsOnly(h)}, nil, nil
	}
	if tok != "" {
		return nil, h, nil
	}
	return nil, nil, nil
}
