package web_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cairn-id/cairn/internal/browsertest"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/web"
	"github.com/cairn-id/cairn/web/desk"
	"github.com/cairn-id/cairn/web/trustview"
)

const regVCT = "urn:cairn:vct:humanitarian-registration:1"

func demoRegistry(now time.Time) *trust.Registry {
	return &trust.Registry{ID: "urn:cairn:registry:demo", Name: "Demo board", Authority: "did:jwk:eyJhdXRob3JpdHkiOiJkZW1vIn0", Version: 3,
		IssuedAt: now.Add(-2 * time.Hour), Expires: now.Add(22 * time.Hour),
		Entities: []trust.Entity{
			{DID: "did:jwk:eyJyZWxpZWYiOiJuZ28ifQ", Names: map[string]string{"en": "Relief registration office", "fr": "Bureau d'enregistrement", "ar": "مكتب التسجيل", "uk": "Бюро реєстрації"},
				Role: trust.RoleIssuer, Status: trust.StatusActive, ValidFrom: now.AddDate(-1, 0, 0),
				StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: now.AddDate(-1, 0, 0)}, {Status: trust.StatusSuspended, At: now.AddDate(0, -2, 0), Reason: "audit"},
					{Status: trust.StatusActive, At: now.AddDate(0, -1, 0), Reason: "audit passed"}},
				IssuerAuthorizations: []trust.IssuerAuthorization{{ID: "a1", VCT: regVCT, MaxStrength: 3, MaxValidity: 2, MaxVerification: 2, Jurisdiction: "LB", From: now.AddDate(-1, 0, 0)}}},
			{DID: "did:jwk:eyJkZXNrIjoiY2l0eSJ9", Names: map[string]string{"en": "City help desk", "ar": "مكتب المساعدة في المدينة"}, Role: trust.RoleVerifier, Status: trust.StatusActive,
				ValidFrom:              now.AddDate(-1, 0, 0),
				VerifierAuthorizations: []trust.VerifierAuthorization{{ID: "v1", Purpose: "housing", Claims: []string{"/family_name", "/given_name", "/birthdate"}, From: now.AddDate(-1, 0, 0)}}},
		}}
}

// TestPagesInChromium: the home, desk and registry pages at 360 px in
// English and Arabic pass the audit (labels, contrast, lang/dir, touch
// targets, no sideways scrolling, no inline script under the CSP, under
// 150 KB); an offer is made through the form (with a refused answer
// first), its QR code shown, then cancelled from the pending list.
func TestPagesInChromium(t *testing.T) {
	b := browsertest.New(t)
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := keys.Generate(jose.ES256, nil)
	svc, err := issuer.New(issuer.Config{URL: "https://relief.example", Names: map[string]string{"en": "Relief registration office"},
		Types: []string{regVCT, "urn:cairn:vct:identity-attestation:1"}, Catalogue: cat, Key: key, HashKey: bytes.Repeat([]byte{4}, 32), Store: issuer.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	d, err := desk.New(desk.Config{Catalogue: cat, Offices: []desk.Office{{Slug: "relief", Admin: svc, Types: []string{regVCT, "urn:cairn:vct:identity-attestation:1"},
		Names: map[string]string{"en": "Relief registration office", "fr": "Bureau d'enregistrement", "ar": "مكتب التسجيل", "uk": "Бюро реєстрації"}}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tv, err := trustview.New(trustview.Config{Catalogue: cat, Source: func(context.Context) (*trust.Registry, error) { return demoRegistry(now), nil }})
	if err != nil {
		t.Fatal(err)
	}
	site, err := web.New(web.Config{SessionKey: bytes.Repeat([]byte{8}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	site.Mount("/desk/", desk.NavLabel, desk.NavDescription, d)
	site.Mount("/trust/", trustview.NavLabel, trustview.NavDescription, tv)
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()

	b.Visit(srv.URL + "/")
	b.Audit("home", "en", "ltr")

	b.Visit(srv.URL + "/desk/relief/offer?type=" + regVCT)
	b.Audit("desk-form", "en", "ltr")
	b.Do("filling the form",
		chromedp.SendKeys(chromedp.ID("c-registration-id"), "REG-2026-0042"),
		chromedp.SetValue(chromedp.ID("c-registration-date"), "2026-11-30"),
		chromedp.SetValue(chromedp.ID("c-registration-place-country"), "LB"),
		chromedp.SendKeys(chromedp.ID("c-family-name"), "Haddad"),
		chromedp.SendKeys(chromedp.ID("c-given-name"), "Amina"),
		chromedp.SendKeys(chromedp.ID("c-birthdate"), "1990"),
		chromedp.SendKeys(chromedp.ID("c-household-size"), "four"),
		chromedp.SendKeys(chromedp.ID("reference"), "case 42"),
		chromedp.Click(chromedp.CSS("form button[type=submit]:not([name])")),
		chromedp.WaitVisible(chromedp.ID("problems")),
	)
	b.Contains("desk-errors", "Some answers need fixing", "must be a whole number")
	if v := b.Eval(`document.getElementById("c-household-size").getAttribute("aria-invalid")`); v != "true" {
		t.Errorf("the refused field is not marked invalid: %q", v)
	}
	b.Audit("desk-errors", "en", "ltr")
	b.Do("fixing the answer",
		chromedp.Clear(chromedp.ID("c-household-size")),
		chromedp.SendKeys(chromedp.ID("c-household-size"), "4"),
		chromedp.Click(chromedp.CSS("form button[type=submit]:not([name])")),
		chromedp.WaitVisible(chromedp.CSS("img.qr")),
	)
	b.Contains("desk-offer", "Offer ready", "Transaction code")
	if w := b.Eval(`String(document.querySelector("img.qr").naturalWidth)`); w == "0" {
		t.Error("the QR image did not load")
	}
	b.Audit("desk-offer", "en", "ltr")

	offers, err := svc.Offers(context.Background(), true)
	if err != nil || len(offers) != 1 {
		t.Fatalf("offers %v %v", offers, err)
	}
	b.Visit(srv.URL + "/desk/relief/?lang=fr")
	b.Contains("desk-pending", offers[0].Handle, "case 42", "Offres en attente")
	b.Audit("desk-pending-fr", "fr", "ltr")
	b.Eval(`(() => { window.confirm = () => true; return ""; })()`)
	b.Do("cancelling", chromedp.Click(chromedp.CSS("button.danger")), chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	if left, _ := svc.Offers(context.Background(), true); len(left) != 0 {
		t.Errorf("the offer is still pending after cancel: %+v", left)
	}

	b.Visit(srv.URL + "/desk/relief/offer?type=" + regVCT + "&lang=ar")
	b.Audit("desk-form-ar", "ar", "rtl")
	b.Contains("desk-form-ar", "رقم التسجيل")

	b.Visit(srv.URL + "/trust/?lang=en")
	b.Eval(`(() => { document.querySelectorAll("details").forEach((d) => d.open = true); return ""; })()`)
	b.Contains("registry", "Demo board", "Relief registration office", "housing", "audit passed")
	b.Audit("registry", "en", "ltr")
	b.Visit(srv.URL + "/trust/?lang=ar")
	b.Audit("registry-ar", "ar", "rtl")
	b.Visit(srv.URL + "/trust/?lang=uk")
	b.Audit("registry-uk", "uk", "ltr")

	var sizes []string
	for name, n := range b.Sizes {
		sizes = append(sizes, name+"="+itoa(n))
	}
	t.Logf("bytes per page: %s", strings.Join(sizes, " "))
}

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
