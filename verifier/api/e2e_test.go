package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/verifier"
)

// TestEndToEnd runs a Go wallet against the verifier over HTTP, one case
// per outcome, each with its own code.
func TestEndToEnd(t *testing.T) {
	w := newWorld(t)
	type tc struct {
		name  string
		mode  string
		setup func(wl *wallet)
		want  verifier.Code
	}
	cases := []tc{
		{"valid", "", func(wl *wallet) { wl.creds = []string{w.issue(t, credOpts{idx: 3})} }, verifier.CodeValid},
		{"valid, direct_post", "direct_post", func(wl *wallet) { wl.creds = []string{w.issue(t, credOpts{idx: 3})} }, verifier.CodeValid},
		{"valid, two credentials of one holder", "", func(wl *wallet) {
			wl.creds = []string{w.issue(t, credOpts{idx: 3}), w.issue(t, credOpts{by: w.clinic, vct: vctReg, iat: tLate.Add(24 * time.Hour), idx: -1})}
		}, verifier.CodeValid},
		{"untrusted issuer", "", func(wl *wallet) { wl.creds = []string{w.issue(t, credOpts{by: w.stranger, idx: -1})} }, "untrusted_issuer"},
		{"issuer not authorized for the type at iat", "", func(wl *wallet) {
			wl.creds = []string{w.issue(t, credOpts{by: w.clinic, vct: vctReg, iat: tLate.Add(-24 * time.Hour), idx: -1})}
		}, "issuer_not_authorized"},
		{"revoked", "", func(wl *wallet) { wl.creds = []string{w.issue(t, credOpts{idx: 7})} }, "revoked"},
		{"revoked beside one whose status is unknown", "", func(wl *wallet) {
			wl.creds = []string{w.issue(t, credOpts{idx: 3, listURI: w.status.URL + "/down/1"}), w.issue(t, credOpts{idx: 7})}
		}, "revoked"},
		{"suspended", "", func(wl *wallet) { wl.creds = []string{w.issue(t, credOpts{idx: 9})} }, "suspended"},
		{"expired", "", func(wl *wallet) {
			wl.creds = []string{w.issue(t, credOpts{idx: -1, iat: tNow.Add(-60 * 24 * time.Hour), exp: tNow.Add(-24 * time.Hour)})}
		}, "expired"},
		{"status unreachable", "", func(wl *wallet) { wl.creds = []string{w.issue(t, credOpts{idx: 3, listURI: w.status.URL + "/down/1"})} }, "status_unavailable"},
		{"wrong nonce", "", func(wl *wallet) { wl.creds = []string{w.issue(t, credOpts{idx: -1})}; wl.nonce = "another-nonce" }, "nonce_mismatch"},
		{"KB aud without the prefix", "", func(wl *wallet) { wl.creds = []string{w.issue(t, credOpts{idx: -1})}; wl.aud = w.verifierKey.DIDJWK() }, verifier.CodeKBAudienceNoPrefix},
		{"KB aud of another verifier", "", func(wl *wallet) {
			wl.creds = []string{w.issue(t, credOpts{idx: -1})}
			wl.aud = "decentralized_identifier:" + w.stranger.DIDJWK()
		}, "audience_mismatch"},
		{"vp_token answering a different query", "", func(wl *wallet) {
			wl.creds = []string{w.issue(t, credOpts{idx: -1})}
			wl.token = func(v oid4vp.VPToken) oid4vp.VPToken { return oid4vp.VPToken{"passport": v["identity"]} }
		}, verifier.CodeQueryNotSatisfied},
		{"two credentials bound to different holders", "", func(wl *wallet) {
			wl.creds = []string{w.issue(t, credOpts{idx: -1}), w.issue(t, credOpts{idx: -1, holder: w.holder2})}
			wl.holderOf = func(i int) *keys.PrivateKey {
				if i == 1 {
					return w.holder2
				}
				return w.holder
			}
		}, verifier.CodeHolderMismatch},
		{"names disagree", "", func(wl *wallet) {
			wl.creds = []string{w.issue(t, credOpts{idx: -1}), w.issue(t, credOpts{idx: -1, claims: map[string]any{"family_name": "Hadad", "given_name": "Amina", "birthdate": "1990-04-02"}})}
		}, verifier.CodeIdentityMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wl := &wallet{t: t, w: w}
			c.setup(wl)
			s := w.createSession(t, "clinic-access", c.mode)
			req, code, err := wl.fetch(s.URI)
			if err != nil || code != http.StatusOK {
				t.Fatalf("fetch: %d %v", code, err)
			}
			st, b := post(t, req.ResponseURI, wl.answer(req))
			if st != http.StatusOK || strings.TrimSpace(string(b)) != "{}" {
				t.Fatalf("post: %d %s", st, b)
			}
			st, res, b := w.result(t, s.SessionID, "?lang=fr")
			if st != http.StatusOK {
				t.Fatalf("result: %d %s", st, b)
			}
			if res.Code != c.want {
				t.Fatalf("code %q, want %q (%s)", res.Code, c.want, b)
			}
			if res.Message != verifier.Message(c.want, "fr") || res.Message == "" {
				t.Errorf("message %q", res.Message)
			}
			if c.want == verifier.CodeValid {
				if res.Outcome != verifier.OutcomeValid || res.HolderKey != w.holder.PublicJWK().Thumbprint() || len(res.Facts) != len(wl.creds) {
					t.Errorf("valid result: %s", b)
				}
				cr := res.Credentials[0]
				if cr.Claims["family_name"] != "Haddad" || cr.Claims["place_of_birth"] != nil {
					t.Errorf("kept claims %v: want the query's only", cr.Claims)
				}
				if cr.Evidence == nil || cr.Evidence.Strength != 2 || cr.EvidenceDeclared == nil || cr.EvidenceDeclared.Strength != 3 {
					t.Errorf("evidence not capped by the registry: %+v %+v", cr.Evidence, cr.EvidenceDeclared)
				}
				var a struct {
					Policy string `json:"policy"`
					Met    *struct {
						Name string `json:"name"`
					} `json:"met"`
					EIDAS string `json:"eidas"`
				}
				if err := json.Unmarshal(res.Assurance, &a); err != nil || a.Policy != "basic-services" || a.Met == nil || a.EIDAS != "low" {
					t.Errorf("assurance %s (%v), note %q: want basic-services met, eIDAS low", res.Assurance, err, res.AssuranceNote)
				}
			}
			if c.want == "status_unavailable" && res.Outcome != verifier.OutcomeUndetermined {
				t.Errorf("unreachable status reads as %q, want undetermined", res.Outcome)
			}
			// A status that could not be checked does not hide the
			// assessment: it is made, provisional, and said so in the
			// result's language; a definite failure (revoked, expired,
			// untrusted …) gets none.
			var a struct {
				Met *struct {
					Profile string `json:"profile"`
				} `json:"met"`
			}
			switch {
			case c.want == "status_unavailable":
				if err := json.Unmarshal(res.Assurance, &a); err != nil || a.Met == nil || !res.AssuranceProvisional ||
					res.AssuranceProvisionalNote != fmt.Sprintf("Provisoire : satisfait au profil %s si le statut est confirmé. La révocation n'a pas pu être vérifiée ; vérifiez à nouveau avant de vous y fier.", a.Met.Profile) {
					t.Errorf("status unknown: assurance %s provisional %v %q", res.Assurance, res.AssuranceProvisional, res.AssuranceProvisionalNote)
				}
				if cr := res.Credentials[0]; cr.Code != "status_unavailable" || cr.Claims["family_name"] != "Haddad" || len(res.Facts) != 1 {
					t.Errorf("status unknown: credential %+v, facts %d", cr, len(res.Facts))
				}
			case c.want != verifier.CodeValid && c.want != verifier.CodeIdentityMismatch:
				if len(res.Assurance) > 0 || res.AssuranceProvisional || len(res.Facts) > 0 {
					t.Errorf("%s: assessed anyway: %s", c.want, res.Assurance)
				}
			}
			if c.want == verifier.CodeHolderMismatch {
				for _, cr := range res.Credentials {
					if cr.Code != verifier.CodeHolderMismatch {
						t.Errorf("credential %d: %q; both must be refused together", cr.Index, cr.Code)
					}
				}
			}
			if strings.Contains(string(b), "Aleppo") {
				t.Error("a claim the query did not ask for is in the result")
			}
		})
	}
}

