package issuer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/schemas"
)

// The core's own tests: rules reached without HTTP. The endpoints'
// tests are in issuer/api.

const (
	testVCT      = "urn:cairn:vct:humanitarian-registration:1"
	testConfigID = "humanitarian-registration.v1"
)

var catalogue = sync.OnceValues(schemas.Load)

type coreFixture struct {
	svc    *Service
	store  *MemoryStore
	holder *keys.PrivateKey
}

func newCore(tb testing.TB) *coreFixture {
	tb.Helper()
	cat, err := catalogue()
	if err != nil {
		tb.Fatal(err)
	}
	st := NewMemoryStore()
	tb.Cleanup(func() { st.Close() })
	key, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		tb.Fatal(err)
	}
	holder, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		tb.Fatal(err)
	}
	hk := make([]byte, 32)
	rand.Read(hk)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	svc, err := New(Config{URL: "http://127.0.0.1:8081", Dev: true, Names: map[string]string{"en": "Relief NGO"}, Types: []string{testVCT},
		Catalogue: cat, Key: key, HashKey: hk, Store: st, Now: func() time.Time { return now }, StatusListSize: 1024, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	return &coreFixture{svc: svc, store: st, holder: holder}
}

// token creates an offer and redeems its code.
func (f *coreFixture) token(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	o, err := f.svc.CreateOffer(ctx, OfferRequest{VCT: testVCT, Claims: map[string]any{
		"given_name": "Amina", "registration_id": "REG-1", "registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB"}}})
	if err != nil {
		tb.Fatal(err)
	}
	stored, err := f.svc.GetOffer(ctx, o.ID)
	if err != nil {
		tb.Fatal(err)
	}
	g, err := f.svc.RedeemCode(ctx, f.svc.CredentialOffer(stored).Grants.PreAuthorizedCode.PreAuthorizedCode, "")
	if err != nil {
		tb.Fatal(err)
	}
	return g.AccessToken
}

// issue asks for a credential with a new nonce.
func (f *coreFixture) issue(tb testing.TB, tok string) (*IssuedCredential, error) {
	tb.Helper()
	n, err := f.svc.NewNonce(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return f.svc.IssueCredential(context.Background(), CredentialRequest{AccessToken: tok, ConfigurationID: testConfigID,
		HolderJWK: f.holder.PublicJWK(), HolderDID: f.holder.DIDJWK(), Nonce: n})
}

// failingKey is a crypto.Signer whose signatures fail.
type failingKey struct{ *ecdsa.PrivateKey }

func (failingKey) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("hsm unavailable")
}

// TestFailedSignLeavesNoHalfIssuedCredential: when signing fails after
// the reservation, no Record exists, the reservation is marked failed
// (its index is not handed out again), the status list bits are
// untouched, the access token is usable again and the nonce stays
// consumed; a retry with a new nonce issues. (issuer/api answers the
// failure 500 server_error, as every error without a sentinel.)
func TestFailedSignLeavesNoHalfIssuedCredential(t *testing.T) {
	ctx := context.Background()
	f := newCore(t)
	tok := f.token(t)
	good := f.svc.signer
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := jose.NewSigner(failingKey{k}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.signer = bad
	if _, err := f.issue(t, tok); err == nil || errors.Is(err, ErrNonce) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrUsed) || errors.Is(err, ErrExpired) {
		t.Fatalf("credential with a failing signer: %v, want an internal error", err)
	}

	if recs, err := f.svc.Records(ctx); err != nil || len(recs) != 0 {
		t.Errorf("records after a failed sign: %+v %v", recs, err)
	}
	var failed []*Reservation
	f.store.View(ctx, func(tx Tx) error {
		return tx.ForEachReservation(func(r *Reservation) error { failed = append(failed, r); return nil })
	})
	if len(failed) != 1 || failed[0].State != ReservationFailed {
		t.Fatalf("reservations after a failed sign: %+v, want one failed", failed)
	}
	l, err := f.svc.StatusList(ctx, failed[0].StatusList)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range l.Bits {
		if b != 0 {
			t.Errorf("status list byte %d is %#x after a failed sign, want every entry VALID", i, b)
		}
	}
	if _, err := f.svc.CheckAccessToken(ctx, tok); err != nil {
		t.Errorf("access token not given back after a failed sign: %v", err)
	}
	if n, err := f.svc.NonceCount(ctx); err != nil || n != 1 {
		t.Errorf("NonceCount = %d, %v after a failed sign; the nonce stays consumed (recorded used)", n, err)
	}

	f.svc.signer = good
	if _, err := f.issue(t, tok); err != nil {
		t.Fatalf("retry after a failed sign: %v", err)
	}
	recs, err := f.svc.Records(ctx)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records after the retry: %+v %v", recs, err)
	}
	if recs[0].StatusList == failed[0].StatusList && recs[0].StatusIndex == failed[0].StatusIndex {
		t.Errorf("the failed reservation's index %d was handed out again", failed[0].StatusIndex)
	}
	if _, err := f.issue(t, tok); !errors.Is(err, ErrUsed) && !errors.Is(err, ErrNotFound) {
		t.Errorf("token reused after issuance: %v", err)
	}
}

