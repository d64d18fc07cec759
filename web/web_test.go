package web

import (
	"bytes"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	scriptTag = regexp.MustCompile(`<script([^>]*)>([^<]*)</script>`)
	handler   = regexp.MustCompile(`\son[a-z]+\s*=`)
)

// inlineScript returns the first inline script of a page: a script
// element without src or with content, or an event handler attribute.
func inlineScript(page string) string {
	for _, m := range scriptTag.FindAllStringSubmatch(page, -1) {
		if !strings.Contains(m[1], " src=") || strings.TrimSpace(m[2]) != "" {
			return m[0]
		}
	}
	if strings.Count(page, "<script") != len(scriptTag.FindAllString(page, -1)) {
		return "a script element the check cannot read"
	}
	return handler.FindString(page)
}

func testSite(t *testing.T) http.Handler {
	t.Helper()
	s, err := New(Config{SessionKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	s.Mount("/echo/", "Issuer desk", "Make offers of credentials and cancel pending ones.", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	return s.Handler()
}

func get(t *testing.T, h http.Handler, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	h := testSite(t)
	for _, target := range []string{"/", "/static/cairn.css", "/static/cairn.js", "/echo/x", "/nowhere", "/static/nothing.js"} {
		rec := get(t, h, target, nil)
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", target, csp)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", target, rec.Header())
		}
	}
}

func TestHomeLanguages(t *testing.T) {
	h := testSite(t)
	for _, tc := range []struct {
		target string
		header map[string]string
		lang   string
		dir    string
		text   string
	}{
		{"/", nil, "en", "ltr", "Choose a page."},
		{"/", map[string]string{"Accept-Language": "fr-CA,fr;q=0.9"}, "fr", "ltr", "Choisissez une page."},
		{"/?lang=ar", nil, "ar", "rtl", "اختر صفحة."},
		{"/?lang=uk", map[string]string{"Accept-Language": "fr"}, "uk", "ltr", "Виберіть сторінку."},
		{"/", map[string]string{"Cookie": LangCookie + "=ar"}, "ar", "rtl", "مكتب الإصدار"},
	} {
		rec := get(t, h, tc.target, tc.header)
		body := rec.Body.String()
		if rec.Code != 200 || !strings.Contains(body, `<html lang="`+tc.lang+`" dir="`+tc.dir+`">`) || !strings.Contains(body, tc.text) {
			t.Errorf("%s %v: %d, want lang %s dir %s and %q:\n%s", tc.target, tc.header, rec.Code, tc.lang, tc.dir, tc.text, body)
		}
		if s := inlineScript(body); s != "" {
			t.Errorf("%s: inline script in the page: %s", tc.target, s)
		}
	}
	// the switcher remembers the choice
	rec := get(t, h, "/?lang=fr", nil)
	var found bool
	for _, c := range rec.Result().Cookies() {
		if c.Name == LangCookie && c.Value == "fr" && c.SameSite == http.SameSiteStrictMode {
			found = true
		}
	}
	if !found {
		t.Errorf("no language cookie: %v", rec.Result().Cookies())
	}
}

func TestStatic(t *testing.T) {
	h := testSite(t)
	for _, tc := range []struct {
		target, ctype string
		code          int
	}{
		{"/static/cairn.css", "text/css", 200},
		{"/static/cairn.js", "javascript", 200},
		{"/static/../web.go", "", 404},
		{"/static/", "", 404},
	} {
		rec := get(t, h, tc.target, nil)
		if rec.Code != tc.code || !strings.Contains(rec.Header().Get("Content-Type"), tc.ctype) {
			t.Errorf("%s: %d %q", tc.target, rec.Code, rec.Header().Get("Content-Type"))
		}
		if tc.code == 200 && len(rec.Result().Cookies()) != 0 {
			t.Errorf("%s: a static file set a cookie", tc.target)
		}
	}
	r := httptest.NewRequest("POST", "/static/cairn.css", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST static: %d", rec.Code)
	}
	if a := Asset("cairn.css"); !strings.HasPrefix(a, "/static/cairn.css?v=") || len(a) < len("/static/cairn.css?v=")+8 {
		t.Errorf("Asset %q", a)
	}
}

// TestFormWithoutTokenRefused: a form post without the session's token
// gets the "form has expired" page and never reaches the handler.
func TestFormWithoutTokenRefused(t *testing.T) {
	h := testSite(t)
	first := get(t, h, "/", map[string]string{"Accept-Language": "fr"})
	cookies := first.Result().Cookies()
	r := httptest.NewRequest("POST", "/echo/x", strings.NewReader(url.Values{"a": {"b"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept-Language", "fr")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "Ce formulaire a expiré") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	// with the token from the page's meta element it goes through
	tok := between(first.Body.String(), `<meta name="csrf-token" content="`, `"`)
	r = httptest.NewRequest("POST", "/echo/x", strings.NewReader(url.Values{"csrf": {tok}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusNoContent {
		t.Errorf("with the token: %d %s", rec.Code, rec.Body)
	}
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

// TestIsolatedValues: names and ids inserted into a sentence are
// isolated (UAX #9): <bdi> in text, FSI…PDI in attributes, escaped; the
// signed-in operator's Latin name on an Arabic page is in a <bdi>.
func TestIsolatedValues(t *testing.T) {
	v := &View{Lang: "ar"}
	if got, want := v.TB("Signed in as %s", `desk-<b>"x"`), template.HTML("مسجّل الدخول باسم <bdi>desk-&lt;b&gt;&#34;x&#34;</bdi>"); got != want {
		t.Errorf("TB = %q, want %q", got, want)
	}
	if got := (&View{Lang: "en"}).TB("May issue (%d)", 3); got != "May issue (3)" {
		t.Errorf("TB of a number = %q", got)
	}
	if got := (&View{Lang: "en"}).TB("Tom & Jerry"); got != "Tom &amp; Jerry" {
		t.Errorf("TB without arguments = %q", got)
	}
	if got := (&View{Lang: "en"}).TI("QR code of the offer %s", "ab12"); got != "QR code of the offer \u2068ab12\u2069" {
		t.Errorf("TI = %q", got)
	}
	r := httptest.NewRequest("GET", "/x?lang=ar", nil)
	r = r.WithContext(WithOperator(r.Context(), "desk-clinic", "/signin/out"))
	rec := httptest.NewRecorder()
	ErrorPage(rec, r, http.StatusForbidden, "Not for this account", "Your account does not act for this office.")
	body := rec.Body.String()
	if !strings.Contains(body, `dir="rtl"`) || !strings.Contains(body, "مسجّل الدخول باسم <bdi>desk-clinic</bdi>") {
		t.Errorf("the Arabic page's sign-out bar:\n%s", body)
	}
}
