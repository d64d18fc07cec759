package proximity

import (
	"errors"
	"strings"
	"testing"
)

func TestBase45RFC9285(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"}, {"ietf!", "QED8WEX0"}, {"", ""},
	} {
		if got := Base45([]byte(tc.in)); got != tc.out {
			t.Errorf("Base45(%q) = %q, want %q", tc.in, got, tc.out)
		}
		back, err := Unbase45(tc.out)
		if err != nil || string(back) != tc.in {
			t.Errorf("Unbase45(%q) = %q, %v", tc.out, back, err)
		}
	}
	for _, bad := range []string{"GGW", "a", "ab", "::::"} {
		if _, err := Unbase45(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("Unbase45(%q): %v, want ErrFormat", bad, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, p := range []string{
		"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln~WyJzYWx0IiwiYSIsMV0~",
		"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln~WyJzYWx0IiwiYSIsMV0~eyJ0eXAiOiJrYitqd3QifQ.eyJub25jZSI6Im4ifQ.c2ln",
		"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln~",
	} {
		enc, err := Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(enc, Prefix) || strings.ContainsFunc(enc, func(r rune) bool { return !strings.ContainsRune(base45Alphabet, r) }) {
			t.Errorf("%q is not QR alphanumeric with the prefix", enc)
		}
		dec, err := Decode(" " + enc + "\n")
		if err != nil || dec != p {
			t.Errorf("Decode(Encode(%q)) = %q, %v", p, dec, err)
		}
	}
	if _, err := Encode("not base64!~x~"); !errors.Is(err, ErrFormat) {
		t.Errorf("Encode of non-base64url: %v", err)
	}
	for _, bad := range []string{"", "CP2:ABC", "CP1:", "CP1:%69 VD92EX0", Prefix + strings.Repeat("0", MaxTextLen)} {
		if _, err := Decode(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("Decode(%.20q): %v, want ErrFormat", bad, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	enc, _ := Encode("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln~WyJzYWx0IiwiYSIsMV0~")
	f.Add(enc)
	f.Add("CP1:00")
	withDID, _ := Encode(b64.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." +
		b64.EncodeToString([]byte(`{"iss":"did:jwk:`+b64.EncodeToString([]byte(`{"kty":"EC"}`))+`"}`)) + ".c2ln~")
	f.Add(withDID)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Decode(s)
		if err != nil {
			return
		}
		again, err := Encode(p)
		if err != nil {
			t.Fatalf("decoded %q does not encode: %v", p, err)
		}
		p2, err := Decode(again)
		if err != nil || p2 != p {
			t.Fatalf("not stable: %q vs %q", p, p2)
		}
	})
}

func TestPackDIDs(t *testing.T) {
	jwk := `{"crv":"P-256","kty":"EC","x":"AAAA","y":"BBBB"}`
	d := "did:jwk:" + b64.EncodeToString([]byte(jwk))
	for _, tc := range []struct {
		in     string
		packed bool
	}{
		{`{"iss":"` + d + `","kid":"` + d + `#0"}`, true},
		{`{"iss":"did:jwk:","x":1}`, false},             // no suffix
		{`{"iss":"did:jwk:A"}`, false},                  // not base64url of anything
		{`{"iss":"did:web:example.com"}`, false},        // another method
		{"{\"a\":\"did:jwk:" + "\x00" + "\"}", false},   // a NUL: not JSON, left alone
		{`{"iss":"` + d + `","sub":"did:jwk:A"}`, true}, // one packed, one not
	} {
		out, ok := packDIDs([]byte(tc.in))
		if ok != tc.packed {
			t.Errorf("%q: packed %v", tc.in, ok)
		}
		if !ok {
			continue
		}
		if strings.Contains(string(out), b64.EncodeToString([]byte(jwk))) || !strings.Contains(string(out), jwk) {
			t.Errorf("%q packed as %q", tc.in, out)
		}
		back, err := unpackDIDs(out)
		if err != nil || string(back) != tc.in {
			t.Errorf("unpack(%q) = %q, %v", out, back, err)
		}
	}
	for _, bad := range []string{"x\x00", "did:jwk:\x00\x05ab", "did:jwk:\x00"} {
		if _, err := unpackDIDs([]byte(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("unpack(%q): %v", bad, err)
		}
	}
}

// FuzzEncode: whatever Encode accepts, Decode gives back exactly.
func FuzzEncode(f *testing.F) {
	jwt := func(payload string) string {
		return b64.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." + b64.EncodeToString([]byte(payload)) + ".c2ln"
	}
	d := "did:jwk:" + b64.EncodeToString([]byte(`{"crv":"P-256","kty":"EC","x":"AAAA","y":"BBBB"}`))
	f.Add(jwt(`{"iss":"`+d+`","sub":"`+d+`x"}`) + "~WyJzIiwiYSIsMV0~")
	f.Add(jwt(`{"iss":"did:jwk:did:jwk:QUJD"}`) + "~")
	f.Fuzz(func(t *testing.T, p string) {
		enc, err := Encode(p)
		if err != nil {
			return
		}
		back, err := Decode(enc)
		if err != nil || back != p {
			t.Fatalf("Decode(Encode(%q)) = %q, %v", p, back, err)
		}
	})
}
