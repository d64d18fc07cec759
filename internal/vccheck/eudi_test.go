package vccheck

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// The EUDI vectors (testdata/eudi, copied from shared/testdata/eudi):
// expected.json drives these tests, so a new vector is a new case.

const eudiDir = "../../testdata/eudi"

type eudiVector struct {
	File             string         `json:"file"`
	Typ              string         `json:"typ"`
	VCT              string         `json:"vct"`
	Anchor           string         `json:"anchor"`
	AnchorInX5C      bool           `json:"anchor_in_x5c"`
	VerificationTime time.Time      `json:"verification_time"`
	Expected         string         `json:"expected"`
	ExpectedStrict   string         `json:"expected_strict"`
	ExpectedSigChain string         `json:"expected_signature_and_chain"`
	SDAlg            string         `json:"_sd_alg"`
	Quirks           []string       `json:"quirks"`
	Disclosures      int            `json:"disclosures"`
	Values           map[string]any `json:"values"`
	Status           *struct {
		Idx int    `json:"idx"`
		URI string `json:"uri"`
	} `json:"status"`
}

// QuirkClaims are the claim names of a "uses pre-rulebook claims: a, b"
// quirk.
func (v eudiVector) QuirkClaims() []string {
	for _, q := range v.Quirks {
		if rest, ok := strings.CutPrefix(q, "uses pre-rulebook claims: "); ok {
			return strings.Split(rest, ", ")
		}
	}
	return nil
}

type eudiExpected struct {
	Credentials []eudiVector `json:"credentials"`
	Negative    []eudiVector `json:"negative"`
	Certs       []struct {
		File string `json:"file"`
		Role string `json:"role"`
	} `json:"certs"`
}

func loadEUDI(t *testing.T) eudiExpected {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(eudiDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e eudiExpected
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Credentials) == 0 {
		t.Fatal("no credentials in expected.json")
	}
	return e
}

func readVector(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(eudiDir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(raw))
}

// caAnchors are the anchors of files (every CA of expected.json's certs
// when files is empty), for credentials and their status lists.
func caAnchors(t *testing.T, files ...string) *x509trust.AnchorSet {
	t.Helper()
	s := x509trust.NewAnchorSet()
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(eudiDir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, ctx := range []x509trust.Context{x509trust.ContextPID, x509trust.ContextPIDStatus} {
			as, err := x509trust.ParseAnchorsPEM(raw, ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			s.Add(as...)
		}
	}
	return s
}

// otherCAs are the CA certificates of expected.json other than anchor.
func otherCAs(e eudiExpected, anchor string) []string {
	var out []string
	for _, c := range e.Certs {
		if c.File != anchor && (strings.Contains(c.Role, "CA") || strings.Contains(c.Role, "root")) {
			out = append(out, c.File)
		}
	}
	return out
}

func eudiOptions(anchors *x509trust.AnchorSet, at time.Time) Options {
	return Options{Credential: sdjwtvc.VerifyOptions{
		Trust: sdjwtvc.Trust{X509: sdjwtvc.X509Trust{Anchors: anchors}},
		Now:   func() time.Time { return at },
	}}
}

// flipSignature changes one byte of the issuer JWT's signature.
func flipSignature(s string) string {
	jwt, rest, _ := strings.Cut(s, "~")
	i := strings.LastIndex(jwt, ".") + 5
	b := []byte(jwt)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b) + "~" + rest
}

