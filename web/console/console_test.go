package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/web"
)

// fakeAPI answers like the verifier's console API and records calls.
type fakeAPI struct{ calls []string }

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls = append(f.calls, r.Method+" "+r.URL.Path+" "+r.URL.Query().Get("lang")+" "+r.Header.Get("Cookie"))
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/result") {
		w.Write([]byte(`{"outcome":"valid","code":"valid","credentials":[{"vct":"urn:cairn:vct:identity-attestation:1","claims":{"family_name":"Haddad","birthdate":"1990-04-02"}}]}`))
		return
	}
	w.Write([]byte(`[]`))
}

func site(t *testing.T, api http.Handler) (http.Handler, []*http.Cookie, string) {
	t.Helper()
	cat, _ := schemas.Load()
	h, err := New(Config{API: api, Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := web.New(web.Config{SessionKey: bytes.Repeat([]byte{2}, 32)})
	s.Mount("/caseworker/", NavLabel, NavDescription, h)
	hh := s.Handler()
	rec := httptest.NewRecorder()
	hh.ServeHTTP(rec, httptest.NewRequest("GET", "/caseworker/", nil))
	page := rec.Body.String()
	_, tok, _ := strings.Cut(page, `<meta name="csrf-token" content="`)
	tok, _, _ = strings.Cut(tok, `"`)
	if rec.Code != 200 || tok == "" || !strings.Contains(page, "console.js") {
		t.Fatalf("page: %d", rec.Code)
	}
	return hh, rec.Result().Cookies(), tok
}

func TestForward(t *testing.T) {
	api := &fakeAPI{}
	h, cookies, tok := site(t, api)
	for _, tc := range []struct {
		method, path string
		token        bool
		code         int
	}{
		{"GET", "/caseworker/api/console/purposes", false, 200},
		{"GET", "/caseworker/api/console/sessions/abc/result?wait=25s", false, 200},
		{"POST", "/caseworker/api/console/sessions", true, 200},
		{"POST", "/caseworker/api/console/sessions/abc/review", true, 200},
		{"POST", "/caseworker/api/console/check?challenge=12", true, 200},
		{"POST", "/caseworker/api/console/sessions", false, 403}, // no CSRF token
		{"GET", "/caseworker/api/healthz", false, 404},
		{"GET", "/caseworker/api/metrics", false, 404},
		{"DELETE", "/caseworker/api/console/sessions/abc/result", true, 404},
		{"GET", "/caseworker/api/console/sessions/%2e%2e/result", false, 404},
	} {
		r := httptest.NewRequest(tc.method, tc.path, strings.NewReader("{}"))
		r.Header.Set("Content-Type", "application/json")
		if tc.token {
			r.Header.Set("X-CSRF-Token", tok)
		}
		for _, c := range cookies {
			r.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.code {
			t.Errorf("%s %s: %d, want %d (%s)", tc.method, tc.path, rec.Code, tc.code, rec.Body)
		}
	}
	for _, c := range api.calls {
		if strings.Contains(c, "cairn_session") {
			t.Errorf("the session cookie reached the API: %s", c)
		}
	}
	// results gain the claims' labels in the page's language
	r := httptest.NewRequest("GET", "/caseworker/api/console/sessions/abc/result?lang=fr", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var res struct {
		Credentials []struct {
			ClaimLabels map[string]string `json:"claim_labels"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || len(res.Credentials) != 1 {
		t.Fatalf("%s %v", rec.Body, err)
	}
	if l := res.Credentials[0].ClaimLabels["family_name"]; l == "" || l == "family_name" {
		t.Errorf("labels %v", res.Credentials[0].ClaimLabels)
	}
}

// overAskingAPI answers a session creation with the desk's over-asking.
type overAskingAPI struct{}

func (overAskingAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	w.Write([]byte(`{"session_id":"abc","over_asking":{"code":"outside_purpose","reason":"claims_outside_purpose","claims":["/birthdate","/no_such_claim"],"message":"m"}}`))
}

// TestOverAskingLabels: the claims of the desk's over-asking reach the
// page with their labels in its language (the pointer's last name for a
// claim no type labels).
func TestOverAskingLabels(t *testing.T) {
	h, cookies, tok := site(t, overAskingAPI{})
	r := httptest.NewRequest("POST", "/caseworker/api/console/sessions?lang=fr", strings.NewReader(`{"purpose":"clinic-access"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-CSRF-Token", tok)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var s struct {
		OverAsking struct {
			ClaimLabels map[string]string `json:"claim_labels"`
		} `json:"over_asking"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &s); rec.Code != http.StatusCreated || err != nil {
		t.Fatalf("%d %s %v", rec.Code, rec.Body, err)
	}
	if l := s.OverAsking.ClaimLabels; l["/birthdate"] != "Date de naissance" || l["/no_such_claim"] != "no_such_claim" {
		t.Errorf("labels %v", l)
	}
}
