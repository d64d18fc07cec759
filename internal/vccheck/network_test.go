package vccheck

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
)

// webIssuer is a did:web issuer whose DID document is served by a local
// TLS server that counts every request it gets.
type webIssuer struct {
	key  *keys.PrivateKey
	did  string
	hits atomic.Int64
	srv  *httptest.Server
}

func newWebIssuer(t *testing.T) *webIssuer {
	t.Helper()
	wi := &webIssuer{key: gen(t)}
	wi.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wi.hits.Add(1)
		jwk := wi.key.PublicJWK()
		doc, _ := json.Marshal(map[string]any{
			"id": wi.did,
			"verificationMethod": []any{map[string]any{
				"id": wi.did + "#0", "type": "JsonWebKey2020", "controller": wi.did, "publicKeyJwk": jwk.Map(),
			}},
			"assertionMethod": []string{wi.did + "#0"},
		})
		w.Header().Set("Content-Type", "application/did+json")
		w.Write(doc)
	}))
	t.Cleanup(wi.srv.Close)
	u, _ := url.Parse(wi.srv.URL)
	wi.did = "did:web:" + strings.ReplaceAll(u.Host, ":", "%3A")
	return wi
}

// resolver reaches the counting server (its TLS certificate trusted).
func (wi *webIssuer) resolver() *did.Resolver {
	return &did.Resolver{HTTPClient: wi.srv.Client(), AllowPrivate: true}
}

func (wi *webIssuer) issue(t *testing.T, holder *jose.JWK) string {
	t.Helper()
	s, err := sdjwtvc.Issue(sdjwtvc.Credential{
		VCT: vctReg, Issuer: wi.did, IssuedAt: tAdmit.Add(time.Hour), ExpiresAt: tNow.Add(24 * time.Hour),
		HolderJWK: holder, Claims: map[string]any{"given_name": "Amina"},
	}, sdjwtvc.IssueOptions{Signer: wi.key.JoseSigner().WithKeyID(wi.did + "#0")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUntrustedDIDWebNotResolved: a did:web issuer that the verifier's
// trust (pinned keys, trusted DIDs, registry) does not name is refused as
// untrusted without its host ever being contacted, and --offline never
// contacts any host, even for a trusted did:web issuer.
func TestUntrustedDIDWebNotResolved(t *testing.T) {
	w := newWorld(t)
	stranger := gen(t)
	cases := []struct {
		name     string
		opts     func(*Options, *webIssuer)
		want     []error
		wantHits int64
	}{
		{"trusted DIDs name someone else", func(o *Options, _ *webIssuer) {
			o.Credential.Trust.TrustedDIDs = []string{stranger.DIDJWK()}
		}, []error{sdjwtvc.ErrUntrustedIssuer}, 0},
		{"no trust configured at all", func(o *Options, _ *webIssuer) {}, []error{sdjwtvc.ErrUntrustedIssuer}, 0},
		{"pinned key of someone else", func(o *Options, _ *webIssuer) {
			o.Credential.Trust.PinnedKeys = []*jose.JWK{stranger.PublicJWK()}
		}, []error{sdjwtvc.ErrUntrustedIssuer}, 0},
		{"registry does not list the issuer", func(o *Options, _ *webIssuer) { o.Registry = w.reg }, []error{sdjwtvc.ErrUntrustedIssuer}, 0},
		{"registry does not list the issuer, offline", func(o *Options, _ *webIssuer) {
			o.Registry = w.reg
			o.Offline = true
		}, []error{sdjwtvc.ErrUntrustedIssuer}, 0},
		{"trusted did:web but offline", func(o *Options, wi *webIssuer) {
			o.Credential.Trust.TrustedDIDs = []string{wi.did}
			o.Offline = true
		}, []error{sdjwtvc.ErrIssuerKey, ErrNeedsNetwork}, 0},
		{"pinned key named by the issuer's DID URL needs no resolution", func(o *Options, wi *webIssuer) {
			k := wi.key.PublicJWK()
			k.Kid = wi.did + "#0"
			o.Credential.Trust.PinnedKeys = []*jose.JWK{k}
			o.Offline = true
		}, nil, 0},
		{"trusted did:web online is resolved", func(o *Options, wi *webIssuer) {
			o.Credential.Trust.TrustedDIDs = []string{wi.did}
		}, nil, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wi := newWebIssuer(t)
			o := baseOptions()
			o.Credential.Trust.Resolver = wi.resolver()
			tc.opts(&o, wi)
			_, err := Verify(context.Background(), wi.issue(t, w.holder.PublicJWK()), o)
			if tc.want == nil && err != nil {
				t.Fatalf("err = %v, want valid", err)
			}
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			}
			if got := wi.hits.Load(); got != tc.wantHits {
				t.Errorf("issuer host contacted %d times, want %d", got, tc.wantHits)
			}
			if len(tc.want) > 0 && tc.want[0] == sdjwtvc.ErrUntrustedIssuer && Classify(err) != CodeUntrusted {
				t.Errorf("code %q, want %q", Classify(err), CodeUntrusted)
			}
		})
	}
}

// TestOfflineNeverFetchesStatus: with Offline, a status list missing from
// the bundle is unavailable even when a fetch function is configured.
func TestOfflineNeverFetchesStatus(t *testing.T) {
	w := newWorld(t)
	o := baseOptions()
	o.Bundle = w.bundle(t, nil)
	o.Offline = true
	var fetched int
	o.FetchStatusList = func(context.Context, string) (string, error) { fetched++; return w.token(t, w.ngo), nil }
	_, err := Verify(context.Background(), w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 3), o)
	if !errors.Is(err, ErrStatusUnavailable) || fetched != 0 {
		t.Fatalf("err = %v, fetched %d times", err, fetched)
	}
}

