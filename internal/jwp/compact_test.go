package jwp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jwp"
)

func TestParseCompact(t *testing.T) {
	h := "eyJhbGciOiJCQlMifQ"  // {"alg":"BBS"}
	ph := "eyJub25jZSI6Im4ifQ" // {"nonce":"n"}
	cases := []struct {
		name      string
		in        string
		presented bool
		want      error
		slots     []string // "<nil>" for omitted
	}{
		{"issued", h + ".YQ~_~Yg.AQ", false, nil, []string{"a", "", "b"}},
		{"issued one slot", h + ".YQ.AQ", false, nil, []string{"a"}},
		{"issued zero-length only", h + "._.AQ", false, nil, []string{""}},
		{"issued omitted slot", h + ".YQ~~Yg.AQ", false, jwp.ErrMalformed, nil},
		{"issued empty payloads", h + "..AQ", false, jwp.ErrMalformed, nil},
		{"issued two parts", h + ".YQ", false, jwp.ErrMalformed, nil},
		{"issued four parts", ph + "." + h + ".YQ.AQ", false, jwp.ErrMalformed, nil},
		{"padding", h + ".YQ==.AQ", false, jwp.ErrMalformed, nil},
		{"space", h + ".YQ .AQ", false, jwp.ErrMalformed, nil},
		{"newline", h + ".YQ.AQ\n", false, jwp.ErrMalformed, nil},
		{"standard alphabet", h + ".+w.AQ", false, jwp.ErrMalformed, nil},
		{"non-canonical bits", h + ".YR.AQ", false, jwp.ErrMalformed, nil},
		{"one-char segment", h + ".Y.AQ", false, jwp.ErrMalformed, nil},
		{"empty proof", h + ".YQ.", false, jwp.ErrMalformed, nil},
		{"empty proof value", h + ".YQ.AQ~", false, jwp.ErrMalformed, nil},
		{"zero-length proof value", h + ".YQ._", false, nil, []string{"a"}},
		{"empty header", ".YQ.AQ", false, jwp.ErrMalformed, nil},
		{"too many proof values", h + ".YQ." + strings.Repeat("AQ~", 8) + "AQ", false, jwp.ErrTooLarge, nil},
		{"too many slots", h + "." + strings.Repeat("YQ~", jwp.MaxPayloads) + "YQ.AQ", false, jwp.ErrTooLarge, nil},
		{"too long", h + "." + strings.Repeat("A", jwp.MaxCompactLen) + ".AQ", false, jwp.ErrTooLarge, nil},
		{"presented", ph + "." + h + ".YQ~~_~.AQ", true, nil, []string{"a", "<nil>", "", "<nil>"}},
		{"presented all omitted", ph + "." + h + ".~~.AQ", true, nil, []string{"<nil>", "<nil>", "<nil>"}},
		{"presented empty payloads part", ph + "." + h + "..AQ", true, nil, []string{"<nil>"}},
		{"presented three parts", h + ".YQ.AQ", true, jwp.ErrMalformed, nil},
		{"presented five parts", ph + "." + ph + "." + h + ".YQ.AQ", true, jwp.ErrMalformed, nil},
		{"presented empty presentation header", "." + h + ".YQ.AQ", true, jwp.ErrMalformed, nil},
		{"presented padded header", ph + "=." + h + ".YQ.AQ", true, jwp.ErrMalformed, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var pls [][]byte
			var err error
			var back string
			if tc.presented {
				var p *jwp.Presented
				if p, err = jwp.ParsePresented(tc.in); err == nil {
					pls, back = p.Payloads, p.Compact()
				}
			} else {
				var j *jwp.Issued
				if j, err = jwp.ParseIssued(tc.in); err == nil {
					pls, back = j.Payloads, j.Compact()
				}
			}
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if back != tc.in {
				t.Fatalf("re-serialized %q", back)
			}
			if len(pls) != len(tc.slots) {
				t.Fatalf("%d slots, want %d", len(pls), len(tc.slots))
			}
			for i, want := range tc.slots {
				got := string(pls[i])
				if pls[i] == nil {
					got = "<nil>"
				}
				if got != want {
					t.Fatalf("slot %d = %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	h, err := jwp.ParseHeader([]byte(`{"alg":"BBS","aud":"https://a.example","nonce":"n","cid":"c","kid":"k","typ":"jpt","iss":"i","claims":["a"],"x-ext":{"y":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.Alg != "BBS" || len(h.Aud) != 1 || h.Aud[0] != "https://a.example" || h.Nonce != "n" || h.Cid != "c" || h.Kid != "k" || h.Typ != "jpt" || h.Iss != "i" || len(h.Claims) != 1 || h.Extra["x-ext"] == nil {
		t.Fatalf("%+v", h)
	}
	h, err = jwp.ParseHeader([]byte(`{"aud":["a","b"]}`))
	if err != nil || len(h.Aud) != 2 {
		t.Fatalf("%v %+v", err, h)
	}
	for _, bad := range []string{`{"a":1,"a":1}`, `{"a":1} `[:7] + `x`, `null`, `"s"`, `{"kid":1}`, `{"nonce":null}`, `{"crit":"x"}`, `{"crit":["x","x"],"x":1}`, `{"hpa":"ES256"}`, "{\"a\":\"\xff\"}"} {
		if _, err := jwp.ParseHeader([]byte(bad)); err == nil {
			t.Errorf("ParseHeader(%q) accepted", bad)
		}
	}
	if _, err := jwp.ParseHeader([]byte(`{"a":"` + strings.Repeat("x", jwp.MaxHeaderLen) + `"}`)); !errors.Is(err, jwp.ErrTooLarge) {
		t.Errorf("oversize header: %v", err)
	}
}

func TestHeaderMarshal(t *testing.T) {
	got := string(jwp.IssuerHeader{Kid: "k", Typ: "jpt", Cid: "c"}.Marshal())
	if got != `{"alg":"BBS","kid":"k","typ":"jpt","cid":"c"}` {
		t.Fatal(got)
	}
	got = string(jwp.PresentationHeader{Aud: "https://v.example/?a=1&b=<2>", Nonce: "n\"1"}.Marshal())
	if got != `{"alg":"BBS","aud":"https://v.example/?a=1&b=<2>","nonce":"n\"1"}` {
		t.Fatal(got)
	}
	if h, err := jwp.ParseHeader([]byte(got)); err != nil || h.Nonce != "n\"1" {
		t.Fatal(err)
	}
}
