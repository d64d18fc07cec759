package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cairn-id/cairn/internal/browsertest"
	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	issuerapi "github.com/cairn-id/cairn/issuer/api"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/verifier"
	verifierapi "github.com/cairn-id/cairn/verifier/api"
	verifierbolt "github.com/cairn-id/cairn/verifier/boltstore"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	walletbolt "github.com/cairn-id/cairn/wallet/boltstore"
	"github.com/cairn-id/cairn/wallet/storetest"
	"github.com/cairn-id/cairn/web"
	"github.com/cairn-id/cairn/web/console"
	"github.com/cairn-id/cairn/web/desk"
	"github.com/cairn-id/cairn/web/walletpage"
)

const (
	vctID    = "urn:cairn:vct:identity-attestation:1"
	vctVouch = "urn:cairn:vct:community-vouching:1"
)

// story is the issuer (with its desk page), the wallet agent (wallet
// page) and the verifier (console page) on one site, with the issuer's
// and the verifier's public APIs on their own loopback servers.
type story struct {
	iss  *issuer.Service
	site string
}

func newStory(t *testing.T) *story {
	t.Helper()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	since := time.Now().Add(-time.Hour)
	gen := func() *keys.PrivateKey {
		k, err := keys.Generate(jose.ES256, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	authority, ik, vk := gen(), gen(), gen()
	active := []trust.StatusChange{{Status: trust.StatusActive, At: since}}
	var auths []trust.IssuerAuthorization
	for _, vct := range []string{vctID, regVCT, vctVouch} {
		auths = append(auths, trust.IssuerAuthorization{VCT: vct, MaxStrength: 3, MaxValidity: 3, MaxVerification: 3, From: since})
	}
	claims := []string{"/family_name", "/given_name", "/birthdate"}
	reg := &trust.Registry{ID: "pilot", Name: "Pilot", Authority: authority.DIDJWK(), Version: 1, IssuedAt: since, Expires: since.Add(30 * 24 * time.Hour),
		Entities: []trust.Entity{
			{DID: ik.DIDJWK(), Names: map[string]string{"en": "Relief NGO", "ar": "منظمة الإغاثة"}, Role: trust.RoleIssuer, Status: trust.StatusActive, StatusHistory: active, ValidFrom: since, IssuerAuthorizations: auths},
			{DID: vk.DIDJWK(), Names: map[string]string{"en": "Clinic desk", "ar": "مكتب العيادة"}, Role: trust.RoleVerifier, Status: trust.StatusActive, StatusHistory: active, ValidFrom: since,
				VerifierAuthorizations: []trust.VerifierAuthorization{{Purpose: "clinic-access", Claims: claims, From: since}, {Purpose: "cash-assistance", Claims: claims, From: since}}},
		}}
	registry := func() *trust.Registry { return reg }

	issSrv := httptest.NewServer(nil)
	t.Cleanup(issSrv.Close)
	hk := make([]byte, 32)
	rand.Read(hk)
	iss, err := issuer.New(issuer.Config{URL: issSrv.URL, Dev: true, Names: map[string]string{"en": "Relief NGO"},
		Types: []string{vctID, regVCT, vctVouch}, Catalogue: cat, Key: ik, HashKey: hk, Store: issuer.NewMemoryStore(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ih, err := issuerapi.New(iss, issuerapi.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	issSrv.Config.Handler = ih

	var public http.Handler
	pubSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { public.ServeHTTP(w, r) }))
	t.Cleanup(pubSrv.Close)
	vst, err := verifierbolt.Open(filepath.Join(t.TempDir(), "verifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := verifier.NewSealer(bytes.Repeat([]byte{7}, verifier.ResultKeyLen), nil)
	ps, err := verifier.DefaultPurposes()
	if err != nil {
		t.Fatal(err)
	}
	vsvc, err := verifier.New(verifier.Config{Store: vst, Signer: vk.JoseSigner().WithKeyID(vk.DIDJWK() + "#0"), DID: vk.DIDJWK(), BaseURL: pubSrv.URL, Dev: true,
		Purposes: ps, Sealer: sealer, Registry: reg, Resolver: &did.Resolver{}, Catalogue: cat, Logger: quiet,
		FetchStatusList: func(ctx context.Context, uri string) (string, error) {
			return (&statuslist.Fetcher{Client: http.DefaultClient}).Fetch(ctx, uri)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vsvc.Close() })
	off := server.RateLimit{Off: true}
	if public, err = verifierapi.New(vsvc, verifierapi.Options{Logger: quiet, WalletLimit: off}); err != nil {
		t.Fatal(err)
	}
	cons, err := verifierapi.NewConsole(vsvc, verifierapi.Options{Logger: quiet, ConsoleLimit: off})
	if err != nil {
		t.Fatal(err)
	}

	wst, err := walletbolt.Open(filepath.Join(t.TempDir(), "wallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wst.Close() })
	wsvc := storetest.NewService(t, wst, storetest.NewClock(time.Now()), storetest.Pepper(3), func(c *wallet.Config) {
		c.Logger = quiet
		c.Now = time.Now
		c.Flows = wallet.FlowConfig{Dev: true, Registry: registry, Catalogue: cat}
	})
	wh, err := walletapi.New(wsvc, walletapi.Options{Logger: quiet, Registry: registry, Catalogue: cat, CreateLimit: off, LoginLimit: off, RecoverLimit: off})
	if err != nil {
		t.Fatal(err)
	}

	site, err := web.New(web.Config{SessionKey: bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := desk.New(desk.Config{Catalogue: cat, Offices: []desk.Office{{Slug: "relief", Admin: iss, Types: []string{vctID, regVCT, vctVouch}, Names: map[string]string{"en": "Relief NGO"}}}})
	if err != nil {
		t.Fatal(err)
	}
	wp, err := walletpage.New(walletpage.Config{API: wh, Key: bytes.Repeat([]byte{10}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := console.New(console.Config{API: cons, Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	site.Mount("/wallet/", walletpage.NavLabel, walletpage.NavDescription, wp)
	site.Mount("/caseworker/", console.NavLabel, console.NavDescription, cp)
	site.Mount("/desk/", desk.NavLabel, desk.NavDescription, d)
	srv := httptest.NewServer(site.Handler())
	t.Cleanup(srv.Close)
	return &story{iss: iss, site: srv.URL}
}

// TestStoryInChromium is issue 12's story in a real browser at 360 px:
// a person creates a wallet on the page, accepts three offers (two by
// pasting the QR text, one by uploading the PNG), answers the
// caseworker's request made on the console page after seeing the
// over-asking warning, and the console shows the result by itself with
// the profile met; then the same wallet in Arabic, right to left, and
// a reviewed decision. Every screen passes the audit.
func TestStoryInChromium(t *testing.T) {
	b := browsertest.New(t)
	s := newStory(t)
	ctx := context.Background()
	person := func(extra map[string]any) map[string]any {
		out := map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02"}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}

	b.Visit(s.site + "/wallet/")
	b.Do("creating a wallet",
		chromedp.WaitVisible(chromedp.ID("s-new")),
		chromedp.SendKeys(chromedp.ID("new-pin"), "2468"),
		chromedp.SendKeys(chromedp.ID("new-pin2"), "2468"),
		chromedp.Click(chromedp.CSS("#f-create button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("s-code")),
		chromedp.Click(chromedp.CSS(`#s-code button[data-go="s-home"]`)),
		chromedp.WaitVisible(chromedp.ID("s-home")),
	)
	offers := []struct {
		vct    string
		claims map[string]any
		photo  bool
	}{
		{vctID, person(nil), false},
		{regVCT, person(map[string]any{"registration_id": "REG-77", "registration_date": "2026-01-02", "registration_place": map[string]any{"country": "LB"}, "household_size": 4}), true},
		{vctVouch, map[string]any{"family_name": "Haddad", "given_name": "Amina", "voucher": map[string]any{"name": "Sheikh A.", "role": "Imam"}, "relationship": "religious_leader", "vouched_on": "2025-06-10"}, false},
	}
	for i, o := range offers {
		offer, err := s.iss.CreateOffer(ctx, issuer.OfferRequest{VCT: o.vct, Claims: o.claims})
		if err != nil {
			t.Fatal(err)
		}
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS(`#s-home button[data-go="s-scan"]`)),
			chromedp.WaitVisible(chromedp.ID("s-scan")),
		}
		if o.photo {
			png, err := qr.Encode(offer.URI, qr.LevelMedium)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "offer.png")
			if err := os.WriteFile(file, png, 0o600); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, chromedp.SetUploadFiles(chromedp.ID("photo"), []string{file}), chromedp.Click(chromedp.CSS("#f-photo button[type=submit]")))
		} else {
			steps = append(steps, chromedp.SetValue(chromedp.ID("paste"), offer.URI), chromedp.Click(chromedp.CSS("#f-paste button[type=submit]")))
		}
		steps = append(steps, chromedp.WaitVisible(chromedp.ID("s-offer")),
			chromedp.Click(chromedp.CSS("#f-accept button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID("s-done")),
			chromedp.Click(chromedp.CSS(`#s-done button[data-go="s-home"]`)),
			chromedp.WaitVisible(chromedp.CSS("#creds li:nth-child("+string(rune('1'+i))+")")))
		b.Do("receiving offer "+o.vct, steps...)
	}
	b.Contains("story-wallet", "Identity attestation", "Humanitarian registration", "Community vouching")
	b.Audit("story-wallet", "en", "ltr")

	// The caseworker, in a second tab, asks for cash assistance, which
	// asks for more than the verifier's registered purpose.
	tab, cancelTab := chromedp.NewContext(b.Ctx)
	defer cancelTab()
	cw := b.Tab(tab)
	cw.Visit(s.site + "/caseworker/")
	cw.Do("creating a session",
		chromedp.WaitReady(chromedp.CSS(`#purpose option[value="cash-assistance"]`)),
		chromedp.SetValue(chromedp.ID("purpose"), "cash-assistance"),
		chromedp.Click(chromedp.CSS("#f-session button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("session-qr")),
	)
	uri := cw.Eval(`document.getElementById("session-uri").textContent`)
	if !strings.HasPrefix(uri, "openid4vp://") {
		t.Fatalf("console request %q", uri)
	}
	cw.Audit("story-console-qr", "en", "ltr")

	b.Do("answering the request",
		chromedp.Click(chromedp.CSS(`#s-home button[data-go="s-scan"]`)),
		chromedp.WaitVisible(chromedp.ID("s-scan")),
		chromedp.SetValue(chromedp.ID("paste"), uri),
		chromedp.Click(chromedp.CSS("#f-paste button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("s-request")),
	)
	b.Contains("story-consent", "Clinic desk", "More than its purpose needs")
	b.Audit("story-consent", "en", "ltr")
	b.Do("sending", chromedp.Click(chromedp.ID("consent-send")), chromedp.WaitVisible(chromedp.ID("s-done")))

	cw.Do("the result appears by itself", chromedp.WaitVisible(chromedp.ID("c-result")))
	cw.Contains("story-console-result", "Profile met", "Relief NGO", "Haddad")
	if v := cw.Eval(`document.getElementById("verdict").className`); !strings.Contains(v, "valid") {
		t.Errorf("verdict %q", v)
	}
	cw.Audit("story-console-result", "en", "ltr")
	cw.Do("a reviewed decision",
		chromedp.SendKeys(chromedp.ID("reason"), "Documents seen at the desk."),
		chromedp.SendKeys(chromedp.ID("caseworker"), "cw-17"),
		chromedp.Click(chromedp.CSS("#f-review button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("review-done")),
	)
	cw.Contains("story-console-review", "Decision recorded.")

	b.Visit(s.site + "/wallet/?lang=ar")
	b.Do("the Arabic wallet", chromedp.WaitVisible(chromedp.CSS("#creds li:nth-child(3)")))
	b.Audit("story-wallet-ar", "ar", "rtl")
	cw.Visit(s.site + "/caseworker/?lang=ar")
	cw.Audit("story-console-ar", "ar", "rtl")
}
