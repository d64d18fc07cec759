package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/storetest"
)

var t0ctx = context.Background()

func TestHolderLifecycle(t *testing.T) {
	a := newAgent(t)
	dev := storetest.Device(1)
	created, s := a.holder("2468", dev)
	if created.HolderID == "" || len(created.RecoveryCode) != 39 || s.Token == "" || s.HolderID != created.HolderID {
		t.Fatalf("created %+v, session %+v", created, s)
	}

	// settings: the language given at creation, then changed
	r := a.do("GET", "/v1/holder/settings", s.Token, nil)
	a.want(r, 200, "")
	var st api.Settings
	r.json(t, &st)
	if st.Lang != "fr" {
		t.Fatalf("settings %+v", st)
	}
	a.want(a.do("PUT", "/v1/holder/settings", s.Token, api.Settings{Lang: "uk"}), 200, "")
	r = a.do("GET", "/v1/holder/settings", s.Token, nil)
	r.json(t, &st)
	if st.Lang != "uk" {
		t.Fatalf("settings after put %+v", st)
	}

	// keys: status, then a refresh adds a set
	r = a.do("GET", "/v1/holder/keys", s.Token, nil)
	a.want(r, 200, "")
	var ks wallet.KeyStatus
	r.json(t, &ks)
	if len(ks.Keys) != 5 || ks.Unused != 5 || ks.Low {
		t.Fatalf("keys %+v", ks)
	}
	r = a.do("POST", "/v1/holder/keys/refresh", s.Token, nil)
	a.want(r, 200, "")
	var kr api.KeysRefreshed
	r.json(t, &kr)
	if len(kr.Keys) != 5 || kr.Keys[0].Index != 5 || kr.Keys[0].JWK == nil {
		t.Fatalf("refreshed %+v", kr)
	}

	// logout ends the session
	a.want(a.do("DELETE", "/v1/sessions/current", s.Token, nil), 204, "")
	a.want(a.do("GET", "/v1/holder/settings", s.Token, nil), 401, api.CodeSessionExpired)
}

