package jose

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"math/big"
	"math/rand/v2"
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
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \n."
	for range 20000 {
		b := make([]byte, rng.IntN(12))
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