// TestEUDIPIDs: each credential of expected.json, verified against its
// anchor at its verification time (never now).
func TestEUDIPIDs(t *testing.T) {
	e := loadEUDI(t)
	realDate := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for _, v := range e.Credentials {
		t.Run(filepath.Base(v.File), func(t *testing.T) {
			cred := readVector(t, v.File)
			anchors := caAnchors(t, v.Anchor)
			if !strings.HasPrefix(v.Expected, "valid") {
				testEUDILegacy(t, v, cred, anchors)
				return
			}
			// Valid at its time: signature, chain to the anchor, every
			// disclosure; the status list is not reachable offline, which
			// is "unknown", never "revoked".
			oc, err := Verify(ctx, cred, eudiOptions(anchors, v.VerificationTime))
			code := Classify(err)
			if v.Status != nil {
				if code != CodeStatusUnavailable || oc.Status != "" || oc.StatusURI != v.Status.URI {
					t.Fatalf("code %q, status %q from %q; want status unknown for %s: %v", code, oc.Status, oc.StatusURI, v.Status.URI, err)
				}
			} else if err != nil {
				t.Fatalf("at %s: %v", v.VerificationTime, err)
			}
			res := oc.Result
			if res == nil || !res.Trusted || oc.Chain == nil {
				t.Fatalf("result %+v, chain %v", res, oc.Chain)
			}
			if oc.Chain.Anchor.Source != v.Anchor {
				t.Errorf("closed on %s, want %s", oc.Chain.Anchor.Source, v.Anchor)
			}
			if res.VCT != v.VCT {
				t.Errorf("vct %q, want %q", res.VCT, v.VCT)
			}
			if v.Disclosures > 0 && len(res.Disclosures) != v.Disclosures {
				t.Errorf("%d disclosures, want %d", len(res.Disclosures), v.Disclosures)
			}
			for k, want := range v.Values {
				if got := res.Claims[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("claim %s = %#v, want %#v", k, got, want)
				}
			}
			if oc.CertProfile == nil {
				t.Errorf("no certificate profile report")
			}
			hasCopyWarning := slices.ContainsFunc(oc.Warnings, func(w string) bool { return strings.Contains(w, "copy of the trust anchor") })
			if hasCopyWarning != v.AnchorInX5C {
				t.Errorf("anchor-copy warning %v, anchor_in_x5c %v: %q", hasCopyWarning, v.AnchorInX5C, oc.Warnings)
			}

			for _, tc := range []struct {
				name    string
				cred    string
				anchors *x509trust.AnchorSet
				at      time.Time
				want    Code
			}{
				{"at the project date", cred, anchors, realDate, CodeExpired},
				{"wrong anchor", cred, caAnchors(t, otherCAs(e, v.Anchor)...), v.VerificationTime, CodeUntrustedChain},
				{"no anchor", cred, x509trust.NewAnchorSet(), v.VerificationTime, CodeUntrustedChain},
				{"flipped signature byte", flipSignature(cred), anchors, v.VerificationTime, "invalid_signature"},
			} {
				_, err := Verify(ctx, tc.cred, eudiOptions(tc.anchors, tc.at))
				if got := Classify(err); got != tc.want {
					t.Errorf("%s: code %q, want %q (%v)", tc.name, got, tc.want, err)
				}
			}
		})
	}
}

// testEUDILegacy: the legacy reference PID. Its signature verifies with
// x5c[0] and the chain closes at its anchor; under the strict PID
// profile it is refused with one code per departure (typ, vct, _sd_alg:
// HAIP requires sha-256); leniently, the three are warnings and its
// sha3-256 disclosures are processed.
func testEUDILegacy(t *testing.T, v eudiVector, cred string, anchors *x509trust.AnchorSet) {
	if v.ExpectedSigChain != "valid" || v.ExpectedStrict == "" {
		t.Fatalf("a vector neither valid nor legacy: add a case for %q", v.Expected)
	}
	jwt, _, _ := strings.Cut(cred, "~")
	j, err := jose.Parse(jwt)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := x509trust.DecodeX5C(j.Header.Params["x5c"])
	if err != nil {
		t.Fatal(err)
	}
	p, err := x509trust.Validate(chain, anchors, v.VerificationTime, x509trust.ContextPID)
	if err != nil {
		t.Fatalf("chain: %v", err)
	}
	if err := j.Verify(p.Leaf().PublicKey, []jose.Alg{jose.ES256}); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if p.Leaf().ExtKeyUsage != nil || len(p.Leaf().UnknownExtKeyUsage) == 0 {
		t.Logf("leaf EKUs: %v %v", p.Leaf().ExtKeyUsage, p.Leaf().UnknownExtKeyUsage)
	}

	o := eudiOptions(anchors, v.VerificationTime)
	o.PIDProfile = PIDProfileStrict
	soc, err := Verify(context.Background(), cred, o)
	got := Codes(err)
	want := []Code{"wrong_typ", CodeWrongVCT, "unsupported_sd_alg"}
	if !slices.Equal(got, want) {
		t.Errorf("strict codes %v, want %v (%v)", got, want, err)
	}
	pidCodes := func(r *PIDReport, sev string) []Code {
		var out []Code
		for _, f := range r.Findings {
			if f.Severity == sev && f.Message != "" {
				out = append(out, f.Code)
			}
		}
		return out
	}
	if r := soc.PID; r == nil || r.Profile != "strict" || !slices.Equal(pidCodes(r, "error"), want) {
		t.Errorf("strict PID report %+v", r)
	}

	o.PIDProfile = PIDProfileLenient
	oc, err := Verify(context.Background(), cred, o)
	// Past the digests, the holder key stops it: cnf.jwk is RSA, which
	// no Cairn wallet key binding can use (expected_strict names it).
	if Classify(err) != "holder_key_missing" || oc.Result == nil {
		t.Fatalf("lenient: code %q (%v)", Classify(err), err)
	}
	if r := oc.PID; r == nil || r.Profile != "lenient" || !slices.Equal(pidCodes(r, "warning"), want) {
		t.Errorf("lenient PID report %+v", r)
	}
	for _, w := range []string{"(wrong_typ)", "(wrong_vct)", "(unsupported_sd_alg)"} {
		if !slices.ContainsFunc(oc.Warnings, func(s string) bool { return strings.Contains(s, w) }) {
			t.Errorf("lenient: no warning %s in %q", w, oc.Warnings)
		}
	}
	// sha3-256 digests processed: every disclosure of the serialization
	// found its digest, and the claims are the disclosed ones.
	if n := strings.Count(strings.TrimSuffix(cred, "~"), "~"); n == 0 || len(oc.Result.Disclosures) != n {
		t.Errorf("%d disclosures processed of %d", len(oc.Result.Disclosures), n)
	}
	for name, want := range v.Values {
		if got := oc.Result.Claims[name]; !reflect.DeepEqual(got, want) {
			t.Errorf("claim %s = %v, want %v", name, got, want)
		}
	}
	for _, name := range v.QuirkClaims() {
		if _, ok := oc.Result.Claims[name]; !ok {
			t.Errorf("lenient: pre-rulebook claim %s not disclosed; claims %v", name, slices.Sorted(maps.Keys(oc.Result.Claims)))
		}
	}
	// Without any profile, vc+sd-jwt is refused as it always was.
	o.PIDProfile = PIDProfileOff
	if _, err := Verify(context.Background(), cred, o); Classify(err) != "wrong_typ" {
		t.Errorf("default: code %q (%v)", Classify(err), err)
	}
}