func TestCredentialsRoutes(t *testing.T) {
	a := newAgent(t)
	_, s := a.holder("2468", storetest.Device(1))
	r := a.do("GET", "/v1/credentials", s.Token, nil)
	a.want(r, 200, "")
	var list api.Credentials
	r.json(t, &list)
	if len(list.Credentials) != 0 || list.Lang != "fr" {
		t.Fatalf("empty list %+v", list)
	}
	older := a.credential(s.Token, map[string]any{"given_name": "Amina", "family_name": "Haddad"}, storetest.T0.AddDate(0, -2, 0))
	newer := a.credential(s.Token, map[string]any{"household_size": 4}, storetest.T0.AddDate(0, -1, 0))

	r = a.do("GET", "/v1/credentials?lang=en", s.Token, nil)
	a.want(r, 200, "")
	r.json(t, &list)
	if len(list.Credentials) != 2 || list.Lang != "en" {
		t.Fatalf("list %s", r.body)
	}
	c := list.Credentials[0]
	if c.Copies != 5 || c.Validity != "valid" || c.Status != wallet.StatusUnavailable || c.StatusReason != wallet.ReasonUnreachable || c.Issuer.DID != "did:web:issuer.example" ||
		c.TypeName == "" || c.TypeName == c.Type {
		t.Fatalf("credential view %+v", c)
	}
	// French names by the holder's setting
	r = a.do("GET", "/v1/credentials", s.Token, nil)
	var fr api.Credentials
	r.json(t, &fr)
	if fr.Credentials[0].TypeName == c.TypeName {
		t.Fatalf("same type name in fr and en: %q", c.TypeName)
	}

	// show: the claims with labels, never the registered ones
	r = a.do("GET", "/v1/credentials/"+older[2].ID+"?lang=en", s.Token, nil)
	a.want(r, 200, "")
	var d api.CredentialDetail
	r.json(t, &d)
	var paths []string
	for _, cl := range d.Claims {
		paths = append(paths, cl.Path)
		if cl.Path == "given_name" && (cl.Value != "Amina" || cl.Label == "" || cl.Label == "given_name") {
			t.Fatalf("claim %+v", cl)
		}
	}
	if !slices.Equal(paths, []string{"family_name", "given_name"}) || d.Copies != 5 {
		t.Fatalf("claims %v, copies %d", paths, d.Copies)
	}

	// timeline: every fact, oldest first
	r = a.do("GET", "/v1/timeline?lang=en", s.Token, nil)
	a.want(r, 200, "")
	var tl api.Timeline
	r.json(t, &tl)
	if len(tl.Facts) != 3 || !tl.Facts[0].At.Before(tl.Facts[2].At) || tl.Facts[2].Path != "household_size" {
		t.Fatalf("timeline %s", r.body)
	}
	if strings.Contains(string(r.body), "Amina") {
		t.Fatal("the timeline carries values")
	}

	// expired, judged on the agent's clock
	a.clock.Advance(11 * 30 * 24 * time.Hour)
	a.want(a.do("GET", "/v1/credentials", s.Token, nil), 401, api.CodeSessionExpired)
	r = a.do("POST", "/v1/sessions", "", api.LoginRequest{HolderID: s.HolderID, PIN: "2468", DeviceSecret: b64(storetest.Device(1))})
	a.want(r, 201, "")
	r.json(t, &s)
	r = a.do("GET", "/v1/credentials", s.Token, nil)
	a.want(r, 200, "")
	r.json(t, &list)
	slices.SortFunc(list.Credentials, func(x, y api.CredentialView) int { return x.IssuedAt.Compare(y.IssuedAt) })
	if list.Credentials[0].Validity != "expired" || list.Credentials[1].Validity != "valid" {
		t.Fatalf("validity after 11 months %+v", list.Credentials)
	}

	// delete removes every copy
	r = a.do("DELETE", "/v1/credentials/"+newer[0].ID, s.Token, nil)
	a.want(r, 200, "")
	if !strings.Contains(string(r.body), `"deleted_copies":5`) {
		t.Fatalf("delete %s", r.body)
	}
	a.want(a.do("GET", "/v1/credentials/"+newer[1].ID, s.Token, nil), 404, api.CodeCredentialNotFound)
	a.want(a.do("DELETE", "/v1/credentials/"+newer[0].ID, s.Token, nil), 404, api.CodeCredentialNotFound)
	a.want(a.do("GET", "/v1/credentials/nope", s.Token, nil), 404, api.CodeCredentialNotFound)
}