// TestDisclosedBeyondQuery: a wallet discloses place_of_birth too; the
// result drops it and counts it.
func TestDisclosedBeyondQuery(t *testing.T) {
	w := newWorld(t)
	wl := &wallet{t: t, w: w, creds: []string{w.issue(t, credOpts{idx: -1})}}
	s := w.createSession(t, "clinic-access", "")
	req, _, err := wl.fetch(s.URI)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sdjwtvc.Present(wl.creds[0], w.holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name", "/birthdate", "/place_of_birth"},
		Audience: oid4vp.KBAudience(req.ClientID), Nonce: req.Nonce, Now: w.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	form, _ := (&oid4vp.Response{VPToken: oid4vp.VPToken{"identity": {p}}, State: req.State}).EncryptedForm(req, nil)
	if st, b := post(t, req.ResponseURI, form); st != http.StatusOK {
		t.Fatalf("%d %s", st, b)
	}
	_, res, b := w.result(t, s.SessionID, "")
	if res.Code != verifier.CodeValid || res.DroppedClaims != 1 || strings.Contains(string(b), "Aleppo") {
		t.Errorf("dropped %d: %s", res.DroppedClaims, b)
	}
}

// TestSessionRefusals: request_uri fetched twice, a replayed response, a
// response to an expired session, an unencrypted answer where encryption
// was asked, a wrong state.
func TestSessionRefusals(t *testing.T) {
	w := newWorld(t)
	cred := w.issue(t, credOpts{idx: -1})

	t.Run("request_uri fetched twice", func(t *testing.T) {
		s := w.createSession(t, "clinic-access", "")
		wl := &wallet{t: t, w: w, creds: []string{cred}}
		if _, _, err := wl.fetch(s.URI); err != nil {
			t.Fatal(err)
		}
		_, code, err := wl.fetch(s.URI)
		if code != http.StatusConflict || err == nil || err.Error() != string(verifier.CodeRequestUsed) {
			t.Errorf("second fetch: %d %v", code, err)
		}
	})
	t.Run("request_uri by POST with wallet_nonce", func(t *testing.T) {
		s := w.createSession(t, "clinic-access", "")
		wl := &wallet{t: t, w: w, creds: []string{cred}, walletNonce: "wn-12345"}
		req, _, err := wl.fetch(s.URI)
		if err != nil || req.WalletNonce != "wn-12345" {
			t.Fatalf("%v %+v", err, req)
		}
	})
	t.Run("replayed response", func(t *testing.T) {
		s := w.createSession(t, "clinic-access", "")
		wl := &wallet{t: t, w: w, creds: []string{cred}}
		req, _, _ := wl.fetch(s.URI)
		form := wl.answer(req)
		if st, b := post(t, req.ResponseURI, form); st != http.StatusOK {
			t.Fatalf("%d %s", st, b)
		}
		st, b := post(t, req.ResponseURI, form)
		if st != http.StatusConflict || errorCode(b).Error() != string(verifier.CodeResponseReplay) {
			t.Errorf("replay: %d %s", st, b)
		}
		if _, res, _ := w.result(t, s.SessionID, ""); res == nil || res.Code != verifier.CodeValid {
			t.Errorf("the first answer's result must stand: %+v", res)
		}
	})
	t.Run("response to an expired session", func(t *testing.T) {
		s := w.createSession(t, "clinic-access", "")
		wl := &wallet{t: t, w: w, creds: []string{cred}}
		req, _, _ := wl.fetch(s.URI)
		form := wl.answer(req)
		w.clk.Add(verifier.DefaultSessionTTL + time.Second)
		defer w.clk.Add(-(verifier.DefaultSessionTTL + time.Second))
		st, b := post(t, req.ResponseURI, form)
		if st != http.StatusGone || errorCode(b).Error() != string(verifier.CodeSessionExpired) {
			t.Errorf("expired: %d %s", st, b)
		}
		if st, _, b := w.result(t, s.SessionID, ""); st != http.StatusGone {
			t.Errorf("result of an expired session: %d %s", st, b)
		}
	})
	t.Run("unencrypted answer where direct_post.jwt was asked", func(t *testing.T) {
		s := w.createSession(t, "clinic-access", "")
		wl := &wallet{t: t, w: w, creds: []string{cred}}
		req, _, _ := wl.fetch(s.URI)
		req.ResponseMode = oid4vp.ResponseModeDirectPost
		st, b := post(t, req.ResponseURI, wl.answer(req))
		if st != http.StatusBadRequest || errorCode(b).Error() != string(verifier.CodeInvalidResponse) {
			t.Errorf("%d %s", st, b)
		}
		// Nothing was consumed: the right answer is still taken.
		req.ResponseMode = oid4vp.ResponseModeDirectPostJWT
		if st, b := post(t, req.ResponseURI, wl.answer(req)); st != http.StatusOK {
			t.Errorf("%d %s", st, b)
		}
	})
	t.Run("wrong state", func(t *testing.T) {
		s := w.createSession(t, "clinic-access", "direct_post")
		wl := &wallet{t: t, w: w, creds: []string{cred}}
		req, _, _ := wl.fetch(s.URI)
		req.State = "not-the-state"
		st, b := post(t, req.ResponseURI, wl.answer(req))
		if st != http.StatusBadRequest || errorCode(b).Error() != string(verifier.CodeStateMismatch) {
			t.Errorf("%d %s", st, b)
		}
	})
	t.Run("unknown session and purpose", func(t *testing.T) {
		if st, _, b := w.result(t, "nope", ""); st != http.StatusNotFound {
			t.Errorf("%d %s", st, b)
		}
		resp, _ := http.Post(w.console.URL+"/console/sessions", "application/json", strings.NewReader(`{"purpose":"nope"}`))
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || errorCode(b).Error() != string(verifier.CodeUnknownPurpose) {
			t.Errorf("%d %s", resp.StatusCode, b)
		}
	})
	t.Run("pending, long-poll and review", func(t *testing.T) {
		s := w.createSession(t, "clinic-access", "")
		if st, _, b := w.result(t, s.SessionID, ""); st != http.StatusAccepted || errorCode(b).Error() != string(verifier.CodeResultPending) {
			t.Fatalf("%d %s", st, b)
		}
		wl := &wallet{t: t, w: w, creds: []string{cred}}
		req, _, _ := wl.fetch(s.URI)
		done := make(chan *verifier.Result)
		go func() {
			_, r, _ := w.result(t, s.SessionID, "?wait=30s")
			done <- r
		}()
		if st, b := post(t, req.ResponseURI, wl.answer(req)); st != http.StatusOK {
			t.Fatalf("%d %s", st, b)
		}
		if r := <-done; r == nil || r.Code != verifier.CodeValid {
			t.Fatalf("long-poll: %+v", r)
		}
		resp, _ := http.Post(w.console.URL+"/console/sessions/"+s.SessionID+"/review", "application/json",
			strings.NewReader(`{"decision":"reject","reason":"photo does not match","caseworker":"cw-3"}`))
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("review: %d %s", resp.StatusCode, rb)
		}
		_, r, _ := w.result(t, s.SessionID, "")
		if r.Code != verifier.CodeValid || r.Review == nil || r.Review.Decision != "reject" || r.Review.Caseworker != "cw-3" {
			t.Errorf("review beside the automated result: %+v %+v", r, r.Review)
		}
	})
}

