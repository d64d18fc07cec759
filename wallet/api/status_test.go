package api_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/client"
	"github.com/cairn-id/cairn/wallet/storetest"
)

// statusWorld is a flowWorld whose agent runs on loopback HTTP and is
// driven through wallet/client, with a clock the test moves on (the
// issuer keeps real time: its tokens are then older, never newer).
type statusWorld struct {
	*flowWorld
	offset atomic.Int64
	cl     *client.Client
	token  string
	holder string
	seen   map[string]bool // issuer credential ids already received
}

func newStatusWorld(t *testing.T) *statusWorld {
	t.Helper()
	w := &statusWorld{seen: map[string]bool{}}
	now := func() time.Time { return time.Now().Add(time.Duration(w.offset.Load())) }
	w.flowWorld = newFlowWorld(t, func(c *wallet.Config, o *api.Options) { c.Now, o.Now = now, now })
	w.verifierNow = now
	w.cl = &client.Client{BaseURL: w.serve()}
	ctx := context.Background()
	created, err := w.cl.CreateHolder(ctx, "2468", storetest.Device(1), "en")
	if err != nil {
		t.Fatal(err)
	}
	s, err := w.cl.Login(ctx, created.HolderID, "2468", storetest.Device(1))
	if err != nil {
		t.Fatal(err)
	}
	w.token, w.holder = s.Token, created.HolderID
	return w
}

// advance moves the agent's clock on, logging in again past the
// session's lifetime.
func (w *statusWorld) advance(t *testing.T, d time.Duration) {
	t.Helper()
	w.offset.Add(int64(d))
	if d >= wallet.DefaultSessionTTL/2 {
		s, err := w.cl.Login(context.Background(), w.holder, "2468", storetest.Device(1))
		if err != nil {
			t.Fatal(err)
		}
		w.token = s.Token
	}
}