// TestCredentialIDNoLeadingDash: ids are command-line arguments; one
// starting with "-" would read as a flag, so it is drawn again.
func TestCredentialIDNoLeadingDash(t *testing.T) {
	f := newCore(t)
	dash := bytes.Repeat([]byte{0xf8}, 16) // base64url "-…"
	f.svc.cfg.Rand = io.MultiReader(bytes.NewReader(dash), bytes.NewReader(make([]byte, 16)))
	id, err := f.svc.credentialID()
	if err != nil {
		t.Fatal(err)
	}
	if id != jose.B64.EncodeToString(make([]byte, 16)) {
		t.Errorf("id %q, want the second draw", id)
	}
	if first := jose.B64.EncodeToString(dash); !strings.HasPrefix(first, "-") {
		t.Fatalf("test input %q does not start with a dash", first)
	}
}

// presentPaths keeps what claimpath.Present finds. Before it shared the
// walker with internal/sdjwt, the issuer's copy also kept "/list/01" and
// "/list/+1" (strconv.Atoi), a path without its leading "/", and a bad
// "~" escape taken literally.
func TestPresentPaths(t *testing.T) {
	claims := map[string]any{
		"empty": []any{}, "list": []any{"a", "b"}, "m~2": "literal", "a/b": "s",
		"addr": []any{map[string]any{"city": "X"}, map[string]any{}},
	}
	keep := []string{"/list", "/list/*", "/list/1", "/a~1b", "/empty"}
	drop := []string{"/empty/*", "/list/01", "/list/+1", "/list/2", "list", "/m~2", "/addr/*/city", "/nope"}
	got := presentPaths(claims, append(append([]string(nil), keep...), drop...))
	if !slices.Equal(got, keep) {
		t.Errorf("presentPaths = %q, want %q", got, keep)
	}
}

// FuzzPresentPaths: pointer walking never panics on arbitrary claims.
func FuzzPresentPaths(f *testing.F) {
	f.Add(`{"a":{"b":[1,2]}}`, "/a/b/*")
	f.Add(`{"a~b":[]}`, "/a~0b/*")
	f.Add(`[1]`, "/0")
	f.Fuzz(func(t *testing.T, claims, path string) {
		var m map[string]any
		if json.Unmarshal([]byte(claims), &m) != nil {
			return
		}
		for _, p := range presentPaths(m, []string{path}) {
			if p != path {
				t.Fatalf("returned %q for %q", p, path)
			}
		}
	})
}

// benchStatusList issues one credential so list "1" exists, then gets
// its Status List Token; signEach empties the cache before each call.
// (The HTTP layer adds the same cost to both.)
func benchStatusList(b *testing.B, signEach bool) {
	f := newCore(b)
	if _, err := f.issue(b, f.token(b)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if signEach {
			f.svc.statusCache = newStatusCache()
		}
		if _, _, err := f.svc.SignedStatusList(ctx, "1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStatusListCached is a Status List Token served from the
// signed-token cache (one store read of the revision).
func BenchmarkStatusListCached(b *testing.B) { benchStatusList(b, false) }

// BenchmarkStatusListSigned is the same call signing the list anew, as
// every request did before the cache.
func BenchmarkStatusListSigned(b *testing.B) { benchStatusList(b, true) }

// TestDecodeRegistryExpired: the admin client rebuilds registry_expired
// as an error matching both sentinels.
func TestDecodeRegistryExpired(t *testing.T) {
	decoded := decodeAdminError(AdminErrorBody{Code: "registry_expired", Message: "m"})
	if !errors.Is(decoded, ErrRegistryExpired) || !errors.Is(decoded, ErrNotAuthorized) {
		t.Errorf("decoded admin error %v does not match both sentinels", decoded)
	}
}

// TestExternalTypeRefused: the EU PID is in the catalogue (verifiers read
// it) but issued outside Cairn: an issuer configured for it is refused,
// and an issuer of another type cannot offer it.
func TestExternalTypeRefused(t *testing.T) {
	cat, err := catalogue()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := keys.Generate(jose.ES256, nil)
	_, err = New(Config{URL: "http://127.0.0.1:8081", Dev: true, Names: map[string]string{"en": "Relief NGO"}, Types: []string{testVCT, "urn:eudi:pid:1"},
		Catalogue: cat, Key: key, HashKey: make([]byte, 32), Store: NewMemoryStore()})
	if !errors.Is(err, ErrInvalidConfig) || !errors.Is(err, ErrExternalType) {
		t.Fatalf("New with the PID type: %v", err)
	}
	f := newCore(t)
	_, err = f.svc.CreateOffer(context.Background(), OfferRequest{VCT: "urn:eudi:pid:1", Claims: map[string]any{"family_name": "Tester", "given_name": "Test", "birthdate": "1990-06-12"}})
	if !errors.Is(err, ErrUnknownType) {
		t.Fatalf("offering a PID: %v", err)
	}
}
