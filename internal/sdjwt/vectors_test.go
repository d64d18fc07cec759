package sdjwt

import (
	"bytes"
	"crypto"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/testkit"
)

const rfcDir = "testdata/rfc9901"

// rfcVector is the part of a /shared/testdata/rfc9901 file this test uses.
type rfcVector struct {
	IssuerPublicJWK             json.RawMessage              `json:"issuer_public_jwk"`
	IssuerJWTHeader             map[string]any               `json:"issuer_jwt_header"`
	SDJWT                       string                       `json:"sd_jwt"`
	Presentation                string                       `json:"presentation"`
	KB                          *struct{ Nonce, Aud string } `json:"kb"`
	ExpectedPayload             json.RawMessage              `json:"expected_payload"`
	ExpectedPayloadAllDisclosed json.RawMessage              `json:"expected_payload_all_disclosed"`
	VerificationTime            int64                        `json:"verification_time"`
}

func loadJSON(t testing.TB, path string, v any) {
	t.Helper()
	testkit.ReadJSON(t, path, v)
}

// sameJSON compares two values as JSON values (numbers compared by their
// decoded value, key order ignored).
func sameJSON(t testing.TB, got any, want []byte) {
	t.Helper()
	gb, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(gb, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("claims differ\n got: %s\nwant: %s", gb, bytes.TrimSpace(want))
	}
}

func TestRFC9901Vectors(t *testing.T) {
	files := []string{
		"sec5_example.json",
		"appA1_simple_structured.json",
		"appA2_complex_structured_ekyc.json",
		"appA3_sd_jwt_vc_pid.json",
		"appA4_w3c_vcdm2.json",
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			var v rfcVector
			loadJSON(t, filepath.Join(rfcDir, f), &v)
			jwk, err := jose.ParseJWK(v.IssuerPublicJWK)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := jwk.PublicKey()
			if err != nil {
				t.Fatal(err)
			}
			typ, _ := v.IssuerJWTHeader["typ"].(string)
			if typ == "" {
				t.Fatal("vector has no issuer typ")
			}
			now := time.Unix(v.VerificationTime, 0)
			opts := VerifyOptions{
				IssuerKey: func(jose.Header, map[string]any) (crypto.PublicKey, error) { return pub, nil },
				IssuerTyp: typ,
				Now:       func() time.Time { return now },
				KBMaxAge:  time.Hour,
			}
			if v.KB != nil {
				opts.RequireKeyBinding = true
				opts.Nonce, opts.Audience = v.KB.Nonce, v.KB.Aud
				if opts.Nonce != "1234567890" || opts.Audience != "https://verifier.example.org" {
					t.Fatalf("unexpected KB values %+v", v.KB)
				}
			}
			got, err := Verify(v.Presentation, opts)
			if err != nil {
				t.Fatalf("Verify(presentation): %v (code %s)", err, Code(err))
			}
			sameJSON(t, got.Claims, v.ExpectedPayload)
			if v.KB != nil && (got.KeyBinding == nil || got.KeyBinding.Nonce != "1234567890") {
				t.Errorf("key binding not reported: %+v", got.KeyBinding)
			}
			for _, d := range got.Disclosures {
				if d.Path == "" {
					t.Errorf("disclosure %s has no Path", d.Digest)
				}
			}
			if v.SDJWT == "" {
				return
			}
			issued, err := Parse(v.SDJWT, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if issued.String() != v.SDJWT {
				t.Errorf("String() does not reproduce the issuance")
			}
			all, err := issued.Process()
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, all, v.ExpectedPayloadAllDisclosed)
			// The issuance also verifies, without key binding.
			noKB := opts
			noKB.RequireKeyBinding = false
			if _, err := Verify(v.SDJWT, noKB); err != nil {
				t.Errorf("Verify(issuance): %v", err)
			}
		})
	}
}

func TestRFC9901DisclosureDigests(t *testing.T) {
	var f struct {
		DisclosureVectors []struct {
			Encoded, Salt, Name, Digest string
			Value                       json.RawMessage
		} `json:"disclosure_vectors"`
		Section6 []struct {
			Source       string
			Payload      json.RawMessage `json:"sd_jwt_payload"`
			Disclosures  []struct{ Encoded string }
			AllDisclosed json.RawMessage `json:"expected_payload_all_disclosed"`
		} `json:"section6_examples"`
	}
	loadJSON(t, filepath.Join(rfcDir, "disclosures.json"), &f)
	if len(f.DisclosureVectors) == 0 {
		t.Fatal("no disclosure vectors")
	}
	for i, dv := range f.DisclosureVectors {
		t.Run(dv.Digest, func(t *testing.T) {
			d, err := decodeDisclosure(dv.Encoded, Limits{}.withDefaults())
			if err != nil {
				t.Fatalf("vector %d: %v", i, err)
			}
			if d.Digest != dv.Digest {
				t.Errorf("digest %s, want %s", d.Digest, dv.Digest)
			}
			if d.Salt != dv.Salt || d.Name != dv.Name || d.IsArray != (dv.Name == "") {
				t.Errorf("decoded %+v", d)
			}
			sameJSON(t, d.Value, dv.Value)
		})
	}
	for _, ex := range f.Section6 {
		t.Run(ex.Source, func(t *testing.T) {
			payload, err := decodeObject(ex.Payload)
			if err != nil {
				t.Fatal(err)
			}
			tok := &SDJWT{Payload: payload}
			for _, e := range ex.Disclosures {
				d, err := decodeDisclosure(e.Encoded, Limits{}.withDefaults())
				if err != nil {
					t.Fatal(err)
				}
				tok.Disclosures = append(tok.Disclosures, d)
			}
			if len(tok.Disclosures) == 0 {
				t.Fatal("example without disclosures")
			}
			got, err := tok.Process()
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, got, ex.AllDisclosed)
		})
	}
}