// TestOfflineImageCheck: a proximity QR (one presentation bound to the
// screen's challenge) uploaded as a PNG is checked against the bundle.
func TestOfflineImageCheck(t *testing.T) {
	w := newWorld(t)
	cred := w.issue(t, credOpts{idx: -1, claims: map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02"}})
	p, err := sdjwtvc.Present(cred, w.holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name"}, Audience: verifier.ProximityAudience, Nonce: "K7P2", Now: w.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	png, err := qr.Encode(p, qr.LevelLow)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		challenge string
		want      verifier.Code
	}{{"K7P2", verifier.CodeValid}, {"ZZZZ", verifier.CodeChallengeNeeded}} {
		resp, err := http.Post(w.console.URL+"/console/check?challenge="+c.challenge, "image/png", bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var r verifier.Result
		_ = json.Unmarshal(b, &r)
		if resp.StatusCode != http.StatusOK || r.Code != c.want || r.BundleAge == "" {
			t.Errorf("challenge %s: %d %s", c.challenge, resp.StatusCode, b)
		}
	}
	// Past the bundle's expiry: refused, unless accepted knowingly.
	w.clk.Add(31 * 24 * time.Hour)
	defer w.clk.Add(-31 * 24 * time.Hour)
	for _, c := range []struct {
		q          string
		wantStatus int
		wantCode   string
	}{{"", http.StatusConflict, string(verifier.CodeBundleStale)}, {"&accept_stale=1", http.StatusOK, ""}} {
		resp, err := http.Post(w.console.URL+"/console/check?challenge=K7P2"+c.q, "image/png", bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var r verifier.Result
		_ = json.Unmarshal(b, &r)
		if resp.StatusCode != c.wantStatus || (c.wantCode != "" && errorCode(b).Error() != c.wantCode) || (c.wantCode == "" && !r.StaleAccepted) {
			t.Errorf("stale%s: %d %s", c.q, resp.StatusCode, b)
		}
	}
}

// TestMetrics: verification outcomes by code.
func TestMetrics(t *testing.T) {
	w := newWorld(t)
	wl := &wallet{t: t, w: w, creds: []string{w.issue(t, credOpts{idx: 7})}}
	s := w.createSession(t, "clinic-access", "")
	req, _, _ := wl.fetch(s.URI)
	post(t, req.ResponseURI, wl.answer(req))
	rec := httptest.NewRecorder()
	w.metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{`cairn_verifier_verifications_total{code="revoked"} 1`, `cairn_verifier_request_objects_total{code="served"} 1`, `cairn_verifier_sessions_created_total 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestOwnOverAsking: when the registry lets the desk ask for less than
// its purpose's query asks, the console says so when the request is made
// and with the result (in the caseworker's language); a desk asking
// within its purpose hears nothing.
func TestOwnOverAsking(t *testing.T) {
	w := newWorld(t)
	ent := w.reg.Entity(w.verifierKey.DIDJWK())
	for i := range ent.VerifierAuthorizations {
		if ent.VerifierAuthorizations[i].Purpose == "clinic-access" {
			ent.VerifierAuthorizations[i].Claims = []string{"/family_name", "/given_name"}
		}
	}
	ok := w.createSession(t, "bank-account", "")
	if ok.OverAsking != nil {
		t.Errorf("a request within its purpose flagged: %+v", ok.OverAsking)
	}
	s := w.createSession(t, "clinic-access", "")
	if o := s.OverAsking; o == nil || o.Code != verifier.CodeOutsidePurpose || o.Reason != trust.ReasonClaimsOutsidePurpose ||
		!slices.Equal(o.Claims, []string{"/birthdate"}) || o.Message != verifier.Message(verifier.CodeOutsidePurpose, "en") {
		t.Fatalf("request: over-asking %+v", o)
	}
	wl := &wallet{t: t, w: w}
	wl.creds = []string{w.issue(t, credOpts{idx: 3})}
	req, code, err := wl.fetch(s.URI)
	if err != nil || code != http.StatusOK {
		t.Fatalf("fetch: %d %v", code, err)
	}
	if st, b := post(t, req.ResponseURI, wl.answer(req)); st != http.StatusOK {
		t.Fatalf("post: %d %s", st, b)
	}
	st, res, b := w.result(t, s.SessionID, "?lang=fr")
	if st != http.StatusOK {
		t.Fatalf("result: %d %s", st, b)
	}
	if o := res.OverAsking; res.Code != verifier.CodeValid || o == nil || o.Code != verifier.CodeOutsidePurpose || !slices.Equal(o.Claims, []string{"/birthdate"}) ||
		o.Message != verifier.Message(verifier.CodeOutsidePurpose, "fr") {
		t.Errorf("result: %s", b)
	}
	// No authorization at all for the purpose.
	var kept []trust.VerifierAuthorization
	for _, a := range ent.VerifierAuthorizations {
		if a.Purpose != "school-enrolment" {
			kept = append(kept, a)
		}
	}
	ent.VerifierAuthorizations = kept
	if o := w.createSession(t, "school-enrolment", "").OverAsking; o == nil || o.Code != verifier.CodePurposeNotAuthorized || o.Reason != trust.ReasonNoAuthorization {
		t.Errorf("unauthorized purpose: %+v", o)
	}
}