// TestEUDINegative: the negative credentials of expected.json.
func TestEUDINegative(t *testing.T) {
	e := loadEUDI(t)
	n := 0
	for _, v := range e.Negative {
		if !strings.HasPrefix(v.File, "credentials/") {
			continue // request objects are the HAIP verifier's
		}
		n++
		t.Run(filepath.Base(v.File), func(t *testing.T) {
			var want Code
			switch {
			case strings.Contains(v.Expected, "no x5c"):
				want = CodeNoX5C
			default:
				t.Fatalf("no expected code for %q: add a case", v.Expected)
			}
			cred := readVector(t, v.File)
			at := time.Date(2024, 12, 15, 0, 0, 0, 0, time.UTC)
			all := caAnchors(t, otherCAs(e, "")...)
			// The x5c-only policy, set directly and by the strict profile.
			o := eudiOptions(all, at)
			o.Credential.Trust.X509.Only = true
			o.Credential.AcceptLegacyTyp = true
			if _, err := Verify(context.Background(), cred, o); Classify(err) != want {
				t.Errorf("x5c-only: code %q, want %q (%v)", Classify(err), want, err)
			}
			o = eudiOptions(all, at)
			o.PIDProfile = PIDProfileStrict
			_, err := Verify(context.Background(), cred, o)
			if !slices.Contains(Codes(err), want) {
				t.Errorf("strict: codes %v, want %q among them", Codes(err), want)
			}
			// An issuer anchored by X.509 in the registry's sense: its key
			// comes from x5c only, whatever else is pinned.
			holder := gen(t)
			o = eudiOptions(nil, at)
			o.Credential.AcceptLegacyTyp = true
			o.Credential.Trust.PinnedKeys = []*jose.JWK{holder.PublicJWK()}
			o.Credential.Trust.X509.Issuers = map[string]*x509trust.AnchorSet{issOf(t, cred): all}
			if _, err := Verify(context.Background(), cred, o); Classify(err) != want {
				t.Errorf("x509-anchored issuer: code %q, want %q (%v)", Classify(err), want, err)
			}
		})
	}
	if n == 0 {
		t.Fatal("no negative credential in expected.json")
	}
}

func issOf(t *testing.T, cred string) string {
	t.Helper()
	jwt, _, _ := strings.Cut(cred, "~")
	j, err := jose.Parse(jwt)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.Iss
}

