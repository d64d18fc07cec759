package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/verifier"
)

// present has the Go wallet answer a new clinic-access session with
// creds and returns the stored result.
func (w *world) present(t *testing.T, creds ...string) *verifier.Result {
	t.Helper()
	wl := &wallet{t: t, w: w, creds: creds}
	s := w.createSession(t, "clinic-access", "")
	req, code, err := wl.fetch(s.URI)
	if err != nil || code != http.StatusOK {
		t.Fatalf("fetch: %d %v", code, err)
	}
	if st, b := post(t, req.ResponseURI, wl.answer(req)); st != http.StatusOK || strings.TrimSpace(string(b)) != "{}" {
		t.Fatalf("post: %d %s", st, b)
	}
	st, res, b := w.result(t, s.SessionID, "")
	if st != http.StatusOK {
		t.Fatalf("result: %d %s", st, b)
	}
	return res
}

// TestStatusListTTL: the verifier keeps a fetched status list as long as
// its token's ttl claim says (here 2 minutes, under the verifier's
// StatusTTL of 5): within it a revocation is not seen and nothing is
// fetched; past it the list is fetched again and the revocation shows.
// A token without ttl is kept for StatusTTL.
func TestStatusListTTL(t *testing.T) {
	w := newWorld(t)
	w.statusTTL.Store(int64(2 * time.Minute))
	cred := w.issue(t, credOpts{idx: 3})
	res := w.present(t, cred)
	if res.Code != verifier.CodeValid || res.Credentials[0].Status != "valid" || !res.Credentials[0].StatusFetchedAt.Equal(tNow) {
		t.Fatalf("first: %+v", res)
	}
	if n := w.statusFetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
	_ = w.list.Set(3, statuslist.StatusInvalid)

	w.clk.Add(time.Minute)
	if res := w.present(t, cred); res.Code != verifier.CodeValid || !res.Credentials[0].StatusFetchedAt.Equal(tNow) {
		t.Fatalf("within the ttl: %+v", res)
	}
	if n := w.statusFetches.Load(); n != 1 {
		t.Fatalf("%d fetches within the ttl, want 1", n)
	}

	w.clk.Add(90 * time.Second)
	res = w.present(t, cred)
	if res.Code != "revoked" || !res.Credentials[0].StatusFetchedAt.Equal(tNow.Add(150*time.Second)) {
		t.Fatalf("past the ttl: %+v", res)
	}
	if n := w.statusFetches.Load(); n != 2 {
		t.Fatalf("%d fetches past the ttl, want 2", n)
	}

	// Without a ttl claim: kept for StatusTTL.
	w.statusTTL.Store(0)
	_ = w.list.Set(3, statuslist.StatusValid)
	w.clk.Add(2*time.Minute + time.Second) // past the last copy's ttl
	if res := w.present(t, cred); res.Code != verifier.CodeValid {
		t.Fatalf("reinstated: %+v", res)
	}
	_ = w.list.Set(3, statuslist.StatusInvalid)
	w.clk.Add(verifier.DefaultStatusTTL - time.Second)
	if res := w.present(t, cred); res.Code != verifier.CodeValid {
		t.Fatalf("within StatusTTL: %+v", res)
	}
	w.clk.Add(2 * time.Second)
	if res := w.present(t, cred); res.Code != "revoked" {
		t.Fatalf("past StatusTTL: %+v", res)
	}
	if n := w.statusFetches.Load(); n != 4 {
		t.Fatalf("%d fetches, want 4", n)
	}
}
