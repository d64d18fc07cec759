package trust

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
)

type authority struct {
	did    string
	jwk    *jose.JWK
	signer *jose.Signer
}

func newAuthority(t testing.TB, ed bool) *authority {
	t.Helper()
	var s *jose.Signer
	var err error
	if ed {
		_, priv, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			t.Fatal(gerr)
		}
		s, err = jose.NewSigner(priv, rand.Reader)
	} else {
		priv, gerr := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if gerr != nil {
			t.Fatal(gerr)
		}
		s, err = jose.NewSigner(priv, rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jose.NewJWK(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	did := did.FromJWK(jwk)
	return &authority{did: did, jwk: jwk, signer: s.WithKeyID(did + "#0")}
}

func (a *authority) sign(t testing.TB, version uint64, iat time.Time, ttl time.Duration) string {
	t.Helper()
	r := fixtureRegistry()
	r.Authority, r.Version, r.IssuedAt, r.Expires = a.did, version, iat, iat.Add(ttl)
	s, err := SignSnapshot(r, a.signer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifySnapshot(t *testing.T) {
	auth := newAuthority(t, false)
	other := newAuthority(t, true)
	good := auth.sign(t, 3, t0, 30*day)
	now := t0.Add(day)

	r, err := VerifySnapshot(good, []*jose.JWK{other.jwk, auth.jwk}, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 3 || r.Authority != auth.did || !r.IssuedAt.Equal(t0) || len(r.Entities) != len(fixtureRegistry().Entities) {
		t.Fatalf("round trip lost data: version %d authority %s iat %s", r.Version, r.Authority, r.IssuedAt)
	}
	if d, _ := r.IssuerAuthorized("did:example:ngo", vctID, t0.Add(day)); !d.Authorized {
		t.Fatal("snapshot lost an authorization")
	}
	// An Ed25519 authority verifies as well.
	if _, err := VerifySnapshot(other.sign(t, 1, t0, day), []*jose.JWK{auth.jwk, other.jwk}, now.Add(-time.Hour)); err != nil {
		t.Fatalf("EdDSA snapshot: %v", err)
	}

	parts := strings.Split(good, ".")
	payload, _ := jose.DecodeSegment(parts[1])
	forgedPayload := strings.Replace(string(payload), `"did:example:ngo"`, `"did:example:evil"`, 1)
	if forgedPayload == string(payload) {
		t.Fatal("forgery setup did not change the payload")
	}
	forged := parts[0] + "." + jose.B64.EncodeToString([]byte(forgedPayload)) + "." + parts[2]
	// Signed by a key nobody pinned, claiming to be the pinned authority.
	impostor := newAuthority(t, false)
	rr := fixtureRegistry()
	rr.Authority, rr.Version, rr.IssuedAt, rr.Expires = auth.did, 4, t0, t0.Add(30*day)
	impostorSnap, err := SignSnapshot(rr, impostor.signer.WithKeyID(auth.did+"#0"))
	if err != nil {
		t.Fatal(err)
	}
	// Signed by the right key but with the wrong typ.
	rb, _ := json.Marshal(rr)
	wrongTyp, _ := auth.signer.Sign(map[string]any{"typ": "JWT"}, rb)
	// Signed by the right key but naming another authority.
	other2 := auth.signer.WithKeyID(other.did + "#0")
	otherKid, _ := other2.Sign(map[string]any{"typ": SnapshotType}, mustJSON(t, rr))
	// A pin that names its authority (kid) only verifies that authority.
	namedPin := *auth.jwk
	namedPin.Kid = other.did + "#0"
	// Invalid registry content, properly signed.
	rr.Authority = auth.did
	rr.Entities[0].Role = "admin"
	badContent, _ := auth.signer.Sign(map[string]any{"typ": SnapshotType}, mustJSON(t, rr))

	tests := []struct {
		name    string
		compact string
		pinned  []*jose.JWK
		now     time.Time
		want    error
	}{
		{"forged payload", forged, []*jose.JWK{auth.jwk}, now, ErrSnapshotSignature},
		{"impostor key", impostorSnap, []*jose.JWK{auth.jwk}, now, ErrSnapshotSignature},
		{"nothing pinned", good, nil, now, ErrSnapshotSignature},
		{"expired", good, []*jose.JWK{auth.jwk}, t0.Add(30 * day), ErrSnapshotExpired},
		{"from the future", good, []*jose.JWK{auth.jwk}, t0.Add(-time.Hour), ErrSnapshotMalformed},
		{"wrong typ", wrongTyp, []*jose.JWK{auth.jwk}, now, ErrSnapshotMalformed},
		{"kid names other authority", otherKid, []*jose.JWK{auth.jwk}, now, ErrSnapshotMalformed},
		{"pin names another authority", good, []*jose.JWK{&namedPin}, now, ErrSnapshotSignature},
		{"invalid content", badContent, []*jose.JWK{auth.jwk}, now, ErrSnapshotMalformed},
		{"two parts", parts[0] + "." + parts[1], []*jose.JWK{auth.jwk}, now, ErrSnapshotMalformed},
		{"padded", good + "=", []*jose.JWK{auth.jwk}, now, ErrSnapshotMalformed},
		{"too large", strings.Repeat("a", MaxSnapshotLen+1), []*jose.JWK{auth.jwk}, now, ErrSnapshotMalformed},
		{"alg none", jose.B64.EncodeToString([]byte(`{"alg":"none","typ":"cairn-registry+jwt","kid":"x"}`)) + "." + parts[1] + ".", []*jose.JWK{auth.jwk}, now, ErrSnapshotSignature},
		{"crit", jose.B64.EncodeToString([]byte(`{"alg":"ES256","typ":"cairn-registry+jwt","kid":"x","crit":["exp"]}`)) + "." + parts[1] + "." + parts[2], []*jose.JWK{auth.jwk}, now, ErrSnapshotMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := VerifySnapshot(tc.compact, tc.pinned, tc.now); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifySnapshotLarge(t *testing.T) {
	// Larger than jose.MaxCompactLen: must still verify.
	auth := newAuthority(t, false)
	r := fixtureRegistry()
	r.Authority, r.Version, r.IssuedAt, r.Expires = auth.did, 1, t0, t0.Add(day)
	tmpl := r.Entities[0]
	for i := 0; len(mustJSON(t, r)) < 2*jose.MaxCompactLen; i++ {
		e := tmpl
		e.DID = "did:example:bulk-" + strings.Repeat("x", 8) + string(rune('a'+i%26)) + "-" + itoa(i)
		r.Entities = append(r.Entities, e)
	}
	s, err := SignSnapshot(r, auth.signer)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) <= jose.MaxCompactLen {
		t.Fatalf("snapshot only %d bytes", len(s))
	}
	got, err := VerifySnapshot(s, []*jose.JWK{auth.jwk}, t0)
	if err != nil || len(got.Entities) != len(r.Entities) {
		t.Fatalf("large snapshot: %v", err)
	}
}

func itoa(i int) string { return strings.TrimSpace(string(mustJSONAny(i))) }

func mustJSONAny(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignSnapshotRefuses(t *testing.T) {
	auth := newAuthority(t, false)
	r := fixtureRegistry()
	r.Authority, r.Version, r.IssuedAt, r.Expires = auth.did, 1, t0, t0.Add(day)
	if _, err := SignSnapshot(r, auth.signer.WithKeyID("did:example:other#0")); err == nil {
		t.Error("signed with a kid of another DID")
	}
	r.Version = 0
	if _, err := SignSnapshot(r, auth.signer); err == nil {
		t.Error("signed version 0")
	}
}

func TestClientRefreshAndRollback(t *testing.T) {
	auth := newAuthority(t, false)
	var serving atomic.Value
	serving.Store(auth.sign(t, 2, t0, 30*day))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwt")
		w.Write([]byte(serving.Load().(string)))
	}))
	defer srv.Close()
	now := t0.Add(2 * day)
	c := &Client{Pinned: []*jose.JWK{auth.jwk}, HTTPClient: srv.Client(), CachePath: filepath.Join(t.TempDir(), "registry.jwt"), Now: func() time.Time { return now }}
	ctx := context.Background()

	if _, _, err := c.Current(); !errors.Is(err, ErrNoCache) {
		t.Fatalf("empty cache: %v", err)
	}
	r, err := c.Refresh(ctx, srv.URL)
	if err != nil || r.Version != 2 {
		t.Fatalf("refresh: %v", err)
	}
	cur, age, err := c.Current()
	if err != nil || cur.Version != 2 || age != 2*day {
		t.Fatalf("current: version %v age %s err %v", cur, age, err)
	}
	// The same snapshot again is fine.
	if _, err := c.Refresh(ctx, srv.URL); err != nil {
		t.Fatalf("same snapshot again: %v", err)
	}
	// An older, validly signed snapshot is a rollback.
	serving.Store(auth.sign(t, 1, t0.Add(day), 30*day))
	if _, err := c.Refresh(ctx, srv.URL); !errors.Is(err, ErrSnapshotRollback) {
		t.Fatalf("older snapshot: %v", err)
	}
	// The same version with other content is refused too.
	serving.Store(auth.sign(t, 2, t0.Add(day), 30*day))
	if _, err := c.Refresh(ctx, srv.URL); !errors.Is(err, ErrSnapshotRollback) {
		t.Fatalf("equivocating snapshot: %v", err)
	}
	// A forged one does not touch the cache.
	serving.Store("e30.e30.AAAA")
	if _, err := c.Refresh(ctx, srv.URL); err == nil {
		t.Fatal("garbage accepted")
	}
	if cur, _, err := c.Current(); err != nil || cur.Version != 2 {
		t.Fatalf("cache changed by refused snapshots: %v %v", cur, err)
	}
	// A newer one replaces the cache.
	serving.Store(auth.sign(t, 3, t0.Add(day), 30*day))
	if r, err := c.Refresh(ctx, srv.URL); err != nil || r.Version != 3 {
		t.Fatalf("newer: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(c.CachePath))
	if len(entries) != 1 {
		t.Fatalf("temp files left behind: %d entries", len(entries))
	}
	// Once the cached snapshot expires, Current says so.
	now = t0.Add(31 * day)
	if _, _, err := c.Current(); !errors.Is(err, ErrSnapshotExpired) {
		t.Fatalf("expired cache: %v", err)
	}
}

func TestClientHTTPErrors(t *testing.T) {
	auth := newAuthority(t, false)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write([]byte(strings.Repeat("a", MaxSnapshotLen+10)))
			return
		}
		http.Error(w, "nope", http.StatusNotFound)
	}))
	defer srv.Close()
	c := &Client{Pinned: []*jose.JWK{auth.jwk}, HTTPClient: srv.Client(), CachePath: filepath.Join(t.TempDir(), "c.jwt"), Now: func() time.Time { return t0 }}
	if _, err := c.Refresh(context.Background(), srv.URL+"/missing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: %v", err)
	}
	if _, err := c.Refresh(context.Background(), srv.URL+"/big"); !errors.Is(err, ErrSnapshotMalformed) {
		t.Errorf("oversize: %v", err)
	}
}