func TestLogAndPortability(t *testing.T) {
	a := newAgent(t)
	_, s := a.holder("2468", storetest.Device(1))
	a.credential(s.Token, map[string]any{"given_name": "Amina"}, storetest.T0)
	sess, _ := a.svc.Resume(t0ctx, s.Token)
	for _, ev := range []string{wallet.EventOfferAccepted, wallet.EventPresentation} {
		if _, err := a.svc.AppendLog(t0ctx, sess, wallet.LogEntry{Event: ev, PartyName: "Example", Claims: []string{"given_name"}}); err != nil {
			t.Fatal(err)
		}
	}
	r := a.do("GET", "/v1/log", s.Token, nil)
	a.want(r, 200, "")
	var lg api.Log
	r.json(t, &lg)
	if len(lg.Entries) != 2 || lg.Entries[1].Prev != lg.Entries[0].Hash {
		t.Fatalf("log %s", r.body)
	}
	r = a.do("GET", "/v1/log/verify", s.Token, nil)
	var v api.LogVerification
	r.json(t, &v)
	if !v.Intact || v.Entries != 2 {
		t.Fatalf("verify %s", r.body)
	}
	r = a.do("GET", "/v1/log/export", s.Token, nil)
	a.want(r, 200, "")
	var x wallet.LogExport
	r.json(t, &x)
	if x.Format != "cairn-consent-log-v1" || len(x.Entries) != 2 || x.Head != lg.Entries[1].Hash {
		t.Fatalf("log export %s", r.body)
	}

	// export, then import into a fresh holder
	a.want(a.do("POST", "/v1/export", s.Token, api.ExportRequest{Passphrase: "short"}), 400, server.CodeInvalidRequest)
	r = a.do("POST", "/v1/export", s.Token, api.ExportRequest{Passphrase: "correct horse battery"})
	a.want(r, 200, "")
	if r.header.Get("Content-Type") != api.ExportMediaType || !strings.HasPrefix(string(r.body), wallet.ExportMagic) {
		t.Fatalf("export %q", r.header)
	}
	file := base64.StdEncoding.EncodeToString(r.body)
	_, s2 := a.holder("1357", storetest.Device(2))
	a.want(a.do("POST", "/v1/import", s2.Token, api.ImportRequest{Passphrase: "wrong passphrase!", File: file}), 400, api.CodePassphrase)
	a.want(a.do("POST", "/v1/import", s2.Token, api.ImportRequest{Passphrase: "correct horse battery", File: "AAAA"}), 400, api.CodeExportInvalid)
	a.want(a.do("POST", "/v1/import", s2.Token, api.ImportRequest{Passphrase: "correct horse battery", File: "%%%"}), 400, server.CodeInvalidRequest)
	r = a.do("POST", "/v1/import", s2.Token, api.ImportRequest{Passphrase: "correct horse battery", File: file})
	a.want(r, 200, "")
	var imp api.Imported
	r.json(t, &imp)
	if imp.Credentials != 5 || imp.LogEntries != 2 || imp.Keys != 5 {
		t.Fatalf("imported %+v", imp)
	}
	a.want(a.do("POST", "/v1/import", s2.Token, api.ImportRequest{Passphrase: "correct horse battery", File: file}), 409, api.CodeNotEmpty)
	r = a.do("GET", "/v1/credentials", s2.Token, nil)
	var list api.Credentials
	r.json(t, &list)
	if len(list.Credentials) != 1 || list.Credentials[0].Copies != 5 {
		t.Fatalf("after import %s", r.body)
	}
}

