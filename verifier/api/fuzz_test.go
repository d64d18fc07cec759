package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/verifier"
)

// checkAnswer: whatever a wallet posts, the answer is a 200 {} or a
// {code, message} refusal below 500.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Code == http.StatusOK {
		return
	}
	var e server.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
		t.Fatalf("status %d, body %q is not {code, message}", rec.Code, rec.Body)
	}
}

// FuzzResponseEndpoint posts arbitrary bodies to /response/{id} of a live
// direct_post.jwt session: never a 500, and a garbled body consumes
// nothing.
func FuzzResponseEndpoint(f *testing.F) {
	w := newWorld(f)
	h, err := newPublic(w)
	if err != nil {
		f.Fatal(err)
	}
	req, err := w.svc.CreateSession(context.Background(), "clinic-access", verifier.CreateOptions{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "response=", "response=eyJ.a.b.c.d", "vp_token={}&state=x", "error=access_denied", "state=a&state=b", "%zz", strings.Repeat("a=b&", 100)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/response/"+req.SessionID, strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(rec, r)
		checkAnswer(t, rec)
		if rec.Code == http.StatusOK {
			t.Fatalf("a fuzzed body was accepted: %q", body)
		}
	})
}

// FuzzVPToken posts arbitrary vp_token values with the right state to
// fresh direct_post sessions: parsed and verified or refused, never a
// 500, and every stored result has a code with a message.
func FuzzVPToken(f *testing.F) {
	w := newWorld(f)
	h, err := newPublic(w)
	if err != nil {
		f.Fatal(err)
	}
	cred := w.issue(f, credOpts{idx: -1})
	for _, s := range []string{`{}`, `{"identity":[]}`, `{"identity":["` + cred + `"]}`, `{"identity":["a~b~"]}`, `{"identity":[{"a":1}]}`, `[]`, `{"identity":["x"],"identity":["y"]}`, `"` + cred + `"`} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, tok string) {
		req, err := w.svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{ResponseMode: "direct_post"})
		if err != nil {
			t.Fatal(err)
		}
		state, _ := w.svc.SessionState(ctx, req.SessionID)
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/response/"+req.SessionID, strings.NewReader(url.Values{"vp_token": {tok}, "state": {state}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(rec, r)
		checkAnswer(t, rec)
		if rec.Code == http.StatusOK {
			res, err := w.svc.Result(ctx, req.SessionID)
			if err != nil || res.Code == "" || verifier.Message(res.Code, "en") == "" {
				t.Fatalf("stored result %+v %v", res, err)
			}
			if res.Code == verifier.CodeValid {
				t.Fatalf("a fuzzed vp_token verified: %q", tok)
			}
		}
	})
}
