package walletpage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cairn-id/cairn/internal/browsertest"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	issuerapi "github.com/cairn-id/cairn/issuer/api"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/boltstore"
	"github.com/cairn-id/cairn/wallet/storetest"
	"github.com/cairn-id/cairn/web"
	"github.com/cairn-id/cairn/web/walletpage"
)

const (
	regVCT = "urn:cairn:vct:humanitarian-registration:1"
	empVCT = "urn:cairn:vct:employment:1"
)

// world is an issuer over HTTP, a wallet agent trusting it, and the site
// with the wallet page.
type world struct {
	iss  *issuer.Service
	site string
	// a stand-in verifier (until the verifier service's console lands):
	// a signed request object by reference, direct_post
	vcid, verURL string
	vsign        *jose.Signer
	mu           sync.Mutex
	vreq         *oid4vp.AuthorizationRequest
	got          []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	ik, _ := keys.Generate(jose.ES256, nil)
	vk, _ := keys.Generate(jose.ES256, nil)
	// employment is offered as jpt too, signed with this BBS key (listed
	// in the registry as a further key of the issuer)
	bbs, err := keys.GenerateBBS(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-24 * time.Hour)
	reg := &trust.Registry{Authority: "did:example:board", Entities: []trust.Entity{
		{DID: ik.DIDJWK(), Role: trust.RoleIssuer, Status: trust.StatusActive, ValidFrom: start,
			Names: map[string]string{"en": "Relief registration office", "fr": "Bureau d'enregistrement", "ar": "مكتب التسجيل", "uk": "Бюро реєстрації"},
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: regVCT, MaxStrength: 4, MaxValidity: 4, MaxVerification: 4, From: start},
				{VCT: empVCT, MaxStrength: 4, MaxValidity: 4, MaxVerification: 4, From: start}},
			Keys: []trust.EntityKey{{DID: keys.BBSDIDJWK(&bbs.Public), From: start}}},
		{DID: vk.DIDJWK(), Role: trust.RoleVerifier, Status: trust.StatusActive, ValidFrom: start,
			Names:                  map[string]string{"en": "City housing desk", "ar": "مكتب الإسكان في المدينة"},
			VerifierAuthorizations: []trust.VerifierAuthorization{{Purpose: "housing", Claims: []string{"/given_name", "/family_name"}, From: start}}},
	}}
	regFn := func() *trust.Registry { return reg }
	issSrv := httptest.NewServer(nil)
	t.Cleanup(issSrv.Close)
	hk := make([]byte, 32)
	rand.Read(hk)
	iss, err := issuer.New(issuer.Config{URL: issSrv.URL, Dev: true, Names: map[string]string{"en": "Relief registration office"},
		Types: []string{regVCT, empVCT}, Catalogue: cat, Key: ik, HashKey: hk, Store: issuer.NewMemoryStore(), Logger: quiet,
		JPT: []string{empVCT}, BBSKey: bbs})
	if err != nil {
		t.Fatal(err)
	}
	ih, err := issuerapi.New(iss, issuerapi.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	issSrv.Config.Handler = ih

	st, err := boltstore.Open(filepath.Join(t.TempDir(), "wallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := storetest.NewClock(time.Now())
	svc := storetest.NewService(t, st, clock, storetest.Pepper(3), func(c *wallet.Config) {
		c.Logger = quiet
		c.Now = time.Now
		// Status lists read afresh for every answer (real time): a
		// revocation shows at once.
		c.Flows = wallet.FlowConfig{Dev: true, Registry: regFn, Catalogue: cat, StatusMaxAge: time.Nanosecond}
	})
	wh, err := walletapi.New(svc, walletapi.Options{Logger: quiet, Now: time.Now, Registry: regFn, Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	wp, err := walletpage.New(walletpage.Config{API: wh, Key: bytes.Repeat([]byte{6}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	site, err := web.New(web.Config{SessionKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	site.Mount("/wallet/", walletpage.NavLabel, walletpage.NavDescription, wp)
	srv := httptest.NewServer(site.Handler())
	t.Cleanup(srv.Close)
	w := &world{iss: iss, site: srv.URL, vcid: oid4vp.PrefixDecentralizedIdentifier + ":" + vk.DIDJWK(), vsign: vk.JoseSigner().WithKeyID(vk.DIDJWK() + "#0")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /request", func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		defer w.mu.Unlock()
		tok, err := oid4vp.SignRequestObject(w.vsign, w.vreq, oid4vp.SignOptions{Options: oid4vp.Options{Dev: true}})
		if err != nil {
			http.Error(rw, "x", 500)
			return
		}
		rw.Header().Set("Content-Type", oid4vp.RequestObjectMediaType)
		io.WriteString(rw, tok)
	})
	mux.HandleFunc("POST /response", func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.got = append(w.got, string(b))
		w.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		io.WriteString(rw, `{}`)
	})
	ver := httptest.NewServer(mux)
	t.Cleanup(ver.Close)
	w.verURL = ver.URL
	return w
}

// request makes the verifier's next request ask for claims of a
// registration credential and returns the openid4vp:// text to scan.
func (w *world) request(t *testing.T, claims ...string) string {
	t.Helper()
	var cq []string
	for _, c := range claims {
		cq = append(cq, `{"path":["`+c+`"]}`)
	}
	q, err := oid4vp.ParseQuery([]byte(`{"credentials":[{"id":"reg","format":"dc+sd-jwt","meta":{"vct_values":["` + regVCT + `"]},"claims":[` + strings.Join(cq, ",") + `]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	n := make([]byte, 16)
	rand.Read(n)
	w.mu.Lock()
	w.vreq = &oid4vp.AuthorizationRequest{ClientID: w.vcid, ResponseType: oid4vp.ResponseTypeVPToken, ResponseMode: oid4vp.ResponseModeDirectPost,
		ResponseURI: w.verURL + "/response", Nonce: jose.B64.EncodeToString(n), State: "st-1", DCQLQuery: q}
	w.mu.Unlock()
	uri, err := oid4vp.BuildRequestURI(w.vcid, w.verURL+"/request", oid4vp.RequestURIMethodGet)
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

func (w *world) offer(t *testing.T, vct string, claims map[string]any, tx bool) *issuer.Offer {
	t.Helper()
	return w.offerIn(t, "", vct, claims, tx)
}

// offerIn is an offer in format ("": the default, SD-JWT VC).
func (w *world) offerIn(t *testing.T, format, vct string, claims map[string]any, tx bool) *issuer.Offer {
	t.Helper()
	o, err := w.iss.CreateOffer(context.Background(), issuer.OfferRequest{VCT: vct, Claims: claims, TxCode: tx, Format: format})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// createWallet are the steps from the first screen to the home screen
// of a new wallet (PIN 2468, the recovery code passed).
func createWallet() []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(chromedp.ID("s-new")),
		chromedp.SendKeys(chromedp.ID("new-pin"), "2468"),
		chromedp.SendKeys(chromedp.ID("new-pin2"), "2468"),
		chromedp.Click(chromedp.CSS("#f-create button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("s-code")),
		chromedp.Click(chromedp.CSS(`#s-code button[data-go="s-home"]`)),
		chromedp.WaitVisible(chromedp.ID("s-home")),
	}
}

// pasteFromHome are the steps from the home screen to a pasted code's
// answer: scan, paste text, submit.
func pasteFromHome(text string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(`#s-home button[data-go="s-scan"]`)),
		chromedp.WaitVisible(chromedp.ID("s-scan")),
		chromedp.SetValue(chromedp.ID("paste"), text),
		chromedp.Click(chromedp.CSS("#f-paste button[type=submit]")),
	}
}

// TestWalletInChromium: a person creates a wallet at 360 px (recovery
// code shown once), accepts one offer by pasting its text (with its
// transaction code) and one by uploading the PNG of its QR code, sees
// both in the list and the timeline, in English and in Arabic (right to
// left), reads the consent log, changes the PIN, locks and reopens the
// wallet, then wipes it. Every screen passes the audit.
func TestWalletInChromium(t *testing.T) {
	b := browsertest.New(t)
	w := newWorld(t)

	b.Visit(w.site + "/wallet/")
	b.Do("the first screen", chromedp.WaitVisible(chromedp.ID("s-new")))
	b.Audit("wallet-new", "en", "ltr")
	b.Do("creating a wallet",
		chromedp.SendKeys(chromedp.ID("new-pin"), "2468"),
		chromedp.SendKeys(chromedp.ID("new-pin2"), "2468"),
		chromedp.Click(chromedp.CSS("#f-create button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("s-code")),
	)
	code := b.Eval(`document.getElementById("recovery-code").textContent`)
	if len(code) < 10 {
		t.Fatalf("recovery code %q", code)
	}
	b.Audit("wallet-recovery-code", "en", "ltr")
	b.Do("to the wallet", chromedp.Click(chromedp.CSS(`#s-code button[data-go="s-home"]`)), chromedp.WaitVisible(chromedp.ID("s-home")))

	// an offer by its text, with a transaction code
	o := w.offer(t, regVCT, map[string]any{"registration_id": "REG-2026-0042", "registration_date": "2026-03-02",
		"registration_place": map[string]any{"country": "LB", "locality": "Zahle"}, "family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-05-14"}, true)
	b.Do("pasting an offer",
		chromedp.Click(chromedp.CSS(`#s-home button[data-go="s-scan"]`)),
		chromedp.WaitVisible(chromedp.ID("s-scan")),
		chromedp.SetValue(chromedp.ID("paste"), o.URI),
		chromedp.Click(chromedp.CSS("#f-paste button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("s-offer")),
	)
	b.Contains("wallet-offer", "Relief registration office", "Humanitarian registration", "Registered issuer")
	b.Audit("wallet-offer", "en", "ltr")
	b.Do("accepting",
		chromedp.SendKeys(chromedp.ID("offer-tx"), o.TxCode),
		chromedp.Click(chromedp.CSS("#f-accept button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("s-done")),
	)
	b.Contains("wallet-received", "Received: Humanitarian registration")

	// an offer by a photo of its QR code (PNG upload, decoded on the server)
	o2 := w.offer(t, empVCT, map[string]any{"employer_name": "Bekaa Farms", "start_date": "2026-06-01", "family_name": "Haddad", "given_name": "Amina", "job_title": "Picker"}, false)
	png, err := qr.Encode(o2.URI, qr.LevelMedium)
	if err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "offer.png")
	if err := os.WriteFile(photo, png, 0o600); err != nil {
		t.Fatal(err)
	}
	b.Do("uploading a photo of an offer",
		chromedp.Click(chromedp.CSS(`#s-done button[data-go="s-home"]`)),
		chromedp.WaitVisible(chromedp.ID("s-home")),
		chromedp.Click(chromedp.CSS(`#s-home button[data-go="s-scan"]`)),
		chromedp.WaitVisible(chromedp.ID("s-scan")),
		chromedp.SetUploadFiles(chromedp.ID("photo"), []string{photo}),
		chromedp.Click(chromedp.CSS("#f-photo button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("s-offer")),
	)
	b.Contains("wallet-offer-photo", "Employment")
	b.Do("accepting the second",
		chromedp.Click(chromedp.CSS("#f-accept button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("s-done")),
		chromedp.Click(chromedp.CSS(`#s-done button[data-go="s-home"]`)),
		chromedp.WaitVisible(chromedp.CSS("#creds li:nth-child(2)")),
		chromedp.WaitVisible(chromedp.CSS("#timeline li:nth-child(2)")),
	)
	b.Contains("wallet-home", "Humanitarian registration", "Employment", "Relief registration office")
	b.Audit("wallet-home", "en", "ltr")

	// a verifier asks for more than its purpose: the consent screen says
	// so; the person unticks the birthdate and sends the rest
	req := w.request(t, "family_name", "given_name", "birthdate")
	b.Do("scanning a request", append(pasteFromHome(req), chromedp.WaitVisible(chromedp.ID("s-request")))...)
	b.Contains("wallet-consent", "City housing desk", "Purpose: \u2068housing\u2069", "Family name", "Given names", "Date of birth", "More than its purpose needs")
	if n := b.Eval(`String(document.querySelectorAll("#consent-list .badge.untrusted").length)`); n != "1" {
		t.Errorf("%s claims flagged as over-asking, want 1", n)
	}
	b.Audit("wallet-consent", "en", "ltr")
	b.Do("sending without the birthdate",
		chromedp.Click(chromedp.CSS(`#consent-list input[value="/birthdate"]`)),
		chromedp.Click(chromedp.ID("consent-send")),
		chromedp.WaitVisible(chromedp.ID("s-done")),
	)
	b.Contains("wallet-sent", "Sent to City housing desk.")
	w.mu.Lock()
	if len(w.got) != 1 || !strings.Contains(w.got[0], "vp_token") {
		t.Errorf("the verifier received %v", w.got)
	}
	w.mu.Unlock()
	b.Do("home", chromedp.Click(chromedp.CSS(`#s-done button[data-go="s-home"]`)), chromedp.WaitVisible(chromedp.ID("s-home")))

	// the registration is revoked: the consent screen leaves it out and
	// says so; the person explicitly chooses to offer it anyway (a
	// labelled checkbox), and it is sent
	recs, err := w.iss.Records(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.VCT == regVCT {
			if err := w.iss.Revoke(context.Background(), r.CredentialID); err != nil {
				t.Fatal(err)
			}
		}
	}
	req = w.request(t, "family_name")
	b.Do("scanning a request only a revoked credential answers", append(pasteFromHome(req), chromedp.WaitVisible(chromedp.ID("consent-revoked-box")))...)
	b.Contains("wallet-consent-revoked", "has been revoked by the issuer", "Offer my revoked credential anyway", "most likely refuse it")
	if got := b.Eval(`[document.getElementById("consent-send").disabled, document.getElementById("consent-revoked").checked, document.querySelectorAll("#consent-list input").length].join()`); got != "true,false,0" {
		t.Errorf("before the choice (send disabled, box unticked, claims): %s", got)
	}
	b.Audit("wallet-consent-revoked", "en", "ltr")
	b.Do("choosing to offer it",
		chromedp.Click(chromedp.CSS(`label[for="consent-revoked"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#consent-list input[value="/family_name"]`)),
	)
	if got := b.Eval(`String(document.getElementById("consent-send").disabled)`); got != "false" {
		t.Errorf("send disabled after the choice")
	}
	b.Do("sending the revoked credential",
		chromedp.Click(chromedp.ID("consent-send")),
		chromedp.WaitVisible(chromedp.ID("s-done")),
	)
	b.Contains("wallet-sent-revoked", "Sent to City housing desk.")
	w.mu.Lock()
	if len(w.got) != 2 || !strings.Contains(w.got[1], "vp_token") {
		t.Errorf("the verifier received %d answers", len(w.got))
	}
	w.mu.Unlock()
	b.Do("home again", chromedp.Click(chromedp.CSS(`#s-done button[data-go="s-home"]`)), chromedp.WaitVisible(chromedp.ID("s-home")))

	// the same wallet in Arabic: right to left
	b.Visit(w.site + "/wallet/?lang=ar")
	b.Do("the Arabic wallet", chromedp.WaitVisible(chromedp.CSS("#creds li:nth-child(2)")))
	b.Contains("wallet-home-ar", "محفظتي", "مكتب التسجيل")
	b.Audit("wallet-home-ar", "ar", "rtl")

	b.Visit(w.site + "/wallet/?lang=en")
	b.Do("the consent log",
		chromedp.WaitVisible(chromedp.ID("s-home")),
		chromedp.Click(chromedp.CSS(`#s-home button[data-go="s-log"]`)),
		chromedp.WaitVisible(chromedp.CSS("#log li:nth-child(2)")),
	)
	b.Contains("wallet-log", "Received", "Shared", "City housing desk", "intact")
	b.Audit("wallet-log", "en", "ltr")

	b.Do("changing the PIN",
		chromedp.Click(chromedp.CSS(`#s-log button[data-go="s-home"]`)),
		chromedp.Click(chromedp.CSS(`#s-home button[data-go="s-settings"]`)),
		chromedp.WaitVisible(chromedp.ID("s-settings")),
		chromedp.SendKeys(chromedp.ID("old-pin"), "2468"),
		chromedp.SendKeys(chromedp.ID("chg-pin"), "135790"),
		chromedp.Click(chromedp.CSS("#f-pin button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("status")),
	)
	b.Contains("wallet-settings", "PIN changed.")
	b.Audit("wallet-settings", "en", "ltr")
	b.Do("locking and opening with the new PIN",
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("s-locked")),
		chromedp.SendKeys(chromedp.ID("pin"), "135790"),
		chromedp.Click(chromedp.CSS("#f-login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#creds li:nth-child(2)")),
	)
	b.Eval(`(() => { window.confirm = () => true; return ""; })()`)
	b.Do("wiping",
		chromedp.Click(chromedp.CSS(`#s-home button[data-go="s-settings"]`)),
		chromedp.Click(chromedp.ID("wipe")),
		chromedp.WaitVisible(chromedp.ID("s-new")),
	)
	b.Visit(w.site + "/wallet/")
	if !strings.Contains(b.Eval(`document.getElementById("wallet").getAttribute("data-state")`), "new") {
		t.Error("after the wipe the browser still holds a wallet")
	}
}

// TestWalletCameraScan: chromium's fake camera shows an offer's QR code
// (a Y4M video made from the PNG); the wallet page's camera reads it —
// with BarcodeDetector where the browser has one, else by sending frames
// to the server, which decodes them as it does uploads — and shows the
// offer.
func TestWalletCameraScan(t *testing.T) {
	w := newWorld(t)
	o := w.offer(t, empVCT, map[string]any{"employer_name": "Bekaa Farms", "start_date": "2026-06-01", "family_name": "Haddad", "given_name": "Amina", "job_title": "Picker"}, false)
	png, err := qr.Encode(o.URI, qr.LevelMedium)
	if err != nil {
		t.Fatal(err)
	}
	video := browsertest.CameraVideo(t, png)
	b := browsertest.New(t, browsertest.FakeCamera(video)...)
	b.Visit(w.site + "/wallet/")
	b.Do("creating a wallet", append(createWallet(),
		chromedp.Click(chromedp.CSS(`#s-home button[data-go="s-scan"]`)),
		chromedp.WaitVisible(chromedp.ID("camera-start")),
	)...)
	detector := b.Eval(`String("BarcodeDetector" in window)`)
	t.Logf("BarcodeDetector in this chromium: %s", detector)
	b.Do("scanning with the camera",
		chromedp.Click(chromedp.ID("camera-start")),
		chromedp.WaitVisible(chromedp.ID("s-offer")),
	)
	b.Contains("wallet-offer-camera", "Employment", "Registered issuer")
	if on := b.Eval(`String(!!document.getElementById("camera").srcObject)`); on != "false" {
		t.Errorf("the camera is still on after the scan")
	}
}

// TestWalletJPTBadge: a jpt credential shows, in the list, a badge saying
// it is unlinkable and not bound to the holder, in the page's language;
// an SD-JWT VC beside it has none. Both screens pass the audit.
func TestWalletJPTBadge(t *testing.T) {
	b := browsertest.New(t)
	w := newWorld(t)
	b.Visit(w.site + "/wallet/")
	b.Do("creating a wallet", createWallet()...)
	for _, o := range []*issuer.Offer{
		w.offer(t, regVCT, map[string]any{"registration_id": "REG-2026-0042", "registration_date": "2026-03-02",
			"registration_place": map[string]any{"country": "LB"}, "family_name": "Haddad", "given_name": "Amina"}, false),
		w.offerIn(t, issuer.FormatJPT, empVCT, map[string]any{"employer_name": "Bekaa Farms", "start_date": "2026-06-01", "job_title": "Picker"}, false),
	} {
		b.Do("accepting an offer", append(pasteFromHome(o.URI),
			chromedp.WaitVisible(chromedp.ID("s-offer")),
			chromedp.Click(chromedp.CSS("#f-accept button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID("s-done")),
			chromedp.Click(chromedp.CSS(`#s-done button[data-go="s-home"]`)),
			chromedp.WaitVisible(chromedp.ID("s-home")))...)
	}
	for _, c := range []struct{ lang, dir, text string }{
		{"en", "ltr", "unlinkable, not bound to you"},
		{"ar", "rtl", "غير قابلة للربط، غير مرتبطة بك"},
	} {
		b.Visit(w.site + "/wallet/?lang=" + c.lang)
		b.Do("the list", chromedp.WaitVisible(chromedp.CSS("#creds li:nth-child(2)")))
		got := b.Eval(`Array.prototype.map.call(document.querySelectorAll("#creds li"), function (li) {
			var x = li.querySelector(".badge.unlinkable"); return (x ? x.textContent : "-") + "@" + li.querySelector("strong").textContent; }).sort().join("|")`)
		reg, emp := schemasName(t, regVCT, c.lang), schemasName(t, empVCT, c.lang)
		want := []string{"-@" + reg, c.text + "@" + emp}
		sort.Strings(want)
		if got != strings.Join(want, "|") {
			t.Errorf("%s: badges %q, want %q", c.lang, got, strings.Join(want, "|"))
		}
		b.Audit("wallet-jpt-badge-"+c.lang, c.lang, c.dir)
	}
}

// schemasName is a type's name in lang, as the list shows it.
func schemasName(t *testing.T, vct, lang string) string {
	t.Helper()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	ty, err := cat.Lookup(vct)
	if err != nil {
		t.Fatal(err)
	}
	return ty.DisplayNameIn(schemas.ParseLang(lang))
}
