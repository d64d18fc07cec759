package desk

import (
	"bytes"
	"context"
	"crypto/rand"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/web"
)

const (
	regVCT = "urn:cairn:vct:humanitarian-registration:1"
	idVCT  = "urn:cairn:vct:identity-attestation:1"
	hlVCT  = "urn:cairn:vct:health-attestation:1"
)

// fixture is a site with the desk of one office and a session.
type fixture struct {
	t       *testing.T
	svc     *issuer.Service
	h       http.Handler
	cookies []*http.Cookie
	token   string
}

// newFixture: the office offers three types; those in jpt also in the
// jpt format (with a BBS key).
func newFixture(t *testing.T, jpt ...string) *fixture {
	t.Helper()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	hashKey := make([]byte, 32)
	rand.Read(hashKey)
	types := []string{regVCT, idVCT, hlVCT}
	var bbs *jwp.PrivateKey
	if len(jpt) > 0 {
		if bbs, err = keys.GenerateBBS(rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := issuer.New(issuer.Config{URL: "https://relief.example", Names: map[string]string{"en": "Relief NGO"},
		Types: types, Catalogue: cat, Key: key, HashKey: hashKey, Store: issuer.NewMemoryStore(), JPT: jpt, BBSKey: bbs})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{Catalogue: cat, Offices: []Office{{Slug: "relief", Names: map[string]string{"en": "Relief NGO", "fr": "ONG Secours"}, Admin: svc, Types: types, JPT: jpt}}})
	if err != nil {
		t.Fatal(err)
	}
	site, err := web.New(web.Config{SessionKey: bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	site.Mount("/desk/", NavLabel, NavDescription, d)
	f := &fixture{t: t, svc: svc, h: site.Handler()}
	rec := f.do("GET", "/desk/relief/", nil, "")
	f.cookies = rec.Result().Cookies()
	f.token = between(rec.Body.String(), `<meta name="csrf-token" content="`, `"`)
	if f.token == "" || len(f.cookies) == 0 {
		t.Fatal("no session")
	}
	return f
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

func (f *fixture) do(method, target string, form url.Values, lang string) *httptest.ResponseRecorder {
	f.t.Helper()
	var body *strings.Reader
	if form != nil {
		form.Set("csrf", f.token)
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	for _, c := range f.cookies {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	return rec
}

var (
	controlRE = regexp.MustCompile(`<(input|select|textarea)\s[^>]*>`)
	idRE      = regexp.MustCompile(`\sid="([^"]+)"`)
	typeRE    = regexp.MustCompile(`\stype="([^"]+)"`)
)

// unlabelled lists the visible controls of page without a label.
func unlabelled(page string) []string {
	var out []string
	for _, m := range controlRE.FindAllString(page, -1) {
		if tm := typeRE.FindStringSubmatch(m); tm != nil && (tm[1] == "hidden" || tm[1] == "checkbox" && strings.Contains(page, `<label class="check">`)) {
			continue
		}
		id := idRE.FindStringSubmatch(m)
		if id == nil || !strings.Contains(page, `<label for="`+id[1]+`"`) {
			out = append(out, m)
		}
	}
	return out
}

// TestFormOfEveryType: the form of every catalogue type renders in every
// language, every control has a label, no inline script.
func TestFormOfEveryType(t *testing.T) {
	cat, _ := schemas.Load()
	key, _ := keys.Generate(jose.ES256, nil)
	var all []string
	var types []*schemas.Type
	for _, ty := range cat.Types() {
		if ty.External {
			continue // the EU PID: issued outside Cairn, never at a desk
		}
		all = append(all, ty.VCT)
		types = append(types, ty)
	}
	svc, err := issuer.New(issuer.Config{URL: "https://relief.example", Names: map[string]string{"en": "All"}, Types: all, Catalogue: cat,
		Key: key, HashKey: bytes.Repeat([]byte{9}, 32), Store: issuer.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{Catalogue: cat, Offices: []Office{{Slug: "all", Names: map[string]string{"en": "All"}, Admin: svc, Types: all}}})
	if err != nil {
		t.Fatal(err)
	}
	site, _ := web.New(web.Config{SessionKey: bytes.Repeat([]byte{3}, 32)})
	site.Mount("/desk/", NavLabel, NavDescription, d)
	h := site.Handler()
	for _, ty := range types {
		for _, lang := range []string{"en", "fr", "ar", "uk"} {
			r := httptest.NewRequest("GET", "/desk/all/offer?type="+url.QueryEscape(ty.VCT)+"&lang="+lang, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			page := rec.Body.String()
			if rec.Code != 200 {
				t.Fatalf("%s %s: %d %s", ty.Name, lang, rec.Code, page)
			}
			if !strings.Contains(page, template.HTMLEscapeString(ty.DisplayName(lang))) {
				t.Errorf("%s %s: no type name", ty.Name, lang)
			}
			for _, f := range ty.ClaimFields(lang) {
				if f.Required && f.Kind != schemas.KindObject && f.Kind != schemas.KindObjectArray && !strings.Contains(page, `name="`+f.Pointer+`"`) {
					t.Errorf("%s: no input for required %s", ty.Name, f.Pointer)
				}
			}
			if u := unlabelled(page); len(u) > 0 {
				t.Errorf("%s %s: unlabelled controls %v", ty.Name, lang, u)
			}
			if len(page) > 150<<10 {
				t.Errorf("%s %s: page of %d bytes", ty.Name, lang, len(page))
			}
		}
	}
}

func TestMakeOfferAndCancel(t *testing.T) {
	f := newFixture(t)
	rec := f.do("POST", "/desk/relief/offer", url.Values{
		"vct": {regVCT}, "/registration_id": {"REG-77"}, "/registration_date": {"2026-11-30"},
		"/registration_place/country": {"LB"}, "/birthdate": {"1990"}, "/household_size": {"4"},
		"tx_code": {"yes"}, "reference": {"case 12"}, "evidence": {"document-seen"},
	}, "")
	page := rec.Body.String()
	if rec.Code != http.StatusCreated {
		t.Fatalf("%d %s", rec.Code, page)
	}
	if !strings.Contains(page, `src="data:image/png;base64,`) || !strings.Contains(page, "openid-credential-offer://") {
		t.Error("no QR code or offer text")
	}
	tx := between(page, `<p class="txcode" aria-label="Transaction code">`, "<")
	if len(tx) != 6 {
		t.Errorf("transaction code %q", tx)
	}
	offers, _ := f.svc.Offers(context.Background(), true)
	if len(offers) != 1 || offers[0].Reference != "case 12" || !offers[0].TxCode {
		t.Fatalf("offers %+v", offers)
	}
	// the stored claims are typed: a whole number, a partial birthdate
	_, id, _ := strings.Cut(between(page, "credential_offer_uri=", "<"), "%2Foffers%2F")
	so, err := f.svc.GetOffer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	claims, _, err := f.svc.OfferContent(so)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := claims["household_size"].(float64); !ok || n != 4 || claims["birthdate"] != "1990-01-01" || claims["birthdate_precision"] != "year" {
		t.Errorf("claims %#v", claims)
	}
	handle := offers[0].Handle
	list := f.do("GET", "/desk/relief/", nil, "").Body.String()
	if !strings.Contains(list, handle) || !strings.Contains(list, "case 12") {
		t.Errorf("pending list lacks the offer:\n%s", list)
	}
	rec = f.do("POST", "/desk/relief/cancel", url.Values{"handle": {handle}}, "")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", rec.Code, rec.Body)
	}
	if offers, _ := f.svc.Offers(context.Background(), true); len(offers) != 0 {
		t.Errorf("still pending: %+v", offers)
	}
	again := f.do("POST", "/desk/relief/cancel", url.Values{"handle": {handle}}, "fr")
	if again.Code != 200 || !strings.Contains(again.Body.String(), "n&#39;est plus en attente") {
		t.Errorf("second cancel: %d %v\n%s", again.Code, again.Header(), again.Body)
	}
}

// TestFieldErrors: answers that do not read as their claims come back
// with the message at the field (marked invalid, in the page's language),
// the typed values kept, and nothing stored.
func TestFieldErrors(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		lang   string
		form   url.Values
		fields map[string]string // input id → message
	}{
		{"en", url.Values{"vct": {regVCT}, "/registration_id": {"REG-1"}, "/registration_date": {"2026-11-30"}, "/registration_place/country": {"LB"}, "/household_size": {"four"}},
			map[string]string{"c-household-size": "must be a whole number"}},
		{"fr", url.Values{"vct": {regVCT}, "/registration_date": {"2026-11-30"}, "/registration_place/country": {"LB"}, "/household_size": {"four"}},
			map[string]string{"c-household-size": "doit être un nombre entier", "c-registration-id": "est obligatoire"}},
		{"en", url.Values{"vct": {idVCT}, "/family_name": {"Haddad"}, "/given_name": {"Amina"}, "/birthdate": {"1990-13-01"}, "/nationalities": {"LB; Atlantis"}},
			map[string]string{"c-birthdate": "must be a date", "c-nationalities": "entry 2"}},
	} {
		rec := f.do("POST", "/desk/relief/offer", tc.form, tc.lang)
		page := rec.Body.String()
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%v: %d", tc.form, rec.Code)
		}
		for id, msg := range tc.fields {
			errID := id + "-error"
			if !strings.Contains(page, `<p class="error" id="`+errID+`">`) {
				t.Errorf("%s: no error at %s:\n%s", tc.lang, id, page)
				continue
			}
			if got := between(page, `id="`+errID+`">`, "<"); !strings.Contains(got, msg) {
				t.Errorf("%s: %s says %q, want %q", tc.lang, id, got, msg)
			}
			ctl := between(page, `id="`+id+`"`, ">")
			if !strings.Contains(ctl, `aria-invalid="true"`) || !strings.Contains(ctl, errID) {
				t.Errorf("%s: control %s not marked invalid: %s", tc.lang, id, ctl)
			}
			if !strings.Contains(page, `<a href="#`+id+`">`) {
				t.Errorf("%s: the summary does not link to %s", tc.lang, id)
			}
		}
		if v := tc.form.Get("/household_size"); v != "" && !strings.Contains(page, `value="`+v+`"`) {
			t.Errorf("the typed value was not kept")
		}
	}
	if offers, _ := f.svc.Offers(context.Background(), false); len(offers) != 0 {
		t.Errorf("refused forms stored offers: %+v", offers)
	}
}

// TestAddEntry: "add another" shows one more entry of a list and stores
// nothing; entries typed are then offered.
func TestAddEntry(t *testing.T) {
	f := newFixture(t)
	base := url.Values{"vct": {hlVCT}, "/assessed_on": {"2026-11-01"}, "/vaccinations/0/disease_target": {"measles"}, "/vaccinations/0/up_to_date": {"yes"}}
	form := url.Values{"add": {"/vaccinations"}}
	for k, v := range base {
		form[k] = v
	}
	page := f.do("POST", "/desk/relief/offer", form, "").Body.String()
	if !strings.Contains(page, `name="/vaccinations/1/disease_target"`) || !strings.Contains(page, `name="n:/vaccinations" value="2"`) {
		t.Fatalf("no second entry:\n%s", page)
	}
	base.Set("n:/vaccinations", "2")
	base.Set("/vaccinations/1/disease_target", "polio")
	base.Set("/vaccinations/1/up_to_date", "no")
	rec := f.do("POST", "/desk/relief/offer", base, "")
	if rec.Code != http.StatusCreated {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestDeskRoutes(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		method, target string
		code           int
	}{
		{"GET", "/desk/", http.StatusSeeOther},
		{"GET", "/desk/nowhere/", http.StatusNotFound},
		{"GET", "/desk/relief/nothing", http.StatusNotFound},
		{"GET", "/desk/relief/offer?type=urn:x", http.StatusOK},
		{"GET", "/desk/relief/cancel", http.StatusMethodNotAllowed},
	} {
		if rec := f.do(tc.method, tc.target, nil, ""); rec.Code != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.target, rec.Code, tc.code)
		}
	}
}

// TestFormatChoice: a type the issuer offers as jpt too has a labelled
// format choice, SD-JWT VC chosen by default, in every language; other
// types have none. Choosing jpt makes a jpt offer; jpt for a type without
// it, or an unknown format, is refused and stores nothing.
func TestFormatChoice(t *testing.T) {
	f := newFixture(t, regVCT)
	hint := map[string]string{"en": "cannot be revoked", "fr": "ne peut pas être révoquée", "ar": "ولا يمكن إلغاؤها", "uk": "не можна відкликати"}
	for _, lang := range []string{"en", "fr", "ar", "uk"} {
		page := f.do("GET", "/desk/relief/offer?type="+url.QueryEscape(regVCT), nil, lang).Body.String()
		sel := between(page, `<select id="format" name="format" aria-describedby="format-hint">`, "</select>")
		if !strings.Contains(page, `<label for="format">`) || !strings.Contains(sel, `<option value="dc&#43;sd-jwt" selected>`) || !strings.Contains(sel, `<option value="jpt">`) {
			t.Fatalf("%s: no format choice with SD-JWT VC chosen:\n%s", lang, page)
		}
		if !strings.Contains(page, `id="format-hint">`) || !strings.Contains(between(page, `id="format-hint">`, "<"), template.HTMLEscapeString(hint[lang])) {
			t.Errorf("%s: hint %q", lang, between(page, `id="format-hint">`, "<"))
		}
		if u := unlabelled(page); len(u) > 0 {
			t.Errorf("%s: unlabelled controls %v", lang, u)
		}
		if strings.Contains(page, "<script>") || strings.Contains(page, " onchange=") {
			t.Errorf("%s: inline script", lang)
		}
	}
	if page := f.do("GET", "/desk/relief/offer?type="+url.QueryEscape(idVCT), nil, "").Body.String(); strings.Contains(page, `name="format"`) {
		t.Error("a format choice for a type offered as SD-JWT VC only")
	}
	reg := url.Values{"vct": {regVCT}, "/registration_id": {"REG-77"}, "/registration_date": {"2026-11-30"}, "/registration_place/country": {"LB"}}
	with := func(v url.Values, k, x string) url.Values {
		out := url.Values{}
		for a, b := range v {
			out[a] = b
		}
		out.Set(k, x)
		return out
	}
	configOf := func(page string) string {
		t.Helper()
		_, id, _ := strings.Cut(between(page, "credential_offer_uri=", "<"), "%2Foffers%2F")
		so, err := f.svc.GetOffer(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return so.ConfigurationID
	}
	// Refused: nothing stored.
	for _, form := range []url.Values{
		with(reg, "format", "ldp_vc"),
		with(with(url.Values{"vct": {idVCT}, "/family_name": {"Haddad"}, "/given_name": {"Amina"}}, "vct", idVCT), "format", "jpt"),
	} {
		rec := f.do("POST", "/desk/relief/offer", form, "fr")
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Choisissez un des formats proposés.") {
			t.Errorf("format %s of %s: %d\n%s", form.Get("format"), form.Get("vct"), rec.Code, rec.Body)
		}
	}
	if offers, _ := f.svc.Offers(context.Background(), false); len(offers) != 0 {
		t.Fatalf("refused forms stored offers: %+v", offers)
	}
	// The default, then jpt.
	rec := f.do("POST", "/desk/relief/offer", reg, "")
	if rec.Code != http.StatusCreated || strings.HasSuffix(configOf(rec.Body.String()), issuer.JPTSuffix) || strings.Contains(rec.Body.String(), "jpt") {
		t.Fatalf("default offer: %d %s", rec.Code, configOf(rec.Body.String()))
	}
	rec = f.do("POST", "/desk/relief/offer", with(reg, "format", "jpt"), "uk")
	page := rec.Body.String()
	if rec.Code != http.StatusCreated || !strings.HasSuffix(configOf(page), issuer.JPTSuffix) {
		t.Fatalf("jpt offer: %d %s\n%s", rec.Code, configOf(page), page)
	}
	if !strings.Contains(page, template.HTMLEscapeString("jpt: без зв'язування, експериментальний")) {
		t.Errorf("the offer page does not say the format:\n%s", page)
	}
	// Kept on a refused form: the choice stays jpt.
	rec = f.do("POST", "/desk/relief/offer", with(with(reg, "format", "jpt"), "/household_size", "four"), "")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `<option value="jpt" selected>`) {
		t.Errorf("the format choice was not kept: %d", rec.Code)
	}
}

// TestJPTTypesMustBeOffered: an office's jpt types are among its types.
func TestJPTTypesMustBeOffered(t *testing.T) {
	cat, _ := schemas.Load()
	f := newFixture(t)
	if _, err := New(Config{Catalogue: cat, Offices: []Office{{Slug: "relief", Names: map[string]string{"en": "R"}, Admin: f.svc, Types: []string{idVCT}, JPT: []string{regVCT}}}}); err == nil {
		t.Fatal("jpt for a type the office does not offer was accepted")
	}
}
