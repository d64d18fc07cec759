package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/wallet/api"

	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/storetest"
)

// BenchmarkListCredentials1000 lists a holder's 1,000 credentials of
// 1,000 distinct issuances (each its own group: one copy per credential,
// the worst case for per-credential work), of the catalogue's types,
// from 20 registered issuers, each about 2.5 KB as stored. In the same
// run:
//   - baseline-sealed-scan: reading the 1,000 sealed records alone (the
//     store's cost, nothing opened);
//   - core-ListCredentials: the core's listing, decryption and decoding
//     included (the issue's "listing 1,000 credentials, decrypt
//     included");
//   - api-GET-credentials: the holder's list as the app gets it
//     (?refresh=false: the last status read, no network), with type and
//     issuer names in French, validity and the JSON answer.
func BenchmarkListCredentials1000(b *testing.B) {
	cat, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	var vcts []string
	for _, t := range cat.Types() {
		vcts = append(vcts, t.VCT)
	}
	reg := &trust.Registry{Authority: "did:example:board"}
	for i := range 20 {
		e := trust.Entity{DID: fmt.Sprintf("did:web:issuer-%02d.example", i), Role: trust.RoleIssuer, Status: trust.StatusActive,
			Names: map[string]string{"en": fmt.Sprintf("Issuer %d", i), "fr": fmt.Sprintf("Émetteur %d", i)}, ValidFrom: storetest.T0.AddDate(-1, 0, 0)}
		for _, v := range vcts {
			e.IssuerAuthorizations = append(e.IssuerAuthorizations, trust.IssuerAuthorization{VCT: v, MaxStrength: 3, MaxValidity: 3, From: storetest.T0.AddDate(-1, 0, 0)})
		}
		reg.Entities = append(reg.Entities, e)
	}
	a := newAgent(b, func(_ *wallet.Config, o *api.Options) {
		o.Catalogue = cat
		o.Registry = func() *trust.Registry { return reg }
	})
	created, err := a.svc.CreateHolder(t0ctx, wallet.CreateRequest{PIN: "2468", DeviceSecret: storetest.Device(1), Lang: "fr"})
	if err != nil {
		b.Fatal(err)
	}
	sess, err := a.svc.Login(t0ctx, wallet.LoginRequest{HolderID: created.HolderID, PIN: "2468", DeviceSecret: storetest.Device(1)})
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 70) // 2.45 KB
	cs := make([]wallet.Credential, 0, 1000)
	for i := range 1000 {
		c := storetest.SampleCredential(i%5, fmt.Sprintf("issuance-%05d", i), fmt.Sprint(i))
		c.VCT = vcts[i%len(vcts)]
		c.IssuerDID = reg.Entities[i%len(reg.Entities)].DID
		c.IssuedAt = storetest.T0.Add(-time.Duration(i) * time.Hour)
		c.Status = &wallet.StatusRef{URI: fmt.Sprintf("https://issuer-%02d.example/status/1", i%20), Index: i}
		c.Compact += body
		cs = append(cs, c)
	}
	if _, err := a.svc.PutCredentials(t0ctx, sess, cs); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-sealed-scan", func(b *testing.B) {
		b.ReportAllocs()
		defer testkit.CPUPerOp(b)()
		for b.Loop() {
			n := 0
			err := a.st.View(t0ctx, func(tx wallet.Tx) error {
				return tx.ForEachRecord(sess.HolderID, wallet.KindCredential, func(_ string, v []byte) error { n += len(v); return nil })
			})
			if err != nil || n < 1000*2500 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("core-ListCredentials", func(b *testing.B) {
		b.ReportAllocs()
		defer testkit.CPUPerOp(b)()
		for b.Loop() {
			if l, err := a.svc.ListCredentials(t0ctx, sess); err != nil || len(l) != 1000 {
				b.Fatal(len(l), err)
			}
		}
	})
	b.Run("api-GET-credentials", func(b *testing.B) {
		b.ReportAllocs()
		defer testkit.CPUPerOp(b)()
		for b.Loop() {
			req := httptest.NewRequest("GET", "/v1/credentials?refresh=false&lang=fr", nil)
			req.Header.Set("Authorization", "Bearer "+sess.Token)
			rec := httptest.NewRecorder()
			a.h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"name":"Émetteur 19"`) {
				b.Fatal(rec.Code, rec.Body.String()[:min(rec.Body.Len(), 300)])
			}
		}
	})
}

// BenchmarkListCredentialsStatus: GET /v1/credentials for a holder with
// 1,000 credentials (each its own group, so 1,000 status entries to
// read), all on one status list of one issuer: with the status checked
// from the agent's cache (the list fetched once, before the loop; the
// token's ttl is an hour), against the same listing of 1,000 credentials
// without a status entry, in the same run. "status-fetched" reads the
// list again for every listing (a 1 ns cache bound; the stored status
// then changes too, and is sealed again), for scale.
func BenchmarkListCredentialsStatus(b *testing.B) {
	ik, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		b.Fatal(err)
	}
	var fetches atomic.Int32
	var uri string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		l, _ := statuslist.New(2, 4096)
		l.Set(7, statuslist.StatusInvalid)
		tok, err := l.SignToken(ik.JoseSigner().WithKeyID(ik.DIDJWK()+"#0"), statuslist.TokenOptions{Subject: uri, IssuedAt: storetest.T0, TTL: time.Hour})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", statuslist.MediaType)
		io.WriteString(w, tok)
	}))
	b.Cleanup(srv.Close)
	uri = srv.URL + "/status/1"
	holder := func(a *agent, pin string, withStatus bool) string {
		created, err := a.svc.CreateHolder(t0ctx, wallet.CreateRequest{PIN: pin, DeviceSecret: storetest.Device(1), Lang: "en"})
		if err != nil {
			b.Fatal(err)
		}
		sess, err := a.svc.Login(t0ctx, wallet.LoginRequest{HolderID: created.HolderID, PIN: pin, DeviceSecret: storetest.Device(1)})
		if err != nil {
			b.Fatal(err)
		}
		cs := make([]wallet.Credential, 0, 1000)
		for i := range 1000 {
			c := storetest.SampleCredential(i%5, fmt.Sprintf("group-%05d", i), "m")
			c.IssuerDID = ik.DIDJWK()
			c.Status = nil
			if withStatus {
				c.Status = &wallet.StatusRef{URI: uri, Index: i}
			}
			cs = append(cs, c)
		}
		if _, err := a.svc.PutCredentials(t0ctx, sess, cs); err != nil {
			b.Fatal(err)
		}
		return sess.Token
	}
	list := func(b *testing.B, a *agent, token, want string) {
		req := httptest.NewRequest("GET", "/v1/credentials", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			b.Fatal(rec.Code, rec.Body.String()[:min(rec.Body.Len(), 300)])
		}
	}
	network := func(c *wallet.Config, _ *api.Options) { c.Flows.HTTPClient = srv.Client() }
	a := newAgent(b, network)
	plain, cached := holder(a, "2468", false), holder(a, "1357", true)
	list(b, a, cached, `"status":"revoked"`) // warm the cache
	b.Run("no-status-1000", func(b *testing.B) {
		b.ReportAllocs()
		defer testkit.CPUPerOp(b)()
		for b.Loop() {
			list(b, a, plain, `"status":"not_checked"`)
		}
	})
	b.Run("status-cached-1000", func(b *testing.B) {
		before := fetches.Load()
		b.ReportAllocs()
		defer testkit.CPUPerOp(b)()
		for b.Loop() {
			list(b, a, cached, `"status_source":"cache"`)
		}
		if n := fetches.Load() - before; n != 0 {
			b.Fatalf("%d fetches from a warm cache", n)
		}
	})
	af := newAgent(b, network, func(c *wallet.Config, _ *api.Options) { c.Flows.StatusMaxAge = time.Nanosecond })
	fetched := holder(af, "2468", true)
	b.Run("status-fetched-1000", func(b *testing.B) {
		b.ReportAllocs()
		defer testkit.CPUPerOp(b)()
		for b.Loop() {
			af.clock.Advance(time.Millisecond) // past the 1 ns bound
			list(b, af, fetched, `"status_source":"network"`)
		}
	})
}
