package lote

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
)

// The EUDI vectors are kept once, in testdata/eudi (provenance in its
// README.md).
const (
	eudiDir = "../../testdata/eudi/"
	refList = eudiDir + "trust-lists/lote-pid-providers-eudi-ref-2026-03-16.json"
)

// importTime lies between the reference list's issue (2026-03-16) and its
// NextUpdate (2026-09-12).
var importTime = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func readRef(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(refList)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pemCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// edit decodes the reference list, lets change alter it, and re-encodes it.
func edit(t testing.TB, payload []byte, change func(lote map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(payload, &doc); err != nil {
		t.Fatal(err)
	}
	change(doc["LoTE"].(map[string]any))
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func scheme(l map[string]any) map[string]any { return l["ListAndSchemeInformation"].(map[string]any) }

// withServiceTypes gives every service the PID issuance type, as Annex D
// wants, and sets the sequence number.
func withServiceTypes(t testing.TB, payload []byte, seq int) []byte {
	return edit(t, payload, func(l map[string]any) {
		scheme(l)["LoTESequenceNumber"] = seq
		for _, e := range l["TrustedEntitiesList"].([]any) {
			for _, s := range e.(map[string]any)["TrustedEntityServices"].([]any) {
				s.(map[string]any)["ServiceInformation"].(map[string]any)["ServiceTypeIdentifier"] = SvcPIDIssuance
			}
		}
	})
}

func TestReferenceListSchemaValid(t *testing.T) {
	l, err := Parse(readRef(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Entities) != 7 || l.Scheme.Type != TypePIDProviders || l.Scheme.SequenceNumber != 1 {
		t.Fatalf("entities %d, type %s, seq %d", len(l.Entities), l.Scheme.Type, l.Scheme.SequenceNumber)
	}
	// The schema is live: an unknown member and a missing required one fail.
	for name, change := range map[string]func(map[string]any){
		"unknown member":         func(l map[string]any) { scheme(l)["Extra"] = 1 },
		"missing SchemeOperator": func(l map[string]any) { delete(scheme(l), "SchemeOperatorName") },
		"territory of 3 letters": func(l map[string]any) { scheme(l)["SchemeTerritory"] = "EUR" },
	} {
		if _, err := Parse(edit(t, readRef(t), change)); !errors.Is(err, ErrSchema) {
			t.Errorf("%s: %v, want ErrSchema", name, err)
		}
	}
	if _, err := Parse([]byte(`{"LoTE":{},"LoTE":{}}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("duplicate member: %v", err)
	}
}

// TestReferenceStrict: no service of the reference list carries a
// ServiceTypeIdentifier, so the Annex D profile finds no PID anchor, and
// says why for each entity.
func TestReferenceStrict(t *testing.T) {
	l, err := Parse(readRef(t))
	if err != nil {
		t.Fatal(err)
	}
	r, err := CheckPIDProfile(l, ProfileOptions{Now: importTime})
	if !errors.Is(err, ErrNoAnchors) || !strings.Contains(err.Error(), "no ServiceTypeIdentifier") {
		t.Fatalf("strict: %v, want ErrNoAnchors naming the missing service type", err)
	}
	if r == nil || r.AnchorCount(trust.AnchorPID) != 0 || len(r.Entities) != 7 {
		t.Fatalf("strict report: %+v", r)
	}
	for _, e := range r.Entities {
		if len(e.Skipped) != 1 || !strings.Contains(e.Skipped[0], "has no ServiceTypeIdentifier") || !strings.Contains(e.Skipped[0], SvcPIDIssuance) {
			t.Errorf("%s: skipped %q", e.Name, e.Skipped)
		}
	}
}

// TestReferenceLenient: 7 flagged anchors, among them UT 02 and CA 02 EU.
func TestReferenceLenient(t *testing.T) {
	l, err := Parse(readRef(t))
	if err != nil {
		t.Fatal(err)
	}
	r, err := CheckPIDProfile(l, ProfileOptions{Now: importTime, Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := r.AnchorCount(trust.AnchorPID); n != 7 {
		t.Fatalf("lenient: %d anchors, want 7", n)
	}
	found := map[string]string{}
	for _, e := range r.Entities {
		for _, a := range e.Anchors {
			if len(a.Flags) != 1 || a.Flags[0] != FlagServiceTypeMissing || !a.Since.Equal(r.IssuedAt) {
				t.Errorf("%s: flags %v since %s", e.Name, a.Flags, a.Since)
			}
			found[string(a.Cert.Raw)] = e.Name
		}
	}
	for _, f := range []string{eudiDir + "certs/pid-issuer-ca-ut-02.pem", eudiDir + "certs/pid-issuer-ca-02-eu.pem"} {
		if name, ok := found[string(pemCert(t, f).Raw)]; !ok {
			t.Errorf("%s is not among the anchors", f)
		} else {
			t.Logf("%s: %s", f, name)
		}
	}
}

type pki struct {
	ca, seal *testkit.TestCert
}

func newPKI(t testing.TB, name string) pki {
	ca := testkit.NewTestCA(t, name+" Root", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	return pki{ca: ca, seal: ca.Issue(t, name+" LoTE seal", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), 3*365*24*time.Hour)}
}

func (p pki) sign(t testing.TB, payload []byte) string {
	t.Helper()
	jws, err := Sign(payload, p.seal.Key, []*x509.Certificate{p.seal.Cert}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

// TestSignedRoundTrip: a list signed under a test seal verifies against
// the seal's CA, and with service types set the strict profile takes all
// 7 anchors.
func TestSignedRoundTrip(t *testing.T) {
	p := newPKI(t, "Test")
	payload := withServiceTypes(t, readRef(t), 2)
	s, err := Verify(p.sign(t, payload), VerifyOptions{SealAnchors: []*x509.Certificate{p.ca.Cert}, Now: importTime})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Payload, payload) || !s.Anchor().Equal(p.ca.Cert) || !s.Signer().Equal(p.seal.Cert) {
		t.Fatal("verified list differs from the signed one")
	}
	r, err := CheckPIDProfile(s.List, ProfileOptions{Now: importTime})
	if err != nil {
		t.Fatal(err)
	}
	if n := r.AnchorCount(trust.AnchorPID); n != 7 || r.Sequence != 2 {
		t.Fatalf("strict on typed list: %d anchors, seq %d", n, r.Sequence)
	}
	for _, e := range r.Entities {
		if len(e.Anchors[0].Flags) != 0 {
			t.Errorf("%s: flags %v", e.Name, e.Anchors[0].Flags)
		}
	}
}

// TestVerifyRefusals: each way a signed list can fail has its own error.
func TestVerifyRefusals(t *testing.T) {
	p, other := newPKI(t, "Test"), newPKI(t, "Other")
	payload := withServiceTypes(t, readRef(t), 2)
	good := p.sign(t, payload)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + jose.B64.EncodeToString(bytes.Replace(payload, []byte("Trusted Entity UT"), []byte("Trusted Entity XX"), 1)) + "." + parts[2]
	noX5C, err := func() (string, error) {
		s, err := jose.NewSigner(p.seal.Key, rand.Reader)
		if err != nil {
			return "", err
		}
		return s.Sign(nil, payload)
	}()
	if err != nil {
		t.Fatal(err)
	}
	anchors := []*x509.Certificate{p.ca.Cert}
	for _, tc := range []struct {
		name    string
		jws     string
		anchors []*x509.Certificate
		now     time.Time
		want    error
	}{
		{"tampered", tampered, anchors, importTime, ErrSignature},
		{"wrong seal", good, []*x509.Certificate{other.ca.Cert}, importTime, ErrUntrustedSigner},
		{"seal expired", good, anchors, time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC), ErrUntrustedSigner},
		{"no x5c", noX5C, anchors, importTime, ErrMalformed},
		{"not a JWS", "{}", anchors, importTime, ErrMalformed},
		{"schema", p.sign(t, []byte(`{"LoTE":{"ListAndSchemeInformation":{}}}`)), anchors, importTime, ErrSchema},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.jws, VerifyOptions{SealAnchors: tc.anchors, Now: tc.now})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestProfileRefusals: list-level Annex D breaches and staleness.
func TestProfileRefusals(t *testing.T) {
	typed := withServiceTypes(t, readRef(t), 2)
	for _, tc := range []struct {
		name   string
		change func(map[string]any)
		now    time.Time
		grace  time.Duration
		want   error
		stale  bool
	}{
		{"other LoTEType", func(l map[string]any) {
			scheme(l)["LoTEType"] = "http://uri.etsi.org/19602/LoTEType/EUWalletProvidersList"
		}, importTime, 0, ErrProfile, false},
		{"territory", func(l map[string]any) { scheme(l)["SchemeTerritory"] = "DE" }, importTime, 0, ErrProfile, false},
		{"no territory", func(l map[string]any) { delete(scheme(l), "SchemeTerritory") }, importTime, 0, ErrProfile, false},
		{"NextUpdate beyond six months", func(l map[string]any) { scheme(l)["NextUpdate"] = "2026-09-17T00:00:00Z" }, importTime, 0, ErrProfile, false},
		{"NextUpdate before issue", func(l map[string]any) { scheme(l)["NextUpdate"] = "2026-03-01T00:00:00Z" }, importTime, 0, ErrProfile, false},
		{"issued in the future", func(map[string]any) {}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 0, ErrProfile, false},
		{"past NextUpdate", func(map[string]any) {}, time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC), 7 * 24 * time.Hour, ErrStale, false},
		{"past NextUpdate within grace", func(map[string]any) {}, time.Date(2026, 9, 13, 0, 0, 0, 0, time.UTC), 7 * 24 * time.Hour, nil, true},
		{"other service type skipped", func(l map[string]any) {
			for _, e := range l["TrustedEntitiesList"].([]any) {
				for _, s := range e.(map[string]any)["TrustedEntityServices"].([]any) {
					s.(map[string]any)["ServiceInformation"].(map[string]any)["ServiceTypeIdentifier"] = "http://uri.etsi.org/19602/SvcType/EAA/Issuance"
				}
			}
		}, importTime, 0, ErrNoAnchors, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse(edit(t, typed, tc.change))
			if err != nil {
				t.Fatal(err)
			}
			r, err := CheckPIDProfile(l, ProfileOptions{Now: tc.now, Grace: tc.grace})
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil && (r.Stale != tc.stale || (tc.stale && len(r.Warnings) == 0)) {
				t.Fatalf("stale %v warnings %v", r.Stale, r.Warnings)
			}
		})
	}
}

// TestWithdrawnAndRevocation: a withdrawn service's anchors come back
// withdrawn from their StatusStartingTime; a revocation service makes
// pid-status anchors.
func TestWithdrawnAndRevocation(t *testing.T) {
	l, err := Parse(edit(t, withServiceTypes(t, readRef(t), 2), func(l map[string]any) {
		ents := l["TrustedEntitiesList"].([]any)
		si := ents[0].(map[string]any)["TrustedEntityServices"].([]any)[0].(map[string]any)["ServiceInformation"].(map[string]any)
		si["ServiceStatus"] = "http://uri.etsi.org/19602/PIDProvidersList/SvcStatus/withdrawn"
		si["StatusStartingTime"] = "2026-04-01T00:00:00Z"
		si = ents[1].(map[string]any)["TrustedEntityServices"].([]any)[0].(map[string]any)["ServiceInformation"].(map[string]any)
		si["ServiceTypeIdentifier"] = SvcPIDRevocation
	}))
	if err != nil {
		t.Fatal(err)
	}
	r, err := CheckPIDProfile(l, ProfileOptions{Now: importTime})
	if err != nil {
		t.Fatal(err)
	}
	a := r.Entities[0].Anchors[0]
	if !a.Withdrawn || !a.Since.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("withdrawn anchor: %+v", a)
	}
	if r.AnchorCount(trust.AnchorPIDStatus) != 1 || r.AnchorCount(trust.AnchorPID) != 6 {
		t.Fatalf("pid %d pid-status %d", r.AnchorCount(trust.AnchorPID), r.AnchorCount(trust.AnchorPIDStatus))
	}
}

func FuzzParse(f *testing.F) {
	ref, err := os.ReadFile(refList)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ref)
	f.Add([]byte(`{"LoTE":{"ListAndSchemeInformation":{"LoTEVersionIdentifier":1,"LoTESequenceNumber":1,"SchemeOperatorName":[{"lang":"en","value":"x"}],"ListIssueDateTime":"2026-01-01T00:00:00Z","NextUpdate":"2026-02-01T00:00:00Z"}}}`))
	f.Add([]byte(`{"LoTE":{"ListAndSchemeInformation":{"LoTESequenceNumber":-1}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Parse(b)
		if err != nil {
			return
		}
		if len(l.Entities) > MaxEntities {
			t.Fatalf("%d entities accepted", len(l.Entities))
		}
		// Whatever parses, the profile check must answer without panicking.
		_, _ = CheckPIDProfile(l, ProfileOptions{Now: importTime, Lenient: true})
	})
}
