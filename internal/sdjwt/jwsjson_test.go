package sdjwt

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// rfcJSONVector is the part of a sec8_* file this test uses.
type rfcJSONVector struct {
	IssuerPublicJWK          json.RawMessage              `json:"issuer_public_jwk"`
	SecondSignaturePublicJWK json.RawMessage              `json:"second_signature_public_jwk"`
	JWSJSON                  json.RawMessage              `json:"jws_json"`
	EquivalentCompact        string                       `json:"equivalent_compact"`
	KB                       *struct{ Nonce, Aud string } `json:"kb"`
	ExpectedPayload          json.RawMessage              `json:"expected_payload"`
	VerificationTime         int64                        `json:"verification_time"`
}

func pubFromJWK(t testing.TB, raw json.RawMessage) crypto.PublicKey {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "kid") // jose.JWK knows only the key members
	k, err := jose.JWKFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

var errUntrustedKid = errors.New("test: untrusted kid")

// keysByKid is an IssuerKey that trusts exactly the keys in m, by kid.
func keysByKid(m map[string]crypto.PublicKey) func(jose.Header, map[string]any) (crypto.PublicKey, error) {
	return func(h jose.Header, _ map[string]any) (crypto.PublicKey, error) {
		if k, ok := m[h.Kid]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("%w: %q", errUntrustedKid, h.Kid)
	}
}

// sameJSONBytes compares two JSON documents as values.
func sameJSONBytes(t testing.TB, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}

func TestRFC9901JSONVectors(t *testing.T) {
	cases := []struct {
		file    string
		general bool
		sigs    int
	}{
		{"sec8_2_json_flattened_issuance.json", false, 1},
		{"sec8_2_json_flattened_presentation_kb.json", false, 1},
		{"sec8_3_json_general_presentation_kb.json", true, 2},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			var v rfcJSONVector
			loadJSON(t, filepath.Join(rfcDir, c.file), &v)
			pub := pubFromJWK(t, v.IssuerPublicJWK)
			now := time.Unix(v.VerificationTime, 0)
			opts := VerifyOptions{
				IssuerKey: func(jose.Header, map[string]any) (crypto.PublicKey, error) { return pub, nil },
				IssuerTyp: "example+sd-jwt",
				Now:       func() time.Time { return now },
			}
			if v.KB != nil {
				opts.RequireKeyBinding, opts.Nonce, opts.Audience = true, v.KB.Nonce, v.KB.Aud
			}

			tok, err := ParseJSON(v.JWSJSON, Limits{})
			if err != nil {
				t.Fatalf("ParseJSON: %v", err)
			}
			// §8.1: the compact equivalent, over which sd_hash is computed.
			if got := tok.String(); got != v.EquivalentCompact {
				t.Errorf("compact equivalent differs\n got: %s\nwant: %s", got, v.EquivalentCompact)
			}
			if n := 1 + len(tok.MoreSignatures); n != c.sigs {
				t.Errorf("%d signatures, want %d", n, c.sigs)
			}
			got, err := VerifyJSON(v.JWSJSON, opts)
			if err != nil {
				t.Fatalf("VerifyJSON: %v (code %s)", err, Code(err))
			}
			sameJSON(t, got.Claims, v.ExpectedPayload)
			if v.KB != nil && (got.KeyBinding == nil || got.KeyBinding.Nonce != v.KB.Nonce) {
				t.Errorf("key binding not reported: %+v", got.KeyBinding)
			}
			// The compact equivalent verifies to the same claims.
			compact, err := Verify(v.EquivalentCompact, opts)
			if err != nil {
				t.Fatalf("Verify(equivalent_compact): %v", err)
			}
			if !reflect.DeepEqual(compact.Claims, got.Claims) {
				t.Errorf("compact and JSON claims differ")
			}
			// Re-serialized, it is the RFC's object (as a JSON value).
			out, err := tok.MarshalJSONSerialization(c.general)
			if err != nil {
				t.Fatal(err)
			}
			sameJSONBytes(t, out, v.JWSJSON)

			if !c.general {
				return
			}
			// Each of the two signatures verifies on its own: trusting
			// only issuer-key-1, or only issuer-key-2.
			pub2 := pubFromJWK(t, v.SecondSignaturePublicJWK)
			for _, trusted := range []map[string]crypto.PublicKey{
				{"issuer-key-1": pub},
				{"issuer-key-2": pub2},
				{"issuer-key-1": pub, "issuer-key-2": pub2},
			} {
				o := opts
				o.IssuerKey = keysByKid(trusted)
				if _, err := VerifyJSON(v.JWSJSON, o); err != nil {
					t.Errorf("trusting %v: %v", reflect.ValueOf(trusted).MapKeys(), err)
				}
			}
			// A key that made neither signature: refused.
			o := opts
			o.IssuerKey = keysByKid(map[string]crypto.PublicKey{"issuer-key-1": pub2, "issuer-key-2": pub})
			if _, err := VerifyJSON(v.JWSJSON, o); !errors.Is(err, ErrSignature) {
				t.Errorf("swapped keys: got %v, want ErrSignature", err)
			}
		})
	}
}

