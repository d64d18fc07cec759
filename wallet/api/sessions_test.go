package api_test

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/storetest"
)

// TestSessionAcrossAgents: two handlers (agent instances) on one store
// and pepper. A session opened on A is served by B; a logout on B ends it
// on A at once; the sweep hook deletes expired session records.
func TestSessionAcrossAgents(t *testing.T) {
	a := newAgent(t, func(c *wallet.Config, _ *api.Options) { c.SessionTTL = 10 * time.Minute })
	svcB := storetest.NewService(t, a.st, a.clock, storetest.Pepper(3), func(c *wallet.Config) { c.SessionTTL = 10 * time.Minute })
	hB, err := api.New(svcB, api.Options{Now: a.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	b := &agent{t: t, h: hB, svc: svcB, st: a.st, clock: a.clock, logs: a.logs, addr: "192.0.2.11:4000"}

	_, s := a.holder("2468", storetest.Device(4))
	b.want(b.do("GET", "/v1/credentials", s.Token, nil), http.StatusOK, "")
	a.want(a.do("GET", "/v1/credentials", s.Token, nil), http.StatusOK, "")
	b.want(b.do("DELETE", "/v1/sessions/current", s.Token, nil), http.StatusNoContent, "")
	a.want(a.do("GET", "/v1/credentials", s.Token, nil), http.StatusUnauthorized, api.CodeSessionExpired)

	// Expiry: refused on both at once; the hook deletes the record.
	_, s2 := b.holder("1357", storetest.Device(5))
	a.clock.Advance(10 * time.Minute)
	a.want(a.do("GET", "/v1/credentials", s2.Token, nil), http.StatusUnauthorized, api.CodeSessionExpired)
	if err := api.SessionSweepHook(svcB, slog.New(slog.DiscardHandler)).Fn(t0ctx, server.TriggerTick); err != nil {
		t.Fatal(err)
	}
	sid, _, _ := strings.Cut(s2.Token, ".")
	err = a.st.View(t0ctx, func(tx wallet.Tx) error { _, err := tx.Session(sid); return err })
	if !errors.Is(err, wallet.ErrNotFound) {
		t.Errorf("the expired session's record after the sweep: %v", err)
	}
	if n := svcB.SessionCount(); n != 0 {
		t.Errorf("%d cached keys on B after the sweep", n)
	}
}
