package main

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/server"
)

// clientLimitFlags are the serve commands' per-client limits:
// --trusted-proxy, --client-rate and --client-burst.
type clientLimitFlags struct {
	trustedProxies []string
	rate           float64
	burst          int
}

// addClientLimitFlags adds the flags; rateHelp says what --client-rate
// counts, rate and burst are the defaults.
func addClientLimitFlags(c *cobra.Command, o *clientLimitFlags, rateHelp string, rate float64, burst int) {
	c.Flags().StringArrayVar(&o.trustedProxies, "trusted-proxy", nil, "CIDR or address of a reverse proxy whose X-Forwarded-For is believed (repeatable)")
	c.Flags().Float64Var(&o.rate, "client-rate", rate, rateHelp)
	c.Flags().IntVar(&o.burst, "client-burst", burst, "requests a client address may make at once before --client-rate applies")
}

// parse checks the flags: the trusted proxies as prefixes and the limit
// (--client-rate 0 turns it off). Errors are usage errors.
func (o *clientLimitFlags) parse() ([]netip.Prefix, server.RateLimit, error) {
	proxies, err := server.ParseTrustedProxies(o.trustedProxies)
	if err != nil {
		return nil, server.RateLimit{}, usageError(fmt.Errorf("--trusted-proxy: %w", err))
	}
	if o.rate < 0 || o.burst < 1 {
		return nil, server.RateLimit{}, usageError(errors.New("--client-rate must not be negative and --client-burst must be at least 1"))
	}
	return proxies, server.RateLimit{PerMinute: o.rate, Burst: o.burst, Off: o.rate == 0}, nil
}