// jsonFixture is the fixture's presentation in both JSON forms.
type jsonFixture struct {
	*fixture
	pres      *SDJWT // selected, with KB, from the compact form
	flattened []byte
}

func newJSONFixture(t *testing.T) *jsonFixture {
	t.Helper()
	f := newFixture(t, jose.ES256, jose.ES256)
	p, err := f.issued.Select(fixtureSelect)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = p.WithKeyBinding(f.holder, f.kb()); err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalJSONSerialization(false)
	if err != nil {
		t.Fatal(err)
	}
	return &jsonFixture{fixture: f, pres: p, flattened: b}
}

// mutateJSON decodes b, lets mod change it and encodes it again.
func mutateJSON(t testing.TB, b []byte, mod func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	mod(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func header(m map[string]any) map[string]any { return m["header"].(map[string]any) }

func TestVerifyJSONNegative(t *testing.T) {
	f := newJSONFixture(t)
	opts := f.opts()
	if _, err := VerifyJSON(f.flattened, opts); err != nil {
		t.Fatalf("baseline does not verify: %v", err)
	}
	noKB := opts
	noKB.RequireKeyBinding = false
	issuedJSON, err := f.issued.MarshalJSONSerialization(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyJSON(issuedJSON, noKB); err != nil {
		t.Fatalf("issuance does not verify: %v", err)
	}
	disclosures := func(m map[string]any) []any { return header(m)["disclosures"].([]any) }

	// A KB-JWT over a different selection: its sd_hash covers other bytes.
	otherSel, err := f.issued.Select([]string{"/given_name"})
	if err != nil {
		t.Fatal(err)
	}
	if otherSel, err = otherSel.WithKeyBinding(f.holder, f.kb()); err != nil {
		t.Fatal(err)
	}

	// General serializations: the issuer's, a foreign issuer's, and one
	// where the foreign signature comes first.
	foreign := newKey(t, jose.ES256)
	general := func(tok *SDJWT, first map[string]any, more ...*jose.Signer) []byte {
		t.Helper()
		tok2 := *tok
		tok2.Unprotected = first
		out := &tok2
		for i, s := range more {
			var err error
			if out, err = out.AddSignature(s, map[string]any{"typ": "example+sd-jwt"}, map[string]any{"kid": fmt.Sprintf("k%d", i+2)}); err != nil {
				t.Fatal(err)
			}
		}
		b, err := out.MarshalJSONSerialization(true)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	foreignIssued, err := Issue(f.claims, IssueOptions{Signer: foreign, Header: map[string]any{"typ": "example+sd-jwt"}, Disclosable: fixtureDisclosable})
	if err != nil {
		t.Fatal(err)
	}
	foreignPres, err := foreignIssued.Select(fixtureSelect)
	if err != nil {
		t.Fatal(err)
	}
	if foreignPres, err = foreignPres.WithKeyBinding(f.holder, f.kb()); err != nil {
		t.Fatal(err)
	}
	onlyForeign := general(foreignPres, map[string]any{"kid": "k1"}, newKey(t, jose.ES256))
	foreignFirst := general(foreignPres, map[string]any{"kid": "k1"}, f.issuer)
	issuerTwice := general(f.pres, map[string]any{"kid": "k1"}, f.issuer)

	cases := []struct {
		name string
		in   []byte
		opts VerifyOptions
		want error
	}{
		{"tampered disclosure in the header array", mutateJSON(t, f.flattened, func(m map[string]any) {
			enc, _ := encodeDisclosure(t, "c2FsdHNhbHRzYWx0", "given_name", "Mallory")
			disclosures(m)[0] = enc
		}), opts, ErrUnreferencedDisclosure},
		{"duplicate disclosures", mutateJSON(t, f.flattened, func(m map[string]any) {
			header(m)["disclosures"] = append(disclosures(m), disclosures(m)[0])
		}), opts, ErrDuplicateDisclosure},
		{"dropped disclosure breaks sd_hash", mutateJSON(t, f.flattened, func(m map[string]any) {
			header(m)["disclosures"] = disclosures(m)[1:]
		}), opts, ErrSDHash},
		{"kb_jwt with a wrong sd_hash", mutateJSON(t, f.flattened, func(m map[string]any) {
			header(m)["kb_jwt"] = otherSel.KBJWT
		}), opts, ErrSDHash},
		{"kb_jwt missing", mutateJSON(t, f.flattened, func(m map[string]any) {
			delete(header(m), "kb_jwt")
		}), opts, ErrKeyBindingRequired},
		{"kb_jwt not requested", f.flattened, noKB, ErrKeyBindingUnexpected},
		{"kb_jwt empty", mutateJSON(t, f.flattened, func(m map[string]any) { header(m)["kb_jwt"] = "" }), opts, ErrMalformed},
		{"kb_jwt not a string", mutateJSON(t, f.flattened, func(m map[string]any) { header(m)["kb_jwt"] = 1 }), opts, ErrMalformed},
		{"kb_jwt at the top level", mutateJSON(t, f.flattened, func(m map[string]any) {
			m["kb_jwt"] = header(m)["kb_jwt"]
			delete(header(m), "kb_jwt")
		}), opts, ErrKeyBindingRequired},
		{"general: only a foreign key signed", onlyForeign, opts, ErrSignature},
		{"general: kid the issuer key does not know", issuerTwice, withKidKeys(opts, map[string]crypto.PublicKey{"k9": f.issuer.Public()}), errUntrustedKid},
		{"general: disclosures in the second signature", mutateJSON(t, issuerTwice, func(m map[string]any) {
			sigs := m["signatures"].([]any)
			header(sigs[1].(map[string]any))["disclosures"] = header(sigs[0].(map[string]any))["disclosures"]
		}), opts, ErrMalformed},
		{"general: kb_jwt in the second signature", mutateJSON(t, issuerTwice, func(m map[string]any) {
			sigs := m["signatures"].([]any)
			first, second := header(sigs[0].(map[string]any)), header(sigs[1].(map[string]any))
			second["kb_jwt"] = first["kb_jwt"]
			delete(first, "kb_jwt")
		}), opts, ErrMalformed},
		{"general: no signatures", mutateJSON(t, issuerTwice, func(m map[string]any) { m["signatures"] = []any{} }), opts, ErrMalformed},
		{"general: too many signatures", mutateJSON(t, issuerTwice, func(m map[string]any) {
			sigs := m["signatures"].([]any)
			m["signatures"] = append(sigs, sigs[1], sigs[1])
		}), withLimits(opts, Limits{MaxSignatures: 3}), ErrTooLarge},
		{"general and flattened mixed", mutateJSON(t, issuerTwice, func(m map[string]any) { m["protected"] = "eyJhbGciOiJFUzI1NiJ9" }), opts, ErrMalformed},
		{"padded base64url in protected", mutateJSON(t, f.flattened, func(m map[string]any) {
			m["protected"] = m["protected"].(string) + "="
		}), opts, ErrMalformed},
		{"standard base64 in protected", mutateJSON(t, f.flattened, func(m map[string]any) {
			m["protected"] = strings.NewReplacer("-", "+", "_", "/").Replace(m["protected"].(string)) + "+"
		}), opts, ErrMalformed},
		{"missing payload", mutateJSON(t, f.flattened, func(m map[string]any) { delete(m, "payload") }), opts, ErrMalformed},
		{"missing protected", mutateJSON(t, f.flattened, func(m map[string]any) { delete(m, "protected") }), opts, ErrMalformed},
		{"missing signature", mutateJSON(t, f.flattened, func(m map[string]any) { delete(m, "signature") }), opts, ErrMalformed},
		{"payload not a string", mutateJSON(t, f.flattened, func(m map[string]any) { m["payload"] = map[string]any{} }), opts, ErrMalformed},
		{"header not an object", mutateJSON(t, f.flattened, func(m map[string]any) { m["header"] = "x" }), opts, ErrMalformed},
		{"disclosures not an array", mutateJSON(t, f.flattened, func(m map[string]any) { header(m)["disclosures"] = "x" }), opts, ErrMalformed},
		{"disclosure not a string", mutateJSON(t, f.flattened, func(m map[string]any) { disclosures(m)[0] = 7 }), opts, ErrMalformed},
		{"empty disclosure", mutateJSON(t, f.flattened, func(m map[string]any) { disclosures(m)[0] = "" }), opts, ErrMalformed},
		{"typ repeated in the unprotected header", mutateJSON(t, f.flattened, func(m map[string]any) { header(m)["typ"] = "example+sd-jwt" }), opts, ErrMalformed},
		{"alg in the unprotected header", mutateJSON(t, f.flattened, func(m map[string]any) { header(m)["alg"] = "ES256" }), opts, ErrMalformed},
		{"crit in the unprotected header", mutateJSON(t, f.flattened, func(m map[string]any) { header(m)["crit"] = []any{"exp"} }), opts, ErrMalformed},
		{"kid not a string", mutateJSON(t, f.flattened, func(m map[string]any) { header(m)["kid"] = 1 }), opts, ErrMalformed},
		{"swapped payload", mutateJSON(t, f.flattened, func(m map[string]any) {
			var other map[string]any
			_ = json.Unmarshal(onlyForeign, &other)
			m["payload"] = other["payload"]
		}), opts, ErrSignature},
		{"flipped signature", mutateJSON(t, f.flattened, func(m map[string]any) { m["signature"] = flip(m["signature"].(string)) }), opts, ErrSignature},
		{"wrong typ", f.flattened, withTyp(opts, "dc+sd-jwt"), ErrType},
		{"not an object", []byte(`["a"]`), opts, ErrMalformed},
		{"duplicate member", []byte(strings.Replace(string(f.flattened), `{`, `{"payload":"e30",`, 1)), opts, ErrMalformed},
		{"trailing data", append(append([]byte(nil), f.flattened...), '{'), opts, ErrMalformed},
		{"too large", f.flattened, withLimits(opts, Limits{MaxTokenLen: 100}), ErrTooLarge},
		{"too many disclosures", f.flattened, withLimits(opts, Limits{MaxDisclosures: 2}), ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := VerifyJSON(c.in, c.opts)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v (code %q), want %v", err, Code(err), c.want)
			}
			if Code(c.want) != "" && Code(err) == "" {
				t.Errorf("error without a code: %v", err)
			}
		})
	}

	// The policy's positive side: one signature by the issuer key is
	// enough, wherever it stands; the foreign one is skipped.
	if v, err := VerifyJSON(foreignFirst, opts); err != nil {
		t.Errorf("foreign first signature, issuer's second: %v", err)
	} else if v.KeyBinding == nil {
		t.Errorf("key binding not reported")
	}
	if _, err := VerifyJSON(issuerTwice, withKidKeys(opts, map[string]crypto.PublicKey{"k2": f.issuer.Public()})); err != nil {
		t.Errorf("second signature by the issuer key, first kid unknown: %v", err)
	}
}

func withKidKeys(o VerifyOptions, m map[string]crypto.PublicKey) VerifyOptions {
	o.IssuerKey = keysByKid(m)
	return o
}

// TestJSONRoundTrip: compact → JSON → compact keeps the exact bytes and the
// claims, in both JSON forms, and a holder can Select and bind an SD-JWT
// that arrived as JSON; its sd_hash is the compact form's (§8.1), so the
// presentation verifies in either serialization.
func TestJSONRoundTrip(t *testing.T) {
	f := newFixture(t, jose.ES256, jose.EdDSA)
	second := newKey(t, jose.ES384)
	noKB := f.opts()
	noKB.RequireKeyBinding = false
	compactClaims, err := Verify(f.issued.String(), noKB)
	if err != nil {
		t.Fatal(err)
	}
	for _, general := range []bool{false, true} {
		t.Run(fmt.Sprintf("general=%v", general), func(t *testing.T) {
			src := f.issued
			if general {
				if src, err = src.AddSignature(second, map[string]any{"typ": "example+sd-jwt"}, map[string]any{"kid": "second"}); err != nil {
					t.Fatal(err)
				}
			}
			b, err := src.MarshalJSONSerialization(general)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := ParseJSON(b, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tok.String() != f.issued.String() {
				t.Fatal("JSON form does not give back the compact bytes")
			}
			if !reflect.DeepEqual(tok.MoreSignatures, src.MoreSignatures) {
				t.Errorf("signatures: got %+v, want %+v", tok.MoreSignatures, src.MoreSignatures)
			}
			v, err := VerifyJSON(b, noKB)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v.Claims, compactClaims.Claims) {
				t.Errorf("claims differ between compact and JSON")
			}

			pres, err := tok.Select(fixtureSelect)
			if err != nil {
				t.Fatal(err)
			}
			if pres, err = pres.WithKeyBinding(f.holder, f.kb()); err != nil {
				t.Fatal(err)
			}
			pb, err := pres.MarshalJSONSerialization(general)
			if err != nil {
				t.Fatal(err)
			}
			vj, err := VerifyJSON(pb, f.opts())
			if err != nil {
				t.Fatalf("VerifyJSON(presentation): %v", err)
			}
			vc, err := Verify(pres.String(), f.opts())
			if err != nil {
				t.Fatalf("Verify(compact of the JSON presentation): %v", err)
			}
			if !reflect.DeepEqual(vj.Claims, vc.Claims) || vj.KeyBinding.SDHash != vc.KeyBinding.SDHash {
				t.Errorf("JSON and compact presentations verify differently")
			}
			if len(vj.Disclosures) != 4 {
				t.Errorf("%d disclosures presented, want 4", len(vj.Disclosures))
			}
			if general {
				// Only the second key trusted: accepted by its signature.
				o := f.opts()
				o.IssuerKey = keysByKid(map[string]crypto.PublicKey{"second": second.Public()})
				v2, err := VerifyJSON(pb, o)
				if err != nil {
					t.Fatalf("second signature: %v", err)
				}
				if v2.Header.Alg != jose.ES384 {
					t.Errorf("Verified.Header is %s, want the accepted signature's ES384", v2.Header.Alg)
				}
			}
		})
	}
}

func TestMarshalJSONSerializationRefuses(t *testing.T) {
	f := newFixture(t, jose.ES256, jose.ES256)
	two, err := f.issued.AddSignature(newKey(t, jose.ES256), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := two.MarshalJSONSerialization(false); !errors.Is(err, ErrMalformed) {
		t.Errorf("two signatures flattened: got %v", err)
	}
	bad := *f.issued
	bad.Unprotected = map[string]any{"disclosures": []string{}}
	if _, err := bad.MarshalJSONSerialization(false); !errors.Is(err, ErrMalformed) {
		t.Errorf("disclosures in Unprotected: got %v", err)
	}
	if _, err := f.issued.AddSignature(newKey(t, jose.ES256), nil, map[string]any{"kb_jwt": "x"}); !errors.Is(err, ErrMalformed) {
		t.Errorf("kb_jwt in a second signature: got %v", err)
	}
	if _, err := f.issued.AddSignature(newKey(t, jose.ES256), map[string]any{"typ": "a"}, map[string]any{"typ": "b"}); !errors.Is(err, ErrMalformed) {
		t.Errorf("typ both protected and unprotected: got %v", err)
	}
}
