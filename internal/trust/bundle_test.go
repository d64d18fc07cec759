package trust

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/statuslist"
)

// resolveDIDJWK is the offline resolver a verifier would inject.
var resolveDIDJWK = (&did.Resolver{}).ResolveKey

type bundleFixture struct {
	auth, issuer, stranger *authority
	snapshot               string
	lists                  map[string]string
	now                    time.Time
}

const listURI = "https://ngo.example/status/1"

func statusListToken(t testing.TB, signer *jose.Signer, uri string, iat time.Time, revoked ...int) string {
	t.Helper()
	l, err := statuslist.New(1, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range revoked {
		if err := l.Set(i, 1); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := l.SignToken(signer, statuslist.TokenOptions{Subject: uri, IssuedAt: iat, ExpiresIn: 30 * day})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func newBundleFixture(t testing.TB, mutate func(r *Registry)) *bundleFixture {
	t.Helper()
	f := &bundleFixture{auth: newAuthority(t, false), issuer: newAuthority(t, false), stranger: newAuthority(t, true), now: t0.Add(2 * day)}
	r := fixtureRegistry()
	r.Authority, r.Version, r.IssuedAt, r.Expires = f.auth.did, 7, t0, t0.Add(30*day)
	ngo := r.Entities[0]
	ngo.DID = f.issuer.did
	r.Entities = append(r.Entities, ngo)
	if mutate != nil {
		mutate(r)
	}
	var err error
	if f.snapshot, err = SignSnapshot(r, f.auth.signer); err != nil {
		t.Fatal(err)
	}
	f.lists = map[string]string{listURI: statusListToken(t, f.issuer.signer, listURI, t0.Add(day), 3, 1000)}
	return f
}

func (f *bundleFixture) load(t testing.TB, b []byte) (*Bundle, error) {
	return LoadBundle(context.Background(), b, []*jose.JWK{f.auth.jwk}, f.now, BundleOptions{Resolve: resolveDIDJWK})
}

func TestLoadBundle(t *testing.T) {
	f := newBundleFixture(t, nil)
	b, err := MakeBundle(f.snapshot, f.lists, t0.Add(36*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := f.load(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if bundle.Age != 12*time.Hour || bundle.SnapshotAge != 2*day || bundle.Registry.Version != 7 {
		t.Fatalf("age %s snapshot age %s version %d", bundle.Age, bundle.SnapshotAge, bundle.Registry.Version)
	}
	for idx, want := range map[int]uint8{0: 0, 3: 1, 4: 0, 1000: 1} {
		got, err := bundle.Status(statuslist.Reference{URI: listURI, Index: idx})
		if err != nil || got != want {
			t.Errorf("status %d = %d, %v; want %d", idx, got, err, want)
		}
	}
	if _, err := bundle.Status(statuslist.Reference{URI: "https://other.example/1", Index: 0}); !errors.Is(err, ErrStatusListMissing) {
		t.Errorf("missing list: %v", err)
	}
	if _, err := bundle.Status(statuslist.Reference{URI: listURI, Index: 5000}); !errors.Is(err, statuslist.ErrIndexOutOfRange) {
		t.Errorf("index out of range: %v", err)
	}
	if got := bundle.StatusListURIs(); len(got) != 1 || got[0] != listURI {
		t.Errorf("URIs %v", got)
	}
}

func TestLoadBundleRefuses(t *testing.T) {
	f := newBundleFixture(t, nil)
	created := t0.Add(day)
	mk := func(snapshot string, lists map[string]string) []byte {
		b, err := MakeBundle(snapshot, lists, created)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	compromised := newBundleFixture(t, func(r *Registry) {
		e := &r.Entities[len(r.Entities)-1]
		e.Status = StatusRevoked
		e.StatusHistory = append(e.StatusHistory, StatusChange{Status: StatusRevoked, At: t0.Add(day / 2), Compromised: true})
	})
	verifierRole := newBundleFixture(t, func(r *Registry) {
		e := &r.Entities[len(r.Entities)-1]
		e.Role, e.IssuerAuthorizations = RoleVerifier, nil
	})
	parts := strings.Split(f.snapshot, ".")
	tests := []struct {
		name string
		f    *bundleFixture
		b    []byte
		want error
	}{
		{"forged snapshot", f, mk(parts[0]+"."+parts[1]+"."+strings.Repeat("A", len(parts[2])), f.lists), ErrSnapshotSignature},
		{"list signed by a stranger", f, mk(f.snapshot, map[string]string{listURI: statusListToken(t, f.stranger.signer, listURI, t0)}), ErrBundleStatusList},
		{"stranger claims to be the issuer", f, mk(f.snapshot, map[string]string{listURI: statusListToken(t, f.stranger.signer.WithKeyID(f.issuer.did+"#0"), listURI, t0)}), ErrBundleStatusList},
		{"list filed under another URI", f, mk(f.snapshot, map[string]string{"https://ngo.example/status/2": f.lists[listURI]}), ErrBundleStatusList},
		{"list without kid", f, mk(f.snapshot, map[string]string{listURI: statusListToken(t, f.issuer.signer.WithKeyID(""), listURI, t0)}), ErrBundleStatusList},
		{"compromised issuer", compromised, mk(compromised.snapshot, compromised.lists), ErrBundleStatusList},
		{"issuer registered as verifier", verifierRole, mk(verifierRole.snapshot, verifierRole.lists), ErrBundleStatusList},
		{"wrong type", f, []byte(`{"type":"x","snapshot":"","status_lists":{},"created":1}`), ErrBundleMalformed},
		{"unknown member", f, []byte(`{"type":"cairn-bundle","snapshot":"","status_lists":{},"created":1,"extra":1}`), ErrBundleMalformed},
		{"no created", f, []byte(`{"type":"cairn-bundle","snapshot":"","status_lists":{}}`), ErrBundleMalformed},
		{"not JSON", f, []byte(`cairn`), ErrBundleMalformed},
		{"trailing data", f, append(mk(f.snapshot, f.lists), []byte(" {}")...), ErrBundleMalformed},
		{"stray closing brace", f, append(mk(f.snapshot, f.lists), []byte("}")...), ErrBundleMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.f.load(t, tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Expired snapshot.
	late := *f
	late.now = t0.Add(31 * day)
	if _, err := late.load(t, mk(f.snapshot, nil)); !errors.Is(err, ErrSnapshotExpired) {
		t.Errorf("expired: %v", err)
	}
	// No resolver but lists present.
	if _, err := LoadBundle(context.Background(), mk(f.snapshot, f.lists), []*jose.JWK{f.auth.jwk}, f.now, BundleOptions{}); !errors.Is(err, ErrBundleStatusList) {
		t.Errorf("no resolver: %v", err)
	}
}

func TestMakeBundleShape(t *testing.T) {
	b, err := MakeBundle("a.b.c", map[string]string{"u": "t"}, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["type"] != BundleType || m["snapshot"] != "a.b.c" || m["created"] != float64(1700000000) || m["status_lists"].(map[string]any)["u"] != "t" {
		t.Fatalf("bundle shape: %s", b)
	}
}