// TestHolderKeyOffCurve: a credential whose cnf.jwk is not a usable key
// (a point off the curve) is invalid even without key binding, instead of
// verifying with the holder silently dropped.
func TestHolderKeyOffCurve(t *testing.T) {
	w := newWorld(t)
	good := w.holder.PublicJWK()
	offCurve := *good
	// Flip the last character of y: the point leaves the curve.
	last := offCurve.Y[len(offCurve.Y)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	offCurve.Y = offCurve.Y[:len(offCurve.Y)-1] + string(repl)
	if _, err := offCurve.PublicKey(); err == nil {
		t.Fatal("test key is still on the curve")
	}
	issueWith := func(holder *jose.JWK) string {
		s, err := sdjwtvc.Issue(sdjwtvc.Credential{
			VCT: vctReg, Issuer: w.ngo.DIDJWK(), IssuedAt: tAdmit.Add(time.Hour), ExpiresAt: tNow.Add(24 * time.Hour),
			HolderJWK: holder, Claims: map[string]any{"given_name": "Amina"},
		}, sdjwtvc.IssueOptions{Signer: w.ngo.JoseSigner().WithKeyID(w.ngo.DIDJWK() + "#0")})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := []struct {
		name   string
		holder *jose.JWK
		valid  bool
	}{
		{"on the curve", good, true},
		{"no cnf at all", nil, true},
		{"off the curve", &offCurve, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions()
			o.Registry = w.reg
			out, err := Verify(context.Background(), issueWith(tc.holder), o)
			if tc.valid {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if (tc.holder != nil) != (out.Result.HolderJWK != nil) {
					t.Fatalf("holder key %v, want present=%v", out.Result.HolderJWK, tc.holder != nil)
				}
				return
			}
			if !errors.Is(err, sdjwt.ErrHolderKey) || Classify(err) == CodeValid {
				t.Fatalf("err = %v (code %q), want a holder key error", err, Classify(err))
			}
		})
	}
}
