package jose

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwe"
)

func ecdhKey(t testing.TB) *ecdh.PrivateKey {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestJWERoundTrip(t *testing.T) {
	k := ecdhKey(t)
	for _, enc := range DefaultEncs {
		for _, party := range [][]byte{nil, []byte("nonce-123")} {
			c, err := EncryptECDHES([]byte(`{"vp_token":{}}`), k.PublicKey(), EncryptOptions{Enc: enc, Kid: "k1", Apu: party, Apv: party})
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecryptECDHES(c, k, DecryptOptions{})
			if err != nil {
				t.Fatalf("%s: %v", enc, err)
			}
			if string(got.Plaintext) != `{"vp_token":{}}` || got.Enc != enc || got.Header.Kid != "k1" || string(got.Apv) != string(party) {
				t.Fatalf("%s: got %+v", enc, got)
			}
		}
	}
}

func TestConcatKDFRFC7518AppendixC(t *testing.T) {
	// RFC 7518 Appendix C: Z from the example keys, enc A128GCM, apu "Alice", apv "Bob".
	z := []byte{158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196}
	got := B64.EncodeToString(concatKDF(z, "A128GCM", []byte("Alice"), []byte("Bob"), 16))
	if got != "VqqN6vgjbSBcIijNcacQGg" {
		t.Fatalf("derived key %s", got)
	}
}

func TestJWERefusals(t *testing.T) {
	k := ecdhKey(t)
	good, err := EncryptECDHES([]byte("hello"), k.PublicKey(), EncryptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	hdr := func(json string) string {
		p := append([]string{B64.EncodeToString([]byte(json))}, parts[1:]...)
		return strings.Join(p, ".")
	}
	epk := `{"kty":"EC","crv":"P-256","x":"` + strings.Repeat("A", 43) + `","y":"` + strings.Repeat("A", 43) + `"}`
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"four parts", strings.Join(parts[:4], "."), ErrMalformed},
		{"encrypted key present", parts[0] + ".AAAA." + strings.Join(parts[2:], "."), ErrMalformed},
		{"alg RSA-OAEP", hdr(`{"alg":"RSA-OAEP","enc":"A128GCM"}`), ErrAlgNotAllowed},
		{"alg dir", hdr(`{"alg":"dir","enc":"A128GCM"}`), ErrAlgNotAllowed},
		{"enc CBC", hdr(`{"alg":"ECDH-ES","enc":"A128CBC-HS256","epk":{}}`), ErrAlgNotAllowed},
		{"zip", hdr(`{"alg":"ECDH-ES","enc":"A128GCM","zip":"DEF"}`), ErrAlgNotAllowed},
		{"crit", hdr(`{"alg":"ECDH-ES","enc":"A128GCM","crit":["x"]}`), ErrCritUnsupported},
		{"no epk", hdr(`{"alg":"ECDH-ES","enc":"A128GCM"}`), ErrMalformed},
		{"epk off curve", hdr(`{"alg":"ECDH-ES","enc":"A128GCM","epk":` + epk + `}`), ErrBadJWK},
		{"epk P-384", hdr(`{"alg":"ECDH-ES","enc":"A128GCM","epk":{"kty":"EC","crv":"P-384","x":"a","y":"b"}}`), ErrBadJWK},
		{"duplicate member", hdr(`{"alg":"ECDH-ES","alg":"ECDH-ES","enc":"A128GCM"}`), ErrMalformed},
		{"header changed", hdr(`{"alg":"ECDH-ES","enc":"A128GCM","epk":` + string(mustHeaderEPK(t, parts[0])) + `,"kid":"x"}`), ErrDecrypt},
		{"short tag", strings.Join(append(parts[:4:4], "AAAA"), "."), ErrMalformed},
		{"too large", good + strings.Repeat("A", MaxJWELen), ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecryptECDHES(c.in, k, DecryptOptions{})
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, err := DecryptECDHES(good, ecdhKey(t), DecryptOptions{}); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := DecryptECDHES(good, k, DecryptOptions{Encs: []string{A256GCM}}); !errors.Is(err, ErrAlgNotAllowed) {
		t.Fatalf("enc outside the allow-list: %v", err)
	}
}

func mustHeaderEPK(t *testing.T, protected string) []byte {
	t.Helper()
	b, _ := DecodeSegment(protected)
	i := strings.Index(string(b), `"epk":`)
	j := strings.Index(string(b[i:]), "}")
	return b[i+6 : i+j+1]
}

// TestJWECrossCheckJWX holds EncryptECDHES/DecryptECDHES against jwx v3.
func TestJWECrossCheckJWX(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dh, err := priv.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		enc string
		jwx jwa.ContentEncryptionAlgorithm
	}{{A128GCM, jwa.A128GCM()}, {A256GCM, jwa.A256GCM()}} {
		t.Run(c.enc, func(t *testing.T) {
			payload := []byte(`{"vp_token":{"q":["a~b~"]},"state":"s"}`)
			ours, err := EncryptECDHES(payload, dh.PublicKey(), EncryptOptions{Enc: c.enc, Kid: "v", Apu: []byte("wallet"), Apv: []byte("nonce")})
			if err != nil {
				t.Fatal(err)
			}
			got, err := jwe.Decrypt([]byte(ours), jwe.WithKey(jwa.ECDH_ES(), priv))
			if err != nil {
				t.Fatalf("jwx refuses our JWE: %v", err)
			}
			if string(got) != string(payload) {
				t.Fatalf("jwx decrypted %q", got)
			}
			// jwx → ours without apu/apv: jwx v3.4.0 writes a []byte apu
			// set on its headers base64url-encoded twice in the header while
			// deriving the key from the raw bytes, so such a JWE cannot be
			// decrypted by a conforming implementation (ours → jwx above
			// covers apu/apv).
			theirs, err := jwe.Encrypt(payload, jwe.WithKey(jwa.ECDH_ES(), &priv.PublicKey), jwe.WithContentEncryption(c.jwx))
			if err != nil {
				t.Fatal(err)
			}
			dec, err := DecryptECDHES(string(theirs), dh, DecryptOptions{})
			if err != nil {
				t.Fatalf("we refuse jwx's JWE %s: %v", theirs, err)
			}
			if string(dec.Plaintext) != string(payload) || dec.Apu != nil {
				t.Fatalf("decrypted %+v", dec)
			}
		})
	}
}

func FuzzDecryptECDHES(f *testing.F) {
	scalar := make([]byte, 32)
	scalar[31] = 7
	k, err := ecdh.P256().NewPrivateKey(scalar)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := EncryptECDHES([]byte("payload"), k.PublicKey(), EncryptOptions{Apv: []byte("n")})
	f.Add(good)
	f.Add("a.b.c.d.e")
	f.Add("eyJhbGciOiJFQ0RILUVTIn0....")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := DecryptECDHES(s, k, DecryptOptions{})
		if err == nil && got.Header.Alg != ECDHES {
			t.Fatalf("accepted alg %q", got.Header.Alg)
		}
	})
}
