package api

import (
	"context"
	"github.com/cairn-id/cairn/issuer"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/statuslist"
)

// TestStatusListCacheAcrossInstances runs two Services over one store: a
// change made through A must show in B's very next answer, although B
// serves a cached signed token.
func TestStatusListCacheAcrossInstances(t *testing.T) {
	ctx := context.Background()
	var cfg issuer.Config
	a := newFixture(t, func(c *fixtureConfig) { cfg = c.Config })
	b, err := issuer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hb := newHandler(t, b, fixtureConfig{Config: cfg})
	issue := func() issuer.Record {
		t.Helper()
		w := newWallet(t, a)
		if r := w.run(a.offer(t, false)); r.status != 200 {
			t.Fatalf("issue: %d %s", r.status, r.raw)
		}
		recs, err := a.svc.Records(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return recs[len(recs)-1]
	}
	type fetched struct {
		raw string
		tok *statuslist.Token
	}
	fetchB := func(list string) fetched {
		t.Helper()
		rec := httptest.NewRecorder()
		hb.ServeHTTP(rec, httptest.NewRequest("GET", "/status/"+list, nil))
		if rec.Code != 200 {
			t.Fatalf("status list on B: %d %s", rec.Code, rec.Body)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=300" {
			t.Errorf("Cache-Control %q, want public, max-age=300 (the ttl claim)", cc)
		}
		tok, err := statuslist.VerifyToken(rec.Body.String(), statuslist.VerifyOptions{Key: a.key.Public(), Now: a.clk.Now, ExpectedSubject: a.svc.StatusListURI(list)})
		if err != nil {
			t.Fatal(err)
		}
		if tok.TTL != issuer.StatusListTokenTTL || !tok.ExpiresAt.Equal(tok.IssuedAt.Add(issuer.StatusListTokenLifetime)) {
			t.Errorf("ttl %v exp-iat %v", tok.TTL, tok.ExpiresAt.Sub(tok.IssuedAt))
		}
		return fetched{rec.Body.String(), tok}
	}
	status := func(f fetched, r issuer.Record) uint8 {
		t.Helper()
		v, err := f.tok.List.Get(r.StatusIndex)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	r1 := issue()
	first := fetchB(r1.StatusList)
	if status(first, r1) != statuslist.StatusValid {
		t.Fatalf("fresh credential not valid")
	}
	a.clk.Advance(time.Minute)
	if again := fetchB(r1.StatusList); again.raw != first.raw {
		t.Errorf("unchanged list signed again instead of served from the cache")
	}

	// Each change on A is visible on B at once.
	steps := []struct {
		name string
		do   func() error
		want uint8
	}{
		{"suspend on A", func() error { return a.svc.Suspend(ctx, r1.CredentialID) }, statuslist.StatusSuspended},
		{"reinstate on A", func() error { return a.svc.Reinstate(ctx, r1.CredentialID) }, statuslist.StatusValid},
		{"revoke on A", func() error { return a.svc.Revoke(ctx, r1.CredentialID) }, statuslist.StatusInvalid},
	}
	prev := first.raw
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := fetchB(r1.StatusList)
		if v := status(got, r1); v != st.want {
			t.Errorf("%s: B serves status %d, want %d", st.name, v, st.want)
		}
		if got.raw == prev {
			t.Errorf("%s: B served the token it had cached", st.name)
		}
		prev = got.raw
	}

	// A new issuance on A (same list) changes no entry (the new one is
	// valid, as it was unused): B's cached token stays right and is
	// served, with the new credential valid in it.
	r2 := issue()
	if r2.StatusList != r1.StatusList {
		t.Fatalf("second credential on list %s, first on %s", r2.StatusList, r1.StatusList)
	}
	afterIssue := fetchB(r1.StatusList)
	if afterIssue.raw != prev {
		t.Error("B signed the list again after an issuance, which changed no entry")
	}
	if status(afterIssue, r1) != statuslist.StatusInvalid || status(afterIssue, r2) != statuslist.StatusValid {
		t.Error("statuses after the second issuance")
	}

	// An old token is signed anew even without a change, so exp stays far.
	a.clk.Advance(issuer.StatusListResignAfter)
	resigned := fetchB(r1.StatusList)
	if resigned.raw == afterIssue.raw || !resigned.tok.IssuedAt.After(afterIssue.tok.IssuedAt) {
		t.Errorf("token not re-signed after %v: iat %v then %v", issuer.StatusListResignAfter, afterIssue.tok.IssuedAt, resigned.tok.IssuedAt)
	}

	m := httptest.NewRecorder()
	hb.ServeHTTP(m, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`cairn_issuer_status_list_cache_total{result="hit"} 2`, `cairn_issuer_status_list_cache_total{result="miss"} 5`} {
		if !strings.Contains(m.Body.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, m.Body)
		}
	}
}

func TestStatusListUnknown(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/status/7", "/status/x", "/status/12345678901"} {
		if r := do(t, f.srv.Client(), "GET", f.srv.URL+p, "", "", nil); r.status != 404 || r.body["error"] != "not_found" {
			t.Errorf("%s: %d %s", p, r.status, r.raw)
		}
	}
}
