package walletpage

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/web"
)

// TestScriptStrings: every text wallet.js shows is sent to it translated.
func TestScriptStrings(t *testing.T) {
	js, err := fs.ReadFile(web.Static(), "wallet.js")
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`\bt\(("(?:[^"\\]|\\.)*")`).FindAllStringSubmatch(string(js), -1)
	if len(keys) < 30 {
		t.Fatalf("only %d texts found", len(keys))
	}
	for _, m := range keys {
		k, _ := strconv.Unquote(m[1])
		if !slices.Contains(scriptStrings, k) {
			t.Errorf("wallet.js shows %q, which the page does not send", k)
		}
	}
}

// fakeAgent answers like the wallet agent and records what it got.
type fakeAgent struct{ got []*http.Request }

func (f *fakeAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.got = append(f.got, r)
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v1/holders":
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"holder_id":"h-1","recovery_code":"RC-SECRET-CODE"}`)
	case "/v1/sessions":
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"token":"BEARER-SECRET","holder_id":"h-1","expires_at":"`+time.Now().Add(15*time.Minute).UTC().Format(time.RFC3339)+`"}`)
	default:
		io.WriteString(w, `{"credentials":[]}`)
	}
}

func TestCookiesAndForwarding(t *testing.T) {
	agent := &fakeAgent{}
	h, err := New(Config{API: agent, Key: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := web.New(web.Config{SessionKey: bytes.Repeat([]byte{2}, 32)})
	s.Mount("/wallet/", NavLabel, NavDescription, h)
	site := s.Handler()
	jar := map[string]*http.Cookie{}
	do := func(method, path, body string, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set("X-CSRF-Token", token)
		}
		for _, c := range jar {
			r.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, r)
		for _, c := range rec.Result().Cookies() {
			if c.MaxAge < 0 {
				delete(jar, c.Name)
			} else {
				jar[c.Name] = c
			}
		}
		return rec
	}
	page := do("GET", "/wallet/", "", "").Body.String()
	_, tok, _ := strings.Cut(page, `<meta name="csrf-token" content="`)
	tok, _, _ = strings.Cut(tok, `"`)
	if !strings.Contains(page, `data-state="new"`) {
		t.Fatal("a new browser is not in state new")
	}
	rec := do("POST", "/wallet/create", `{"pin":"2468","lang":"en"}`, tok)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), "RC-SECRET-CODE") {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	for _, name := range []string{DeviceCookie, TokenCookie} {
		c := jar[name]
		if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/wallet/" {
			t.Fatalf("cookie %s: %+v", name, c)
		}
		if strings.Contains(c.Value, "BEARER") || strings.Contains(c.Value, "h-1") {
			t.Errorf("cookie %s is not sealed: %s", name, c.Value)
		}
	}
	page = do("GET", "/wallet/", "", "").Body.String()
	if !strings.Contains(page, `data-state="open"`) || strings.Contains(page, "BEARER-SECRET") || strings.Contains(page, "RC-SECRET") {
		t.Fatalf("the open page shows a secret or the wrong state")
	}
	// a forwarded call carries the bearer token; the page's cookies stay here
	agent.got = nil
	if rec := do("GET", "/wallet/api/v1/credentials", "", ""); rec.Code != 200 {
		t.Fatalf("forward: %d %s", rec.Code, rec.Body)
	}
	if len(agent.got) != 1 || agent.got[0].Header.Get("Authorization") != "Bearer BEARER-SECRET" || agent.got[0].Header.Get("Cookie") != "" {
		t.Fatalf("forwarded %+v", agent.got)
	}
	for _, tc := range []struct{ method, path string }{
		{"POST", "/wallet/api/v1/holders"}, {"POST", "/wallet/api/v1/recover"}, {"DELETE", "/wallet/api/v1/holder"},
		{"GET", "/wallet/api/metrics"}, {"GET", "/wallet/api/v1/credentials/../holder"}, {"POST", "/wallet/api/v1/import"},
	} {
		agent.got = nil
		if rec := do(tc.method, tc.path, "{}", tok); rec.Code != http.StatusNotFound || len(agent.got) != 0 {
			t.Errorf("%s %s: %d, reached the agent %d times", tc.method, tc.path, rec.Code, len(agent.got))
		}
	}
	// without the CSRF token nothing that changes state goes through
	agent.got = nil
	if rec := do("POST", "/wallet/api/v1/offers", `{"offer":"x"}`, ""); rec.Code != http.StatusForbidden || len(agent.got) != 0 {
		t.Errorf("no token: %d", rec.Code)
	}
	// a tampered token cookie is no session
	jar[TokenCookie] = &http.Cookie{Name: TokenCookie, Value: "AAAA" + jar[TokenCookie].Value[4:]}
	if rec := do("GET", "/wallet/api/v1/credentials", "", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("tampered: %d", rec.Code)
	}
}