func TestErrors(t *testing.T) {
	a := newAgent(t)
	created, s := a.holder("2468", storetest.Device(1))
	dev := b64(storetest.Device(1))
	big := `{"pin":"` + strings.Repeat("1", api.MaxBody) + `"}`
	cases := []struct {
		name, method, path, token string
		body                      any
		hdr                       []string
		status                    int
		code                      string
	}{
		{"no token", "GET", "/v1/credentials", "", nil, nil, 401, api.CodeUnauthorized},
		{"not a bearer", "GET", "/v1/credentials", "", nil, []string{"Authorization", "Basic abc"}, 401, api.CodeUnauthorized},
		{"unknown token", "GET", "/v1/log", "bm90LWEtdG9rZW4", nil, nil, 401, api.CodeSessionExpired},
		{"bad JSON", "POST", "/v1/holders", "", `{"pin":`, nil, 400, server.CodeInvalidRequest},
		{"unknown member", "POST", "/v1/sessions", "", `{"holder_id":"x","pin":"1234","device_secret":"` + dev + `","x":1}`, nil, 400, server.CodeInvalidRequest},
		{"duplicate member", "POST", "/v1/sessions", "", `{"pin":"1234","PIN":"1234"}`, nil, 400, server.CodeInvalidRequest},
		{"media type", "POST", "/v1/holders", "", `{}`, []string{"Content-Type", "text/plain"}, 415, server.CodeMediaType},
		{"too large", "POST", "/v1/holders", "", big, nil, 413, server.CodeTooLarge},
		{"short PIN", "POST", "/v1/holders", "", api.CreateRequest{PIN: "12", DeviceSecret: dev}, nil, 400, api.CodeInvalidPIN},
		{"letters in PIN", "POST", "/v1/sessions", "", api.LoginRequest{HolderID: created.HolderID, PIN: "12ab", DeviceSecret: dev}, nil, 400, api.CodeInvalidPIN},
		{"short device secret", "POST", "/v1/holders", "", api.CreateRequest{PIN: "1234", DeviceSecret: "AAAA"}, nil, 400, server.CodeInvalidRequest},
		{"device secret not base64url", "POST", "/v1/holders", "", api.CreateRequest{PIN: "1234", DeviceSecret: "!!"}, nil, 400, server.CodeInvalidRequest},
		{"bad language", "POST", "/v1/holders", "", api.CreateRequest{PIN: "1234", DeviceSecret: dev, Lang: "not a tag"}, nil, 400, api.CodeInvalidLanguage},
		{"bad language setting", "PUT", "/v1/holder/settings", s.Token, api.Settings{Lang: "??"}, nil, 400, api.CodeInvalidLanguage},
		{"unknown holder", "POST", "/v1/sessions", "", api.LoginRequest{HolderID: "nobody-at-all", PIN: "1234", DeviceSecret: dev}, nil, 401, api.CodeUnlockFailed},
		{"wrong recovery code", "POST", "/v1/recover", "", api.RecoverRequest{RecoveryCode: "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA", NewPIN: "1234", NewDeviceSecret: dev}, nil, 401, api.CodeRecoveryCode},
		{"malformed recovery code", "POST", "/v1/recover", "", api.RecoverRequest{RecoveryCode: "nope", NewPIN: "1234", NewDeviceSecret: dev}, nil, 401, api.CodeRecoveryCode},
		{"PIN change, wrong PIN", "PUT", "/v1/holder/pin", s.Token, api.ChangePINRequest{PIN: "0000", DeviceSecret: dev, NewPIN: "1111"}, nil, 401, api.CodeUnlockFailed},
		{"PIN change, bad new PIN", "PUT", "/v1/holder/pin", s.Token, api.ChangePINRequest{PIN: "2468", DeviceSecret: dev, NewPIN: "1"}, nil, 400, api.CodeInvalidPIN},
		{"import body not JSON", "POST", "/v1/import", s.Token, "x", nil, 400, server.CodeInvalidRequest},
		{"wrong method", "GET", "/v1/holders", "", nil, nil, 405, server.CodeMethodNotAllowed},
		{"no such route", "GET", "/v1/nothing", "", nil, nil, 404, server.CodeNotFound},
		{"wipe without token", "DELETE", "/v1/holder", "", nil, nil, 401, api.CodeUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.addr = "192.0.2." + strconv.Itoa(20+len(tc.name)%200) + ":1" // keep the address limits out of it
			r := a.do(tc.method, tc.path, tc.token, tc.body, tc.hdr...)
			a.want(r, tc.status, tc.code)
			if r.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("Cache-Control %q", r.header.Get("Cache-Control"))
			}
			if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" && tc.path != "/v1/sessions" && tc.path != "/v1/recover" && tc.path != "/v1/holder/pin" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

func TestLockoutThroughTheAPI(t *testing.T) {
	a := newAgent(t, func(c *wallet.Config, _ *api.Options) {
		c.HolderLockout = wallet.Lockout{Free: 3, Base: 30 * time.Second, Max: time.Hour}
		c.AddressLockout = wallet.Lockout{Free: 5, Base: 10 * time.Second, Max: time.Hour}
	})
	created, _ := a.holder("2468", storetest.Device(1))
	dev := b64(storetest.Device(1))
	wrong := api.LoginRequest{HolderID: created.HolderID, PIN: "0000", DeviceSecret: dev}
	for i := range 4 {
		r := a.do("POST", "/v1/sessions", "", wrong)
		a.want(r, 401, api.CodeUnlockFailed)
		if i == 3 && r.header.Get("Retry-After") != "" {
			t.Fatal("Retry-After on a plain wrong PIN")
		}
	}
	// the 4th wrong PIN locked the holder for 30 s: even the right PIN waits
	r := a.do("POST", "/v1/sessions", "", api.LoginRequest{HolderID: created.HolderID, PIN: "2468", DeviceSecret: dev}, "Accept-Language", "ar")
	a.want(r, 423, api.CodeLocked)
	if r.header.Get("Retry-After") != "30" || !strings.Contains(r.errBody(t).Message, "30") || r.errBody(t).Message != api.Message(api.CodeLocked, "ar", 30) {
		t.Fatalf("423: Retry-After %q, %s", r.header.Get("Retry-After"), r.body)
	}
	// the address: 5 free wrong attempts, the 6th locks it (429)
	a.want(a.do("POST", "/v1/sessions", "", api.LoginRequest{HolderID: "someone-else-1", PIN: "1111", DeviceSecret: dev}), 401, api.CodeUnlockFailed)
	r = a.do("POST", "/v1/sessions", "", api.LoginRequest{HolderID: "someone-else-3", PIN: "1111", DeviceSecret: dev})
	a.want(r, 429, server.CodeRateLimited)
	if r.header.Get("Retry-After") != "10" {
		t.Fatalf("429 Retry-After %q", r.header.Get("Retry-After"))
	}
	// another address is not locked; after the lock the right PIN works
	a.addr = "198.51.100.7:5000"
	a.clock.Advance(31 * time.Second)
	a.want(a.do("POST", "/v1/sessions", "", api.LoginRequest{HolderID: created.HolderID, PIN: "2468", DeviceSecret: dev}), 201, "")
}

func TestRateLimitsPerAddress(t *testing.T) {
	a := newAgent(t, func(_ *wallet.Config, o *api.Options) {
		o.CreateLimit = server.RateLimit{PerMinute: 1, Burst: 2}
		o.RecoverLimit = server.RateLimit{PerMinute: 1, Burst: 1}
	})
	dev := b64(storetest.Device(1))
	for range 2 {
		a.want(a.do("POST", "/v1/holders", "", api.CreateRequest{PIN: "1234", DeviceSecret: dev}), 201, "")
	}
	r := a.do("POST", "/v1/holders", "", api.CreateRequest{PIN: "1234", DeviceSecret: dev}, "Accept-Language", "fr-CA, en;q=0.5")
	a.want(r, 429, server.CodeRateLimited)
	if r.header.Get("Retry-After") == "" || r.errBody(t).Message != api.Message(server.CodeRateLimited, "fr", 60) {
		t.Fatalf("429 %q %s", r.header.Get("Retry-After"), r.body)
	}
	a.want(a.do("POST", "/v1/recover", "", api.RecoverRequest{RecoveryCode: "x", NewPIN: "1234", NewDeviceSecret: dev}), 401, api.CodeRecoveryCode)
	a.want(a.do("POST", "/v1/recover", "", api.RecoverRequest{RecoveryCode: "x", NewPIN: "1234", NewDeviceSecret: dev}), 429, server.CodeRateLimited)
	a.addr = "203.0.113.9:1"
	a.want(a.do("POST", "/v1/holders", "", api.CreateRequest{PIN: "1234", DeviceSecret: dev}), 201, "")
}

func TestPINChangeAndRecoveryEndSessions(t *testing.T) {
	a := newAgent(t)
	created, s := a.holder("2468", storetest.Device(1))
	a.credential(s.Token, map[string]any{"given_name": "Amina"}, storetest.T0)
	_, other := a.holder("2468", storetest.Device(1)) // another holder's session stays
	r := a.do("POST", "/v1/sessions", "", api.LoginRequest{HolderID: created.HolderID, PIN: "2468", DeviceSecret: b64(storetest.Device(1))})
	var s2 api.Session
	r.json(t, &s2)

	r = a.do("PUT", "/v1/holder/pin", s.Token, api.ChangePINRequest{PIN: "2468", DeviceSecret: b64(storetest.Device(1)), NewPIN: "97531", NewDeviceSecret: b64(storetest.Device(9))})
	a.want(r, 200, "")
	var s3 api.Session
	r.json(t, &s3)
	for _, old := range []string{s.Token, s2.Token} {
		a.want(a.do("GET", "/v1/credentials", old, nil), 401, api.CodeSessionExpired)
	}
	a.want(a.do("GET", "/v1/credentials", other.Token, nil), 200, "")
	a.want(a.do("GET", "/v1/credentials", s3.Token, nil), 200, "")
	a.want(a.do("POST", "/v1/sessions", "", api.LoginRequest{HolderID: created.HolderID, PIN: "2468", DeviceSecret: b64(storetest.Device(1))}), 401, api.CodeUnlockFailed)

	// recovery: a new PIN and phone, the credentials kept, old sessions ended
	r = a.do("POST", "/v1/recover", "", api.RecoverRequest{RecoveryCode: strings.ToLower(created.RecoveryCode), NewPIN: "8642", NewDeviceSecret: b64(storetest.Device(5))})
	a.want(r, 200, "")
	var s4 api.Session
	r.json(t, &s4)
	a.want(a.do("GET", "/v1/credentials", s3.Token, nil), 401, api.CodeSessionExpired)
	r = a.do("GET", "/v1/credentials", s4.Token, nil)
	var list api.Credentials
	r.json(t, &list)
	if s4.HolderID != created.HolderID || len(list.Credentials) != 1 {
		t.Fatalf("after recovery %+v %s", s4, r.body)
	}
}

func TestWipeLeavesNothing(t *testing.T) {
	a := newAgent(t)
	created, s := a.holder("2468", storetest.Device(1))
	a.credential(s.Token, map[string]any{"given_name": "Amina"}, storetest.T0)
	_, other := a.holder("1357", storetest.Device(2))
	a.want(a.do("DELETE", "/v1/holder", s.Token, nil), 204, "")
	a.want(a.do("GET", "/v1/credentials", s.Token, nil), 401, api.CodeSessionExpired)
	a.want(a.do("POST", "/v1/sessions", "", api.LoginRequest{HolderID: created.HolderID, PIN: "2468", DeviceSecret: b64(storetest.Device(1))}), 401, api.CodeUnlockFailed)
	a.want(a.do("POST", "/v1/recover", "", api.RecoverRequest{RecoveryCode: created.RecoveryCode, NewPIN: "1234", NewDeviceSecret: b64(storetest.Device(1))}), 401, api.CodeRecoveryCode)
	err := a.st.View(t0ctx, func(tx wallet.Tx) error {
		if _, err := tx.Holder(created.HolderID); err != wallet.ErrNotFound {
			t.Errorf("holder record: %v", err)
		}
		n, err := tx.RecordCount(created.HolderID)
		if err != nil || n != 0 {
			t.Errorf("%d records left (%v)", n, err)
		}
		if h, err := tx.HolderCount(); err != nil || h != 1 {
			t.Errorf("%d holders (%v)", h, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a.want(a.do("GET", "/v1/credentials", other.Token, nil), 200, "")
}

func TestMessagesInEveryLanguage(t *testing.T) {
	for _, code := range api.Codes() {
		seen := map[string]bool{}
		for _, l := range api.Languages {
			m := api.Message(code, l, 5)
			if m == "" || seen[m] && l != "en" || strings.Contains(m, "%") {
				t.Errorf("%s in %s: %q", code, l, m)
			}
			seen[m] = true
		}
	}
	cases := []struct{ accept, want string }{
		{"", "en"}, {"ar", "ar"}, {"uk-UA,uk;q=0.9", "uk"}, {"de, fr;q=0.5", "fr"}, {"de", "en"}, {"***", "en"},
	}
	for _, tc := range cases {
		if got, _ := api.MatchLanguage(tc.accept); got != tc.want {
			t.Errorf("MatchLanguage(%q) = %s, want %s", tc.accept, got, tc.want)
		}
	}
	// without Accept-Language, the holder's setting chooses
	a := newAgent(t)
	_, s := a.holder("2468", storetest.Device(1))
	a.want(a.do("PUT", "/v1/holder/settings", s.Token, api.Settings{Lang: "uk"}), 200, "")
	r := a.do("GET", "/v1/credentials/nope-nope", s.Token, nil)
	if e := r.errBody(t); e.Message != api.Message(api.CodeCredentialNotFound, "uk", 0) {
		t.Fatalf("message %q", e.Message)
	}
	r = a.do("GET", "/v1/credentials/nope-nope", s.Token, nil, "Accept-Language", "ar")
	if e := r.errBody(t); e.Message != api.Message(api.CodeCredentialNotFound, "ar", 0) {
		t.Fatalf("message %q", e.Message)
	}
}

// TestOpenAPIMatchesRoutes: every registered route is in
// docs/wallet-api.json with its method, and every operation there is a
// registered route; the agent serves the document.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := newAgent(t)
	r := a.do("GET", "/openapi.json", "", nil)
	a.want(r, 200, "")
	doc, err := loadResponseSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if doc.Version() != "3.1.0" || string(r.body) != string(api.OpenAPI()) {
		t.Fatalf("openapi %q", doc.Version())
	}
	var routes []string
	for _, rt := range a.h.Routes() {
		routes = append(routes, rt.Method+" "+rt.Path)
		// the route answers (not the router's 404 for unknown paths)
		path := strings.ReplaceAll(rt.Path, "{id}", "abcdefgh")
		if got := a.do(rt.Method, path, "", nil); got.status == 404 && got.errBody(t).Code == server.CodeNotFound || got.status == 405 {
			t.Errorf("route %s %s: %d %s", rt.Method, rt.Path, got.status, got.body)
		}
	}
	doc.MatchRoutes(t, routes)
}

// TestEveryRouteIsNoStore: every route's answers, successes and errors,
// carry Cache-Control: no-store.
func TestEveryRouteIsNoStore(t *testing.T) {
	a := newAgent(t)
	for _, rt := range a.h.Routes() {
		r := a.do(rt.Method, strings.ReplaceAll(rt.Path, "{id}", "abcdefgh"), "", nil)
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: Cache-Control %q", rt.Method, rt.Path, r.header.Get("Cache-Control"))
		}
	}
}

// TestNoSecretsInLogs runs a full flow with failures and searches the
// debug-level log for every secret and claim value, raw and encoded.
func TestNoSecretsInLogs(t *testing.T) {
	a := newAgent(t)
	dev, dev2 := storetest.Device(0xA1), storetest.Device(0xB2)
	created, s := a.holder("482913", dev)
	a.credential(s.Token, map[string]any{"given_name": "Zainabou", "family_name": "Okonkwo-Said"}, storetest.T0)
	secrets := []string{"482913", "730164", "5550123", created.RecoveryCode, s.Token, b64(dev), b64(dev2), "Zainabou", "Okonkwo-Said", "tangerine umbrella 42", "wrong passphrase 99"}
	steps := func() {
		a.do("POST", "/v1/sessions", "", api.LoginRequest{HolderID: created.HolderID, PIN: "5550123", DeviceSecret: b64(dev)})
		a.do("POST", "/v1/sessions", "", `{"holder_id":"`+created.HolderID+`","pin":5550123}`)
		a.do("GET", "/v1/credentials", "", nil, "Authorization", "Bearer "+s.Token+"x")
		r := a.do("GET", "/v1/credentials", s.Token, nil)
		var list api.Credentials
		r.json(t, &list)
		a.do("GET", "/v1/credentials/"+list.Credentials[0].ID, s.Token, nil)
		a.do("GET", "/v1/timeline", s.Token, nil)
		r = a.do("POST", "/v1/export", s.Token, api.ExportRequest{Passphrase: "tangerine umbrella 42"})
		file := base64.StdEncoding.EncodeToString(r.body)
		a.do("POST", "/v1/import", s.Token, api.ImportRequest{Passphrase: "wrong passphrase 99", File: file})
		a.do("POST", "/v1/import", s.Token, `{"passphrase":"tangerine umbrella 42","file":"Zainabou"}`)
		a.do("PUT", "/v1/holder/pin", s.Token, api.ChangePINRequest{PIN: "5550123", DeviceSecret: b64(dev), NewPIN: "730164"})
		r = a.do("PUT", "/v1/holder/pin", s.Token, api.ChangePINRequest{PIN: "482913", DeviceSecret: b64(dev), NewPIN: "730164", NewDeviceSecret: b64(dev2)})
		var ns api.Session
		r.json(t, &ns)
		secrets = append(secrets, ns.Token)
		a.do("POST", "/v1/recover", "", api.RecoverRequest{RecoveryCode: created.RecoveryCode + "Q", NewPIN: "482913", NewDeviceSecret: b64(dev)})
		r = a.do("POST", "/v1/recover", "", api.RecoverRequest{RecoveryCode: created.RecoveryCode, NewPIN: "482913", NewDeviceSecret: b64(dev)})
		r.json(t, &ns)
		secrets = append(secrets, ns.Token)
		a.do("DELETE", "/v1/holder", ns.Token, nil)
	}
	steps()
	logs := a.logs.String()
	if !strings.Contains(logs, `"route":"login"`) || !strings.Contains(logs, "request refused") {
		t.Fatalf("the flow logged too little to be a test:\n%s", logs)
	}
	for _, sec := range secrets {
		for _, form := range []string{sec, base64.RawURLEncoding.EncodeToString([]byte(sec)), base64.StdEncoding.EncodeToString([]byte(sec))} {
			if strings.Contains(logs, form) {
				t.Errorf("the log holds %q (as %q)", sec, form)
			}
		}
	}
	var lines int
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil {
			t.Fatalf("not a JSON log line: %s", l)
		}
		lines++
	}
	if lines < 15 {
		t.Fatalf("only %d log lines", lines)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	a := newAgent(t)
	a.want(a.do("GET", "/healthz", "", nil), 200, "")
	a.want(a.do("GET", "/readyz", "", nil), 200, "")
	r := a.do("GET", "/metrics", "", nil)
	a.want(r, 200, "")
	if !strings.Contains(string(r.body), "cairn_wallet_http_requests_total") {
		t.Fatal("no request metrics")
	}
	down := newAgent(t, func(_ *wallet.Config, o *api.Options) {
		o.Ready = func(context.Context) error { return http.ErrServerClosed }
	})
	down.want(down.do("GET", "/readyz", "", nil), 503, server.CodeNotReady)
}

// TestEveryCodeHasAStatus: classify never answers a code without its
// status (statusOf covers every code with a message, bar the router's).
func TestEveryCodeHasAStatus(t *testing.T) {
	for _, code := range api.Codes() {
		switch code {
		case server.CodeMethodNotAllowed, server.CodeTooLarge, server.CodeMediaType, server.CodeNotReady:
			continue // answered by internal/server with its own status
		}
		if api.StatusOf(code) < 400 {
			t.Errorf("%s: status %d", code, api.StatusOf(code))
		}
	}
}

// TestLogPurposeNames: the consent log keeps purpose ids (hash-chained);
// GET /v1/log adds each entry's purpose as people read it, in the
// holder's language: a shipped purpose's name, the id of any other.
func TestLogPurposeNames(t *testing.T) {
	a := newAgent(t)
	_, s := a.holder("2468", storetest.Device(1))
	sess, _ := a.svc.Resume(t0ctx, s.Token)
	for _, p := range []string{"clinic-access", "clinic-access, made-up-purpose", ""} {
		if _, err := a.svc.AppendLog(t0ctx, sess, wallet.LogEntry{Event: wallet.EventPresentation, PartyName: "Desk", Purpose: p}); err != nil {
			t.Fatal(err)
		}
	}
	for lang, want := range map[string][]string{
		"fr": {"Accès à la clinique", "Accès à la clinique, made-up-purpose", ""},
		"uk": {"Доступ до клініки", "Доступ до клініки, made-up-purpose", ""},
		"ar": {"الدخول إلى العيادة", "الدخول إلى العيادة، made-up-purpose", ""},
		"en": {"Clinic access", "Clinic access, made-up-purpose", ""},
	} {
		r := a.do("GET", "/v1/log?lang="+lang, s.Token, nil)
		a.want(r, 200, "")
		var lg api.Log
		r.json(t, &lg)
		if len(lg.Entries) != 3 {
			t.Fatalf("%s: %s", lang, r.body)
		}
		for i, e := range lg.Entries {
			if e.PurposeName != want[i] || e.Purpose != []string{"clinic-access", "clinic-access, made-up-purpose", ""}[i] {
				t.Errorf("%s entry %d: purpose %q, name %q, want %q", lang, i, e.Purpose, e.PurposeName, want[i])
			}
		}
	}
	r := a.do("GET", "/v1/log/verify", s.Token, nil)
	var v api.LogVerification
	r.json(t, &v)
	if !v.Intact || v.Entries != 3 {
		t.Fatalf("verify %s", r.body)
	}
}