// TestEUDIRegistryAnchor: the reference PID against a registry whose
// entity holds its CA as an anchor (as a LoTE import makes it): the
// anchor must have been trusted at the PID's iat and the entity
// authorized for urn:eudi:pid:* then; an anchor dropped after iat is
// "trusted at iat, revoked now".
func TestEUDIRegistryAnchor(t *testing.T) {
	e := loadEUDI(t)
	v := e.Credentials[0] // pid-eudi-ref-2026-08, iat 2026-08-10
	if !strings.Contains(v.File, "pid-eudi-ref") {
		t.Fatalf("first credential is %s", v.File)
	}
	cred := readVector(t, v.File)
	anchor := caAnchors(t, v.Anchor).For(x509trust.ContextPID)[0]
	listed := time.Date(2026, 3, 16, 16, 34, 24, 0, time.UTC)
	reg := func(vct string, history ...trust.AnchorStatusChange) *trust.Registry {
		src := trust.ListSource{URL: "https://lists.example/pid.jwt", Sequence: 1, IssuedAt: listed}
		return &trust.Registry{ID: "eu", Authority: "did:web:authority.example", Version: 1, IssuedAt: listed, Entities: []trust.Entity{{
			DID: "did:x509:0:sha256:ut::subject:C:UT", Names: map[string]string{"en": "Trusted Entity UT"},
			Role: trust.RoleIssuer, Status: trust.StatusActive, ValidFrom: listed,
			StatusHistory:        []trust.StatusChange{{Status: trust.StatusActive, At: listed}},
			IssuerAuthorizations: []trust.IssuerAuthorization{{ID: "a1", VCT: vct, MaxStrength: 4, MaxValidity: 4, From: listed}},
			X509Anchors: []trust.X509Anchor{{DER: anchor.DER, SKI: trust.SKIOf(anchor.Cert), Context: trust.AnchorPID,
				Status: history[len(history)-1].Status, History: history, Source: src}},
			List: &trust.EntityList{Format: "etsi-119602", Type: "http://uri.etsi.org/19602/LoTEType/EUPIDProvidersList", Territory: "EU", Key: "Trusted Entity UT",
				Source: trust.ListSource{URL: "https://lists.example/pid.jwt", Sequence: 2, IssuedAt: listed}},
		}}}
	}
	trusted := trust.AnchorStatusChange{Status: trust.AnchorTrusted, At: listed, Sequence: 1}
	for _, tc := range []struct {
		name    string
		reg     *trust.Registry
		want    Code
		warning string
		line    string // the report's provider line
	}{
		{"listed", reg("urn:eudi:pid:*", trusted), CodeStatusUnavailable, "",
			"issued by Trusted Entity UT (listed in https://lists.example/pid.jwt seq 1, EU)"},
		{"dropped after iat", reg("urn:eudi:pid:*", trusted, trust.AnchorStatusChange{Status: trust.AnchorRevoked, At: time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC), Sequence: 2}),
			CodeStatusUnavailable, "has been revoked since 2026-08-20", "; its anchor was removed on 2026-08-20"},
		{"dropped before iat", reg("urn:eudi:pid:*", trusted, trust.AnchorStatusChange{Status: trust.AnchorRevoked, At: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), Sequence: 2}),
			CodeUntrustedChain, "", "issued by Trusted Entity UT"},
		{"listed after iat", reg("urn:eudi:pid:*", trust.AnchorStatusChange{Status: trust.AnchorTrusted, At: time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC), Sequence: 3}),
			CodeUntrustedChain, "", "issued by Trusted Entity UT"},
		{"entity authorized for another type", reg("urn:eudi:mdl:*", trusted), CodeNotAuthorized, "", "issued by Trusted Entity UT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := eudiOptions(nil, v.VerificationTime)
			o.Registry = tc.reg
			oc, err := Verify(context.Background(), cred, o)
			if got := Classify(err); got != tc.want {
				t.Fatalf("code %q, want %q (%v)", got, tc.want, err)
			}
			if tc.want == CodeStatusUnavailable {
				if oc.Decision == nil || !oc.Decision.Authorized || oc.Anchor == nil || !oc.Anchor.Trusted || oc.Chain.Anchor.Name != "Trusted Entity UT" {
					t.Fatalf("decision %+v, anchor %+v", oc.Decision, oc.Anchor)
				}
			}
			// The registry entity keyed by its list, not by iss, is named.
			p := NewReport(oc, err, ReportOptions{Now: v.VerificationTime}).Provider
			if p == nil || !strings.Contains(p.Line(), tc.line) || p.DID != "did:x509:0:sha256:ut::subject:C:UT" || p.List.Type == "" {
				t.Fatalf("provider %+v, want a line with %q", p, tc.line)
			}
			if p.TrustedAtIAT != (tc.want != CodeUntrustedChain) {
				t.Errorf("trusted at iat %v for %s", p.TrustedAtIAT, tc.want)
			}
			hasWarning := tc.warning != "" && slices.ContainsFunc(oc.Warnings, func(w string) bool { return strings.Contains(w, tc.warning) })
			if (tc.warning != "") != hasWarning {
				t.Errorf("warnings %q, want %q", oc.Warnings, tc.warning)
			}
		})
	}
}
