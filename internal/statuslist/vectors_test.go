package statuslist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

type vectorStatus struct {
	Index  int   `json:"index"`
	Status uint8 `json:"status"`
}

type listVector struct {
	Bits               Bits           `json:"bits"`
	Lst                string         `json:"lst"`
	SizeEntries        int            `json:"size_entries"`
	DecompressedLength int            `json:"decompressed_length"`
	DecompressedSHA256 string         `json:"decompressed_sha256_hex"`
	DecompressedHex    string         `json:"decompressed_hex"`
	Statuses           []vectorStatus `json:"statuses"`
	NonzeroBytes       [][2]int       `json:"decompressed_nonzero_bytes"`
}

func listVectors(t *testing.T) map[string]listVector {
	t.Helper()
	out := map[string]listVector{}
	var small struct {
		Examples []listVector `json:"examples"`
	}
	readJSON(t, "status_list_small.json", &small)
	if len(small.Examples) != 2 {
		t.Fatalf("want 2 small examples, got %d", len(small.Examples))
	}
	for _, v := range small.Examples {
		out[fmt.Sprintf("small_%dbit", v.Bits)] = v
	}
	for _, b := range []int{1, 2, 4, 8} {
		var v listVector
		readJSON(t, fmt.Sprintf("status_list_%dbit_long.json", b), &v)
		if v.Bits != Bits(b) {
			t.Fatalf("%d-bit vector says bits=%d", b, v.Bits)
		}
		out[fmt.Sprintf("long_%dbit", b)] = v
	}
	return out
}

// checkDecompressed compares a byte array with everything a vector records
// about its decompressed form.
func checkDecompressed(t *testing.T, v listVector, got []byte) {
	t.Helper()
	if len(got) != v.DecompressedLength {
		t.Fatalf("decompressed length %d, want %d", len(got), v.DecompressedLength)
	}
	sum := sha256.Sum256(got)
	if hex.EncodeToString(sum[:]) != v.DecompressedSHA256 {
		t.Errorf("decompressed sha256 %x, want %s", sum, v.DecompressedSHA256)
	}
	if v.DecompressedHex != "" && hex.EncodeToString(got) != v.DecompressedHex {
		t.Errorf("decompressed %x, want %s", got, v.DecompressedHex)
	}
	if v.NonzeroBytes != nil {
		var nz [][2]int
		for i, b := range got {
			if b != 0 {
				nz = append(nz, [2]int{i, int(b)})
			}
		}
		want := fmt.Sprint(v.NonzeroBytes)
		if fmt.Sprint(nz) != want {
			t.Errorf("non-zero bytes %v, want %v", nz, want)
		}
	}
}

func TestVectorsDecode(t *testing.T) {
	for name, v := range listVectors(t) {
		t.Run(name, func(t *testing.T) {
			l, err := Decode(v.Bits, v.Lst, 0)
			if err != nil {
				t.Fatal(err)
			}
			if l.Bits() != v.Bits {
				t.Errorf("Bits() = %d", l.Bits())
			}
			if want := v.DecompressedLength * 8 / int(v.Bits); l.Len() != want || l.Len() < v.SizeEntries {
				t.Errorf("Len() = %d, want %d (size_entries %d)", l.Len(), want, v.SizeEntries)
			}
			checkDecompressed(t, v, l.Bytes())
			listed := map[int]uint8{}
			for _, s := range v.Statuses {
				listed[s.Index] = s.Status
			}
			if len(listed) != len(v.Statuses) {
				t.Fatalf("vector lists an index twice")
			}
			nonzero := 0
			for i := range l.Len() {
				got, err := l.Get(i)
				if err != nil {
					t.Fatal(err)
				}
				if got != listed[i] { // unlisted indices are VALID (0)
					t.Errorf("Get(%d) = %d, want %d", i, got, listed[i])
				}
				if got != 0 {
					nonzero++
				}
			}
			if nonzero == 0 {
				t.Error("vector decoded to an all-zero list")
			}
		})
	}
}

