package statuslist

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// fuzzMaxDecompressed keeps fuzz iterations cheap while still exercising
// the cap.
const fuzzMaxDecompressed = 64 << 10

func FuzzDecode(f *testing.F) {
	f.Add(uint8(1), "eNrbuRgAAhcBXQ")
	f.Add(uint8(2), "eNo76fITAAPfAgc")
	f.Add(uint8(4), "eNrbuRgAAhcBXQ")
	f.Add(uint8(8), "eNrbuRgAAhcBXQ==")
	f.Add(uint8(3), "eNrbuRgAAhcBXQ")
	f.Add(uint8(1), zlibB64(f, make([]byte, fuzzMaxDecompressed+1)))
	f.Add(uint8(1), "")
	f.Fuzz(func(t *testing.T, bits uint8, lst string) {
		l, err := Decode(Bits(bits), lst, fuzzMaxDecompressed)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrInvalidBits) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		data := l.Bytes()
		if len(data) == 0 || len(data) > fuzzMaxDecompressed || l.Len()*int(l.Bits()) != len(data)*8 {
			t.Fatalf("inconsistent list: %d bytes, %d entries of %d bits", len(data), l.Len(), l.Bits())
		}
		if _, err := l.Get(l.Len() - 1); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Get(l.Len()); !errors.Is(err, ErrIndexOutOfRange) {
			t.Fatalf("Get(Len()): %v", err)
		}
		again, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(l.Bits(), again, fuzzMaxDecompressed)
		if err != nil || !bytes.Equal(back.Bytes(), data) {
			t.Fatalf("re-encoding does not round-trip: %v", err)
		}
	})
}

func FuzzVerifyToken(f *testing.F) {
	var v tokenVector
	readJSON(f, "status_list_token_jwt.json", &v)
	jwk, err := jose.ParseJWK(v.PublicJWK)
	if err != nil {
		f.Fatal(err)
	}
	pub, err := jwk.PublicKey()
	if err != nil {
		f.Fatal(err)
	}
	at := time.Unix(v.VerificationTime, 0)
	f.Add(v.Token)
	f.Add(v.Token + "x")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("..")
	f.Fuzz(func(t *testing.T, compact string) {
		tok, err := VerifyToken(compact, VerifyOptions{Key: pub, Now: func() time.Time { return at }, MaxDecompressed: fuzzMaxDecompressed})
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrExpired) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		// Only the issuer key signs, so success means a token the key
		// really signed: its claims must be sane.
		if tok.Subject == "" || tok.List == nil || tok.List.Len() == 0 || tok.IssuedAt.After(at) {
			t.Fatalf("accepted an inconsistent token: %+v", tok)
		}
	})
}

func FuzzParseReference(f *testing.F) {
	f.Add([]byte(`{"status_list":{"idx":0,"uri":"https://example.com/statuslists/1"}}`))
	f.Add([]byte(`{"status_list":{"idx":1.0e3,"uri":"https://e.example/s"}}`))
	f.Add([]byte(`{"status_list":{"idx":-1,"uri":"https://e.example/s"}}`))
	f.Add([]byte(`{"status_list":{"idx":"1","uri":"/rel"}}`))
	f.Add([]byte(`{"status_list":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var m map[string]any
		if dec.Decode(&m) != nil {
			return
		}
		r, err := ParseReference(m)
		if err != nil {
			if !errors.Is(err, ErrInvalidReference) && !errors.Is(err, ErrIndexOutOfRange) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if r.Index < 0 || r.Index >= MaxEntries || r.URI == "" {
			t.Fatalf("accepted %+v", r)
		}
		// What Claim produces must parse back to the same reference, both
		// as Go values and through JSON.
		if back, err := ParseReference(r.Claim()); err != nil || back != r {
			t.Fatalf("Claim round trip: %+v, %v", back, err)
		}
		b, err := json.Marshal(r.Claim())
		if err != nil {
			t.Fatal(err)
		}
		var viaJSON map[string]any
		json.Unmarshal(b, &viaJSON)
		if back, err := ParseReference(viaJSON); err != nil || back != r {
			t.Fatalf("JSON round trip: %+v, %v", back, err)
		}
	})
}
