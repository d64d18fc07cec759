package sdjwt

import (
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"errors"
	"slices"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

// TestHashAlgs: an SD-JWT whose digests and sd_hash use each accepted
// _sd_alg verifies, with key binding, and its disclosures are processed;
// the digests here are computed by the test with the hash named, not by
// the package. The same SD-JWT with _sd_alg absent (sha-256 assumed) or
// with another algorithm named fails.
func TestHashAlgs(t *testing.T) {
	sum := map[string]func([]byte) []byte{
		"sha-256":  func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
		"sha-384":  func(b []byte) []byte { s := sha512.Sum384(b); return s[:] },
		"sha-512":  func(b []byte) []byte { s := sha512.Sum512(b); return s[:] },
		"sha3-256": func(b []byte) []byte { s := sha3.Sum256(b); return s[:] },
		"sha3-384": func(b []byte) []byte { s := sha3.Sum384(b); return s[:] },
		"sha3-512": func(b []byte) []byte { s := sha3.Sum512(b); return s[:] },
	}
	if got := HashAlgs(); got[0] != HashAlg || len(got) != len(sum) {
		t.Fatalf("HashAlgs() = %v", got)
	}
	f := newFixture(t, jose.ES256, jose.ES256)
	dGiven, _ := encodeDisclosure(t, "c2FsdHNhbHRzYWx0", "given_name", "Amina")
	dNat, _ := encodeDisclosure(t, "bmF0aW9uYWxpdHlzYWx0", "SD")
	for _, alg := range HashAlgs() {
		t.Run(alg, func(t *testing.T) {
			h := func(s string) string { return jose.B64.EncodeToString(sum[alg]([]byte(s))) }
			payload := map[string]any{
				"iss": "https://issuer.example.org", "iat": 1749990000, "exp": 1900000000,
				"cnf": map[string]any{"jwk": jwkMap(t, f.holder)}, "_sd_alg": alg,
				"_sd": []any{h(dGiven)}, "nationalities": []any{map[string]any{"...": h(dNat)}},
			}
			issued := f.signPayload(t, payload) + "~" + dGiven + "~" + dNat + "~"
			parsed, err := Parse(issued, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := parsed.WithKeyBinding(f.holder, f.kb())
			if err != nil {
				t.Fatal(err)
			}
			pres := p.String()
			v, err := Verify(pres, f.opts())
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if v.Claims["given_name"] != "Amina" || len(v.Claims["nationalities"].([]any)) != 1 || v.Claims["_sd_alg"] != nil {
				t.Errorf("claims %v", v.Claims)
			}
			if v.KeyBinding.SDHash != h(withoutKB(pres)) {
				t.Errorf("sd_hash %s is not %s over the SD-JWT", v.KeyBinding.SDHash, alg)
			}
			if _, err := Verify(pres, withHashAlgs(f.opts(), HashAlg)); alg != HashAlg && !errors.Is(err, ErrHashAlg) {
				t.Errorf("accepted only sha-256: %v", err)
			}
			// Another algorithm named over the same digests: nothing matches.
			other := "sha-256"
			if alg == other {
				other = "sha3-256"
			}
			payload["_sd_alg"] = other
			wrong := f.signPayload(t, payload) + "~" + dGiven + "~" + dNat + "~"
			if _, err := Verify(wrong, noKBOpts(f)); !errors.Is(err, ErrUnreferencedDisclosure) {
				t.Errorf("_sd_alg %s over %s digests: %v", other, alg, err)
			}
			if alg != HashAlg {
				delete(payload, "_sd_alg")
				absent := f.signPayload(t, payload) + "~" + dGiven + "~" + dNat + "~"
				if _, err := Verify(absent, noKBOpts(f)); !errors.Is(err, ErrUnreferencedDisclosure) {
					t.Errorf("no _sd_alg over %s digests: %v", alg, err)
				}
			}
		})
	}
	if slices.Contains(HashAlgs(), "sha-256-128") {
		t.Error("a truncated hash is accepted")
	}
}

func noKBOpts(f *fixture) VerifyOptions {
	o := f.opts()
	o.RequireKeyBinding, o.Nonce, o.Audience = false, "", ""
	return o
}
