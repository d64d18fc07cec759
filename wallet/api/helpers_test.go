package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/boltstore"
	"github.com/cairn-id/cairn/wallet/storetest"
)

type agent struct {
	t     testing.TB
	h     *api.Handler
	svc   *wallet.Service
	st    *boltstore.Store
	clock *storetest.Clock
	logs  *testkit.SyncBuffer
	addr  string // RemoteAddr of the next requests
}

func newAgent(t testing.TB, mod ...func(*wallet.Config, *api.Options)) *agent {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "wallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &testkit.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := storetest.NewClock(storetest.T0)
	opts := api.Options{Now: clock.Now, Logger: log}
	svc := storetest.NewService(t, st, clock, storetest.Pepper(3), func(c *wallet.Config) {
		c.Logger = log
		// No network unless a test's mod gives one: the made-up issuer's
		// status list is then unreachable.
		c.Flows.HTTPClient = &http.Client{Transport: offline{}}
		for _, m := range mod {
			m(c, &opts)
		}
	})
	h, err := api.New(svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &agent{t: t, h: h, svc: svc, st: st, clock: clock, logs: logs, addr: "192.0.2.10:4000"}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r *resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r *resp) errBody(t testing.TB) server.ErrorBody {
	t.Helper()
	var e server.ErrorBody
	r.json(t, &e)
	return e
}

// do sends a request; body is JSON-encoded unless it is a string (sent
// as is, as application/json) or nil.
func (a *agent) do(method, path, token string, body any, hdr ...string) *resp {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = a.addr
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	rs, err := loadResponseSchemas()
	if err != nil {
		a.t.Fatal(err)
	}
	rs.Check(a.t, method, path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	return &resp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// serve runs the agent's handler on a loopback HTTP server for the
// test, checking every answer against docs/wallet-api.json as do does,
// and returns its URL.
func (a *agent) serve() string {
	rs, err := loadResponseSchemas()
	if err != nil {
		a.t.Fatal(err)
	}
	srv := httptest.NewServer(rs.Handler(a.t, "", a.h))
	a.t.Cleanup(srv.Close)
	return srv.URL
}

// offline is a transport that reaches nothing.
type offline struct{}

func (offline) RoundTrip(*http.Request) (*http.Response, error) { return nil, errors.New("offline") }

func (a *agent) want(r *resp, status int, code string) {
	a.t.Helper()
	if r.status != status {
		a.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if code != "" {
		if e := r.errBody(a.t); e.Code != code || e.Message == "" {
			a.t.Fatalf("error %+v, want code %s with a message", e, code)
		}
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// holder creates a holder and logs in.
func (a *agent) holder(pin string, device []byte) (api.Created, api.Session) {
	a.t.Helper()
	r := a.do("POST", "/v1/holders", "", api.CreateRequest{PIN: pin, DeviceSecret: b64(device), Lang: "fr"})
	a.want(r, http.StatusCreated, "")
	var c api.Created
	r.json(a.t, &c)
	r = a.do("POST", "/v1/sessions", "", api.LoginRequest{HolderID: c.HolderID, PIN: pin, DeviceSecret: b64(device)})
	a.want(r, http.StatusCreated, "")
	var s api.Session
	r.json(a.t, &s)
	return c, s
}

// credential issues a real SD-JWT VC of the humanitarian-registration
// type with the given claims and stores one copy per holder key.
func (a *agent) credential(token string, claims map[string]any, issuedAt time.Time) []wallet.Credential {
	a.t.Helper()
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	sess, err := a.svc.Resume(t0ctx, token)
	if err != nil {
		a.t.Fatal(err)
	}
	hks, err := a.svc.HolderKeys(t0ctx, sess)
	if err != nil {
		a.t.Fatal(err)
	}
	var copies []wallet.Credential
	for _, hk := range hks {
		c := map[string]any{"iss": "did:web:issuer.example", "vct": "urn:cairn:vct:humanitarian-registration:1", "iat": issuedAt.Unix(),
			"cnf": map[string]any{"jwk": hk.JWK}}
		var disc []string
		for n, v := range claims {
			c[n] = v
			disc = append(disc, "/"+n)
		}
		tok, err := sdjwt.Issue(c, sdjwt.IssueOptions{Signer: k.JoseSigner(), Header: map[string]any{"typ": "dc+sd-jwt"}, Disclosable: disc, Decoys: 1})
		if err != nil {
			a.t.Fatal(err)
		}
		copies = append(copies, wallet.Credential{KeyIndex: hk.Index, VCT: "urn:cairn:vct:humanitarian-registration:1", IssuerDID: "did:web:issuer.example",
			IssuedAt: issuedAt, ExpiresAt: issuedAt.AddDate(1, 0, 0), Compact: tok.String(), Status: &wallet.StatusRef{URI: "https://issuer.example/status/1", Index: 7}})
	}
	out, err := a.svc.PutCredentials(t0ctx, sess, copies)
	if err != nil {
		a.t.Fatal(err)
	}
	return out
}