// receive has the issuer offer a credential (with a transaction code) and
// the holder accept it over HTTP; it returns the stored copies' ids and
// the issuer's credential id (for revoking).
func (w *statusWorld) receive(t *testing.T, given string) (ids []string, issued string) {
	t.Helper()
	ctx := context.Background()
	o, err := w.iss.CreateOffer(ctx, issuer.OfferRequest{VCT: regVCT, TxCode: true, Claims: map[string]any{
		"family_name": "Haddad", "given_name": given, "birthdate": "1991-04-12", "registration_id": "REG-" + given,
		"registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB", "locality": "Zahlé"}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.cl.PreviewOffer(ctx, w.token, o.URI, "en")
	if err != nil {
		t.Fatal(err)
	}
	a, err := w.cl.AcceptOffer(ctx, w.token, p.ID, o.TxCode, false)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := w.iss.Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if !w.seen[r.CredentialID] {
			w.seen[r.CredentialID] = true
			issued = r.CredentialID
		}
	}
	return a.IDs, issued
}

func mustResume(t *testing.T, w *statusWorld) *wallet.Session {
	t.Helper()
	s, err := w.svc.Resume(context.Background(), w.token)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// view finds the listed credential among ids (one per group).
func view(t *testing.T, list *api.Credentials, ids []string) api.CredentialView {
	t.Helper()
	for _, v := range list.Credentials {
		if slices.Contains(ids, v.ID) {
			return v
		}
	}
	t.Fatalf("credential %v not listed", ids)
	return api.CredentialView{}
}

// TestCredentialStatusOverHTTP: the project's issuer over HTTP revokes
// and suspends; the agent, over HTTP through wallet/client, reports it
// once its cached copy of the list is past the token's ttl, one fetch per
// list however many credentials point at it (the copy fetched to check
// the credentials on receipt included); an offline list shows the last
// status and its age; the consent view warns and leaves a revoked
// credential out.
func TestCredentialStatusOverHTTP(t *testing.T) {
	w := newStatusWorld(t)
	ctx := context.Background()
	before := w.statusFetches.Load()
	amina, aminaIss := w.receive(t, "Amina")
	omar, omarIss := w.receive(t, "Omar")
	lina, _ := w.receive(t, "Lina")
	// Three credentials of five copies each, on one list, each copy
	// checked on receipt: one fetch.
	if n := w.statusFetches.Load() - before; n != 1 {
		t.Errorf("%d status list fetches for three receipts, want 1", n)
	}

	list, err := w.cl.Credentials(ctx, w.token, "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Credentials) != 3 {
		t.Fatalf("%d credentials listed", len(list.Credentials))
	}
	for _, v := range list.Credentials {
		if v.Status != wallet.StatusValid || v.StatusSource != wallet.SourceCache || v.StatusCheckedAt.IsZero() || v.StatusAgeSeconds == nil {
			t.Errorf("fresh credential: %+v", v)
		}
	}
	// The listing right after reads the same copy.
	if n := w.statusFetches.Load() - before; n != 1 {
		t.Errorf("%d status list fetches after one listing, want 1", n)
	}
	checked := view(t, list, amina).StatusCheckedAt

	// Within the token's ttl the cached copy answers: no fetch, and the
	// revocation is not seen yet.
	if err := w.iss.Revoke(ctx, aminaIss); err != nil {
		t.Fatal(err)
	}
	if err := w.iss.Suspend(ctx, omarIss); err != nil {
		t.Fatal(err)
	}
	before = w.statusFetches.Load()
	w.advance(t, issuer.StatusListTokenTTL-time.Minute)
	list, err = w.cl.Credentials(ctx, w.token, "en")
	if err != nil {
		t.Fatal(err)
	}
	if v := view(t, list, amina); v.Status != wallet.StatusValid || v.StatusSource != wallet.SourceCache || !v.StatusCheckedAt.Equal(checked) || *v.StatusAgeSeconds < 240 {
		t.Errorf("within the ttl: %+v", v)
	}
	if n := w.statusFetches.Load() - before; n != 0 {
		t.Errorf("%d fetches within the ttl", n)
	}

	// Past it: one fetch, and the revocation and suspension show.
	w.advance(t, 2*time.Minute)
	list, err = w.cl.Credentials(ctx, w.token, "en")
	if err != nil {
		t.Fatal(err)
	}
	if n := w.statusFetches.Load() - before; n != 1 {
		t.Errorf("%d fetches past the ttl, want 1", n)
	}
	if v := view(t, list, amina); v.Status != wallet.StatusRevoked || v.StatusSource != wallet.SourceNetwork {
		t.Errorf("revoked credential: %+v", v)
	}
	if v := view(t, list, omar); v.Status != wallet.StatusSuspended {
		t.Errorf("suspended credential: %+v", v)
	}
	if v := view(t, list, lina); v.Status != wallet.StatusValid {
		t.Errorf("untouched credential: %+v", v)
	}
	d, err := w.cl.Credential(ctx, w.token, amina[3], "en")
	if err != nil || d.Status != wallet.StatusRevoked || d.Copies != 5 {
		t.Errorf("show a revoked copy: %+v %v", d, err)
	}

	// The consent view: the revoked credential is left out and named; the
	// suspended one is offered with a warning.
	hasNotice := func(p *wallet.RequestPreview, code string, ids []string) bool {
		return slices.ContainsFunc(p.Warnings, func(n wallet.Notice) bool {
			return n.Code == code && slices.Contains(ids, n.Credential) && n.Text != ""
		})
	}
	p, err := w.cl.PreviewRequest(ctx, w.token, w.request(t, "given_name"), "en")
	if err != nil {
		t.Fatal(err)
	}
	if !p.CanAnswer || len(p.Queries) != 1 || slices.Contains(amina, p.Queries[0].CredentialID) ||
		!hasNotice(p, wallet.NoticeRevoked, amina) || !hasNotice(p, wallet.NoticeSuspended, omar) {
		t.Errorf("consent view with a revoked and a suspended credential: %+v", p)
	}
	// Only the revoked one answers (Lina's and Omar's deleted): nothing
	// offered, unless the holder asks for it.
	for _, ids := range [][]string{lina, omar} {
		if _, err := w.cl.DeleteCredential(ctx, w.token, ids[0]); err != nil {
			t.Fatal(err)
		}
	}
	p, err = w.cl.PreviewRequest(ctx, w.token, w.request(t, "given_name"), "fr")
	if err != nil {
		t.Fatal(err)
	}
	if p.CanAnswer || len(p.Queries) != 0 || !hasNotice(p, wallet.NoticeRevoked, amina) {
		t.Errorf("consent view with only a revoked credential: %+v", p)
	}
	// The holder's choice on the consent screen: the view with the
	// revoked credential offered, sent without fetching the request
	// again; the log says it was the holder's choice.
	if wr := p.WithRevoked; wr == nil || !wr.CanAnswer || wr.ID != p.ID || len(wr.Queries) != 1 || !slices.Contains(amina, wr.Queries[0].CredentialID) ||
		!hasNotice(wr, wallet.NoticeRevoked, amina) || wr.Warnings[0].Text == p.Warnings[0].Text {
		t.Fatalf("the view with the revoked credential: %+v", p.WithRevoked)
	}
	if _, err := w.cl.Respond(ctx, w.token, p.ID, nil); err == nil {
		t.Fatal("answered without a credential and without the holder's choice")
	}
	p, err = w.cl.PreviewRequest(ctx, w.token, w.request(t, "given_name"), "en")
	if err != nil {
		t.Fatal(err)
	}
	sent, err := w.cl.RespondWith(ctx, w.token, p.ID, wallet.Consent{OfferRevoked: true})
	if err != nil || !slices.Equal(sent.Claims, []string{"/given_name"}) {
		t.Fatalf("sent with the revoked credential: %+v %v", sent, err)
	}
	entries, err := w.svc.Log(ctx, mustResume(t, w))
	if err != nil || len(entries) == 0 || entries[len(entries)-1].Event != wallet.EventPresentation || !strings.Contains(entries[len(entries)-1].Note, "revoked") {
		t.Errorf("log: %+v %v", entries, err)
	}
	p, err = w.cl.PreviewRequestWith(ctx, w.token, "en", api.PresentationRequest{Request: w.request(t, "given_name"), OfferRevoked: true})
	if err != nil {
		t.Fatal(err)
	}
	if !p.CanAnswer || len(p.Queries) != 1 || !slices.Contains(amina, p.Queries[0].CredentialID) || !hasNotice(p, wallet.NoticeRevoked, amina) || p.WithRevoked != nil {
		t.Errorf("consent view offering a revoked credential: %+v", p)
	}
	// No other answer to choose: a consent asking for one is refused, and
	// the preview stays answerable.
	if _, err := w.cl.RespondWith(ctx, w.token, p.ID, wallet.Consent{OfferRevoked: true}); err == nil {
		t.Error("offer_revoked consent without a with_revoked view accepted")
	}
	if err := w.cl.RefuseRequest(ctx, w.token, p.ID); err != nil {
		t.Errorf("refuse after a refused consent: %v", err)
	}

	// Offline (no refresh): the last status read, with its age.
	w.advance(t, time.Hour)
	before = w.statusFetches.Load()
	list, err = w.cl.CredentialsStored(ctx, w.token, "en")
	if err != nil {
		t.Fatal(err)
	}
	if v := view(t, list, amina); v.Status != wallet.StatusRevoked || v.StatusSource != wallet.SourceStored || v.StatusAgeSeconds == nil || *v.StatusAgeSeconds < 3600 {
		t.Errorf("stored status: %+v", v)
	}
	if n := w.statusFetches.Load() - before; n != 0 {
		t.Errorf("%d fetches without refresh", n)
	}
}

// TestCredentialStatusUnavailable: the issuer's status service is down:
// unavailable with its reason (and the last status read, once there is
// one); a failure is not fetched again for every listing.
func TestCredentialStatusUnavailable(t *testing.T) {
	w := newStatusWorld(t)
	ctx := context.Background()
	ids, _ := w.receive(t, "Amina")
	w.advance(t, issuer.StatusListTokenTTL) // past the copy of the list fetched on receipt
	w.statusDown.Store(true)
	list, err := w.cl.Credentials(ctx, w.token, "en")
	if err != nil {
		t.Fatal(err)
	}
	if v := view(t, list, ids); v.Status != wallet.StatusUnavailable || v.StatusReason != wallet.ReasonUnreachable || v.StatusLastKnown != "" || !v.StatusCheckedAt.IsZero() {
		t.Errorf("status service down: %+v", v)
	}
	list, err = w.cl.CredentialsStored(ctx, w.token, "en")
	if err != nil {
		t.Fatal(err)
	}
	if v := view(t, list, ids); v.Status != wallet.StatusUnavailable || v.StatusReason != wallet.ReasonOffline {
		t.Errorf("offline, never read: %+v", v)
	}

	// Back up: read and remembered; down again past the ttl: unavailable,
	// with the last status read and when.
	w.statusDown.Store(false)
	w.advance(t, time.Minute)
	list, err = w.cl.Credentials(ctx, w.token, "en")
	if err != nil {
		t.Fatal(err)
	}
	v := view(t, list, ids)
	if v.Status != wallet.StatusValid {
		t.Fatalf("service back: %+v", v)
	}
	w.statusDown.Store(true)
	w.advance(t, issuer.StatusListTokenTTL)
	list, err = w.cl.Credentials(ctx, w.token, "en")
	if err != nil {
		t.Fatal(err)
	}
	if u := view(t, list, ids); u.Status != wallet.StatusUnavailable || u.StatusReason != wallet.ReasonUnreachable ||
		u.StatusLastKnown != wallet.StatusValid || !u.StatusCheckedAt.Equal(v.StatusCheckedAt) || *u.StatusAgeSeconds < 300 {
		t.Errorf("down again: %+v (before %+v)", u, v)
	}
}
