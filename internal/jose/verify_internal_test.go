package jose

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// rawToDER must produce exactly what encoding/asn1 produces for
// SEQUENCE{INTEGER r, INTEGER s}, including for leading zero bytes, a set
// high bit and zero.
func TestRawToDER(t *testing.T) {
	pad := func(b []byte, n int) []byte { return append(make([]byte, n-len(b)), b...) }
	cases := []struct{ name, r, s string }{
		{"plain", "01", "7f"},
		{"high bit", "80", "ff"},
		{"leading zeros", "0000007f", "00000080"},
		{"zero", "00", "00"},
		{"full width high bit", strings.Repeat("ff", 32), strings.Repeat("81", 32)},
		{"P-384 width", strings.Repeat("c3", 48), "00" + strings.Repeat("12", 47)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := new(big.Int).SetString(tc.r, 16)
			s, _ := new(big.Int).SetString(tc.s, 16)
			size := 32
			if len(tc.r) > 64 || len(tc.s) > 64 {
				size = 48
			}
			want, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
			if err != nil {
				t.Fatal(err)
			}
			got := rawToDER(nil, pad(r.Bytes(), size), pad(s.Bytes(), size))
			if !bytes.Equal(got, want) {
				t.Fatalf("rawToDER = %x, want %x", got, want)
			}
		})
	}
}

func TestHashString(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 3000} {
		s := strings.Repeat("a.", n)[:n]
		d, l := hashString(ES256, s)
		if w := sha256.Sum256([]byte(s)); !bytes.Equal(d[:l], w[:]) {
			t.Fatalf("SHA-256 of %d bytes differs", n)
		}
		d, l = hashString(ES384, s)
		if w := sha512.Sum384([]byte(s)); !bytes.Equal(d[:l], w[:]) {
			t.Fatalf("SHA-384 of %d bytes differs", n)
		}
	}
}

// appendB64URL must accept exactly what DecodeSegment accepts, with the
// same result.
func TestAppendDecodeSegment(t *testing.T) {
	cases := []string{"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "_-_-", "YQ", "YR", "YWI", "YWJ", "YWJj",
		"YQ==", "YW+j", "YW/j", "YW j", "YW\nJj", "YW\rJj", "YW\tJj", "Y=", "é", "YWJjZA", "YWJjZB"}
	rng := rand.New(rand.NewPCG(1, 2))
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \n."
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = chars[rng.IntN(len(chars))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, wantErr := DecodeSegment(s)
		got, err := AppendDecodeSegment([]byte("x"), s)
		fast, ok := appendB64URL(nil, s)
		if (err != nil) != (wantErr != nil) || ok != (wantErr == nil) {
			t.Fatalf("%q: err %v, fast ok %v, DecodeSegment err %v", s, err, ok, wantErr)
		}
		if err != nil {
			if err.Error() != wantErr.Error() {
				t.Fatalf("%q: error %q, want %q", s, err, wantErr)
			}
			continue
		}
		if !bytes.Equal(got, append([]byte("x"), want...)) || !bytes.Equal(fast, want) {
			t.Fatalf("%q: got %x / %x, want %x", s, got, fast, want)
		}
	}
}

// parseJWKGeneral is ParseJWK without its fast path.
func parseJWKGeneral(b []byte) (*JWK, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return nil, ErrBadJWK
	}
	return jwkFromRaw(raw)
}

// The fast path of ParseJWK must return exactly what the general path
// returns whenever it accepts an input.
func TestParseKeyOnlyJWKAgrees(t *testing.T) {
	const x, y = "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ", "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"
	ec := `"kty":"EC","crv":"P-256","x":"` + x + `","y":"` + y + `"`
	cases := []struct {
		in   string
		fast bool
	}{
		{`{` + ec + `}`, true},
		{` {` + ec + `,"kid":"k-1","alg":"ES256","use":"sig"} `, true},
		{`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`, true},
		{`{` + ec + `,"kid":"\u00e9\ud800"}`, true},
		{`{` + ec + `,"d":"AAAA"}`, false},
		{`{` + ec + `,"ext":true}`, false},
		{`{` + ec + `,"kid":null}`, false},
		{`{` + ec + `,"kid":1}`, false},
		{`{` + ec + `,"kty":"EC"}`, false},
		{`{"kty":"EC","crv":"P-256","x":"` + x + `"}`, false},
		{`{"kty":"EC","crv":"P-256","x":"` + y + `","y":"` + x + `"}`, false},
		{`[` + ec + `]`, false},
		{`null`, false},
		{`{` + ec + `} x`, false},
	}
	for _, tc := range cases {
		fast, ok := parseKeyOnlyJWK([]byte(tc.in))
		if ok != tc.fast {
			t.Fatalf("%s: fast path ok = %v, want %v", tc.in, ok, tc.fast)
		}
		general, err := parseJWKGeneral([]byte(tc.in))
		if ok && (err != nil || !reflect.DeepEqual(fast, general)) {
			t.Fatalf("%s: fast path %+v, general path %+v, %v", tc.in, fast, general, err)
		}
		viaAPI, apiErr := ParseJWK([]byte(tc.in))
		if (apiErr == nil) != (err == nil) || (err == nil && !reflect.DeepEqual(viaAPI, general)) {
			t.Fatalf("%s: ParseJWK %+v, %v; general path %+v, %v", tc.in, viaAPI, apiErr, general, err)
		}
	}
}

