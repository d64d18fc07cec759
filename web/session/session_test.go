package session

import (
	"bytes"
	"crypto/tls"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func newManager(t *testing.T, now *time.Time) *Manager {
	t.Helper()
	m, err := New(Config{Key: bytes.Repeat([]byte{7}, 32), Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if FromContext(r.Context()) == nil {
			http.Error(w, "no session", 500)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// start returns a session cookie and its token from a GET.
func start(t *testing.T, h http.Handler, tlsOn bool) (*http.Cookie, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "http://desk.example/", nil)
	if tlsOn {
		req.TLS = &tls.ConnectionState{}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	cs := rec.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	m := newManager(t, &t0)
	id, _, ok := m.decode(cs[0].Value)
	if !ok {
		t.Fatal("cookie does not decode")
	}
	return cs[0], m.session(id, t0, false).CSRFToken()
}

func TestCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		tls    bool
		name   string
		secure bool
	}{{false, CookieName, false}, {true, SecureCookieName, true}} {
		now := t0
		h := newManager(t, &now).Middleware(okHandler())
		c, _ := start(t, h, tc.tls)
		if c.Name != tc.name || c.Secure != tc.secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
			t.Errorf("tls %v: cookie %+v", tc.tls, c)
		}
		// a valid cookie is kept: no new one on the next GET
		req := httptest.NewRequest("GET", "http://desk.example/", nil)
		if tc.tls {
			req.TLS = &tls.ConnectionState{}
		}
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if n := len(rec.Result().Cookies()); n != 0 {
			t.Errorf("tls %v: a valid session got %d new cookies", tc.tls, n)
		}
	}
}

func TestCSRF(t *testing.T) {
	now := t0
	m := newManager(t, &now)
	h := m.Middleware(okHandler())
	c, token := start(t, h, false)
	other, otherToken := start(t, h, false)
	tampered := *c
	tampered.Value = strings.Replace(c.Value, c.Value[:3], "AAA", 1)

	form := func(tok string) (string, string) {
		return "application/x-www-form-urlencoded", url.Values{"csrf": {tok}, "x": {"1"}}.Encode()
	}
	multi := func(tok string) (string, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.WriteField("csrf", tok)
		fw, _ := w.CreateFormFile("photo", "qr.png")
		fw.Write([]byte("png"))
		w.Close()
		return w.FormDataContentType(), b.String()
	}
	type req struct {
		name    string
		method  string
		cookie  *http.Cookie
		header  map[string]string
		body    func() (string, string)
		advance time.Duration
		want    int
	}
	for _, tc := range []req{
		{"header token", "POST", c, map[string]string{HeaderName: token}, nil, 0, 204},
		{"form token", "POST", c, nil, func() (string, string) { return form(token) }, 0, 204},
		{"multipart token", "POST", c, nil, func() (string, string) { return multi(token) }, 0, 204},
		{"same-origin headers", "DELETE", c, map[string]string{HeaderName: token, "Origin": "http://desk.example", "Sec-Fetch-Site": "same-origin"}, nil, 0, 204},
		{"no cookie", "POST", nil, map[string]string{HeaderName: token}, nil, 0, 403},
		{"no token", "POST", c, nil, nil, 0, 403},
		{"empty form token", "POST", c, nil, func() (string, string) { return form("") }, 0, 403},
		{"wrong token", "POST", c, map[string]string{HeaderName: token + "x"}, nil, 0, 403},
		{"other session's token", "POST", c, map[string]string{HeaderName: otherToken}, nil, 0, 403},
		{"other session with own token", "PUT", other, map[string]string{HeaderName: otherToken}, nil, 0, 204},
		{"tampered cookie", "POST", &tampered, map[string]string{HeaderName: token}, nil, 0, 403},
		{"expired session", "POST", c, map[string]string{HeaderName: token}, nil, DefaultMaxAge + time.Second, 403},
		{"cross-site origin", "POST", c, map[string]string{HeaderName: token, "Origin": "https://evil.example"}, nil, 0, 403},
		{"https origin on http", "POST", c, map[string]string{HeaderName: token, "Origin": "https://desk.example"}, nil, 0, 403},
		{"null origin", "POST", c, map[string]string{HeaderName: token, "Origin": "null"}, nil, 0, 403},
		{"null origin, same-origin fetch", "POST", c, map[string]string{HeaderName: token, "Origin": "null", "Sec-Fetch-Site": "same-origin"}, nil, 0, 204},
		{"cross-site fetch", "POST", c, map[string]string{HeaderName: token, "Sec-Fetch-Site": "cross-site"}, nil, 0, 403},
		{"same-site fetch", "POST", c, map[string]string{HeaderName: token, "Sec-Fetch-Site": "same-site"}, nil, 0, 403},
		{"json without header", "POST", c, map[string]string{"Content-Type": "application/json"}, nil, 0, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now = t0.Add(tc.advance)
			defer func() { now = t0 }()
			var body string
			ct := ""
			if tc.body != nil {
				ct, body = tc.body()
			}
			r := httptest.NewRequest(tc.method, "http://desk.example/desk/offer", strings.NewReader(body))
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if tc.cookie != nil {
				r.AddCookie(tc.cookie)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d (%s)", rec.Code, tc.want, rec.Body)
			}
			if tc.want == 403 && !strings.Contains(rec.Body.String(), `"code":"csrf"`) {
				t.Errorf("body %s", rec.Body)
			}
			if tc.want == 403 && len(rec.Result().Cookies()) != 0 {
				t.Error("a refused request set a cookie")
			}
		})
	}
}

func TestNewRefusesShortKey(t *testing.T) {
	if _, err := New(Config{Key: make([]byte, 31)}); err != ErrKey {
		t.Fatalf("err %v", err)
	}
}

// TestRenew: a renewed session has a new id and token, its cookie keeps
// the attributes, and the old id is reported for the caller to forget.
func TestRenew(t *testing.T) {
	now := t0
	m := newManager(t, &now)
	for _, tlsOn := range []bool{false, true} {
		c, token := start(t, m.Middleware(okHandler()), tlsOn)
		var renewed *Session
		var old string
		h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var err error
			if renewed, old, err = m.Renew(w, r); err != nil {
				t.Fatal(err)
			}
		}))
		r := httptest.NewRequest("POST", "http://desk.example/signin/", nil)
		if tlsOn {
			r.TLS = &tls.ConnectionState{}
		}
		r.Header.Set(HeaderName, token)
		r.AddCookie(c)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		cs := rec.Result().Cookies()
		if len(cs) != 1 || cs[0].Value == c.Value || cs[0].Name != c.Name || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode || cs[0].Secure != tlsOn {
			t.Fatalf("tls %v: renewed cookie %+v (was %+v)", tlsOn, cs, c)
		}
		id, _, _ := m.decode(c.Value)
		if old != b64.EncodeToString(id) || renewed.ID == old || renewed.CSRFToken() == token || !renewed.New {
			t.Errorf("tls %v: old %q renewed %+v", tlsOn, old, renewed)
		}
	}
}

// TestSecureBehindProxy: with Config.Secure a plain-http request (from a
// TLS-terminating proxy) gets the Secure __Host- cookie, and an http
// Origin counts as another site.
func TestSecureBehindProxy(t *testing.T) {
	m, err := New(Config{Key: bytes.Repeat([]byte{7}, 32), Now: func() time.Time { return t0 }, Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Middleware(okHandler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://desk.example/", nil))
	cs := rec.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != SecureCookieName || !cs[0].Secure {
		t.Fatalf("cookies %+v", cs)
	}
	id, _, _ := m.decode(cs[0].Value)
	token := m.session(id, t0, false).CSRFToken()
	for origin, want := range map[string]int{"https://desk.example": 204, "http://desk.example": 403} {
		r := httptest.NewRequest("POST", "http://desk.example/x", nil)
		r.AddCookie(cs[0])
		r.Header.Set(HeaderName, token)
		r.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != want {
			t.Errorf("Origin %s: %d, want %d", origin, rec.Code, want)
		}
	}
}