// TestVectorsReencode builds each vector's list from its statuses alone,
// encodes it with our encoder and decodes it again. Compressed bytes are
// not compared: they depend on the zlib implementation.
func TestVectorsReencode(t *testing.T) {
	for name, v := range listVectors(t) {
		t.Run(name, func(t *testing.T) {
			l, err := New(v.Bits, v.SizeEntries)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range v.Statuses {
				if err := l.Set(s.Index, s.Status); err != nil {
					t.Fatal(err)
				}
			}
			checkDecompressed(t, v, l.Bytes())
			lst, err := l.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(v.Bits, lst, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkDecompressed(t, v, back.Bytes())
		})
	}
}

type tokenVector struct {
	PublicJWK        json.RawMessage `json:"status_list_token_public_jwk"`
	Token            string          `json:"status_list_token"`
	Payload          map[string]any  `json:"token_payload"`
	Statuses         []uint8         `json:"statuses_1bit"`
	VerificationTime int64           `json:"verification_time"`
	Referenced       struct {
		SDJWT     string          `json:"sd_jwt"`
		IssuerJWK json.RawMessage `json:"issuer_public_jwk"`
		Expected  uint8           `json:"expected_status_from_status_list_token"`
	} `json:"referenced_token_sd_jwt"`
}

func TestVectorStatusListTokenJWT(t *testing.T) {
	var v tokenVector
	readJSON(t, "status_list_token_jwt.json", &v)
	jwk, err := jose.ParseJWK(v.PublicJWK)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(v.VerificationTime, 0)
	sub := v.Payload["sub"].(string)
	opts := VerifyOptions{Key: pub, Algs: []jose.Alg{jose.ES256}, Now: func() time.Time { return at }, ExpectedSubject: sub}

	t.Run("verifies", func(t *testing.T) {
		tok, err := VerifyToken(v.Token, opts)
		if err != nil {
			t.Fatal(err)
		}
		num := func(k string) int64 {
			n, err := v.Payload[k].(json.Number).Int64()
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if tok.Subject != sub || tok.Issuer != v.Payload["iss"] {
			t.Errorf("sub/iss = %q/%q", tok.Subject, tok.Issuer)
		}
		if tok.IssuedAt.Unix() != num("iat") || tok.ExpiresAt.Unix() != num("exp") {
			t.Errorf("iat/exp = %v/%v", tok.IssuedAt, tok.ExpiresAt)
		}
		if tok.TTL != time.Duration(num("ttl"))*time.Second {
			t.Errorf("ttl = %v", tok.TTL)
		}
		if tok.List.Len() != len(v.Statuses) {
			t.Fatalf("list has %d entries, want %d", tok.List.Len(), len(v.Statuses))
		}
		for i, want := range v.Statuses {
			if got, _ := tok.List.Get(i); got != want {
				t.Errorf("entry %d = %d, want %d", i, got, want)
			}
		}
	})
	t.Run("expired_an_hour_after_exp", func(t *testing.T) {
		exp, _ := v.Payload["exp"].(json.Number).Int64()
		o := opts
		o.Now = func() time.Time { return time.Unix(exp, 0).Add(time.Hour) }
		if _, err := VerifyToken(v.Token, o); !errors.Is(err, ErrExpired) {
			t.Fatalf("got %v, want ErrExpired", err)
		}
	})
	t.Run("modified_payload", func(t *testing.T) {
		parts := strings.Split(v.Token, ".")
		payload, err := jose.DecodeSegment(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		mod := bytes.Replace(payload, []byte(`"ttl":43200`), []byte(`"ttl":43201`), 1)
		if bytes.Equal(mod, payload) {
			t.Fatalf("payload has no ttl to modify: %s", payload)
		}
		forged := parts[0] + "." + jose.B64.EncodeToString(mod) + "." + parts[2]
		_, err = VerifyToken(forged, opts)
		if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, jose.ErrBadSignature) {
			t.Fatalf("got %v, want ErrInvalidToken wrapping jose.ErrBadSignature", err)
		}
	})
	t.Run("referenced_sd_jwt", func(t *testing.T) {
		ijwk, err := jose.ParseJWK(v.Referenced.IssuerJWK)
		if err != nil {
			t.Fatal(err)
		}
		ipub, err := ijwk.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		jwt, _, _ := strings.Cut(v.Referenced.SDJWT, "~")
		j, err := jose.ParseAndVerify(jwt, ipub, "", []jose.Alg{jose.ES256})
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(j.Payload))
		dec.UseNumber()
		var claims map[string]any
		if err := dec.Decode(&claims); err != nil {
			t.Fatal(err)
		}
		status, ok := claims["status"].(map[string]any)
		if !ok {
			t.Fatalf("no status claim in %s", j.Payload)
		}
		ref, err := ParseReference(status)
		if err != nil {
			t.Fatal(err)
		}
		if ref.Index != 0 || ref.URI != sub {
			t.Fatalf("reference = %+v, want idx 0, uri %q", ref, sub)
		}
		o := opts
		o.ExpectedSubject = ref.URI
		tok, err := VerifyToken(v.Token, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tok.List.Get(ref.Index)
		if err != nil {
			t.Fatal(err)
		}
		if got != v.Referenced.Expected || got != StatusInvalid {
			t.Fatalf("referenced token status %d, want %d (INVALID)", got, v.Referenced.Expected)
		}
	})
}