func FuzzParseKeyOnlyJWKAgrees(f *testing.F) {
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8","kid":"a\u00e9"}`))
	f.Add([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"sig"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		fast, ok := parseKeyOnlyJWK(in)
		if !ok {
			return
		}
		general, err := parseJWKGeneral(in)
		if err != nil || !reflect.DeepEqual(fast, general) {
			t.Fatalf("%q: fast path %+v, general path %+v, %v", in, fast, general, err)
		}
	})
}

// checkValidate compares JWK.validate with JWK.PublicKey: the same error
// (or none) for every key.
func checkValidate(t *testing.T, k *JWK) {
	t.Helper()
	_, want := k.PublicKey()
	got := k.validate()
	if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
		t.Fatalf("%+v: validate() = %v, PublicKey() error %v", k, got, want)
	}
}

func TestValidateAgreesWithPublicKey(t *testing.T) {
	const x, y = "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ", "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"
	p := func(n int, b byte) string { return B64.EncodeToString(bytes.Repeat([]byte{b}, n)) }
	for _, k := range []*JWK{
		{Kty: "EC", Crv: "P-256", X: x, Y: y},
		{Kty: "EC", Crv: "P-256", X: x, Y: x},               // off the curve
		{Kty: "EC", Crv: "P-256", X: p(32, 0), Y: p(32, 0)}, // the point at infinity in affine zeros
		{Kty: "EC", Crv: "P-256", X: p(32, 0xff), Y: y},     // coordinate above the field prime
		{Kty: "EC", Crv: "P-256", X: x, Y: p(31, 1)},        // short
		{Kty: "EC", Crv: "P-256", X: x + "A", Y: y},         // bad base64 length
		{Kty: "EC", Crv: "P-384", X: p(48, 1), Y: p(48, 2)}, // off the curve
		{Kty: "EC", Crv: "P-521", X: x, Y: y},
		{Kty: "EC", Crv: "P-256", X: x},
		{Kty: "OKP", Crv: "Ed25519", X: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
		{Kty: "OKP", Crv: "X25519", X: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
		{Kty: "RSA"},
	} {
		checkValidate(t, k)
	}
	for _, crv := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		key, err := ecdsa.GenerateKey(crv, crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		j, err := NewJWK(key.Public())
		if err != nil {
			t.Fatal(err)
		}
		checkValidate(t, j)
		if err := j.validate(); err != nil {
			t.Fatalf("generated %s key refused: %v", j.Crv, err)
		}
	}
}

func FuzzValidateAgreesWithPublicKey(f *testing.F) {
	f.Add("P-256", "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ", "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8")
	f.Add("P-384", "AAAA", "")
	f.Fuzz(func(t *testing.T, crv, x, y string) {
		checkValidate(t, &JWK{Kty: "EC", Crv: crv, X: x, Y: y})
	})
}

func FuzzAppendDecodeSegment(f *testing.F) {
	for _, s := range []string{"", "YWJjZGVmZ2hpams", "YWJjZGVmZ2hpamt", "YW+j", "eyJhbGciOiJFUzI1NiJ9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := DecodeSegment(s)
		got, ok := appendB64URL(nil, s)
		if ok != (wantErr == nil) || (ok && !bytes.Equal(got, want)) {
			t.Fatalf("%q: fast %x %v, DecodeSegment %x %v", s, got, ok, want, wantErr)
		}
	})
}
