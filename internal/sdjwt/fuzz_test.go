package sdjwt

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

func rfcSeeds(f *testing.F) {
	for _, name := range []string{"sec5_example.json", "appA1_simple_structured.json", "appA3_sd_jwt_vc_pid.json"} {
		b, err := os.ReadFile(filepath.Join(rfcDir, name))
		if err != nil {
			f.Fatal(err)
		}
		var v rfcVector
		if err := json.Unmarshal(b, &v); err != nil {
			f.Fatal(err)
		}
		f.Add(v.Presentation)
		if v.SDJWT != "" {
			f.Add(v.SDJWT)
		}
	}
	f.Add("")
	f.Add("~")
	f.Add("a.b.c~~")
	f.Add("eyJhbGciOiJFUzI1NiJ9.e30.AA~WyJhIiwiYiJd~")
}

// FuzzParse: Parse never panics, and what it accepts re-serializes to the
// same string with bounded disclosures.
func FuzzParse(f *testing.F) {
	rfcSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		lim := Limits{MaxTokenLen: 1 << 14, MaxDisclosures: 16}
		tok, err := Parse(s, lim)
		if err != nil {
			if Code(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		if len(tok.Disclosures) > 16 {
			t.Fatalf("%d disclosures past the limit", len(tok.Disclosures))
		}
		if tok.String() != s {
			t.Fatalf("String() = %q, input %q", tok.String(), s)
		}
	})
}

// FuzzProcess: Process never panics on any payload/disclosure combination,
// and its errors carry a code.
func FuzzProcess(f *testing.F) {
	f.Add([]byte(`{"_sd":["x"],"a":[{"...":"y"}],"_sd_alg":"sha-256"}`), "WyJzYWx0IiwiYSIsMV0")
	f.Add([]byte(`{"a":{"b":[1,{"_sd":[]}]}}`), "WyJzYWx0IiwxXQ")
	f.Fuzz(func(t *testing.T, payload []byte, disc string) {
		p, err := decodeObject(payload)
		if err != nil {
			return
		}
		tok := &SDJWT{Payload: p}
		if d, err := decodeDisclosure(disc, Limits{}.withDefaults()); err == nil {
			tok.Disclosures = append(tok.Disclosures, d)
			// Reference the disclosure from the payload too, so fuzzing
			// reaches the processing of disclosed values.
			if sd, ok := p["_sd"].([]any); ok {
				p["_sd"] = append(sd, d.Digest)
			}
		}
		out, err := tok.Process()
		if err != nil {
			if Code(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		if _, bad := out["_sd"]; bad {
			t.Fatal("_sd left in the output")
		}
	})
}

// FuzzVerify mutates a valid presentation: Verify must never panic, and
// whenever it accepts, the claims must be exactly the original ones.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, jose.ES256, jose.ES256)
	good := fx.present(f, fixtureSelect)
	want, err := Verify(good, fx.opts())
	if err != nil {
		f.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want.Claims)
	f.Add(0, byte('A'), false)
	f.Add(len(good)-1, byte('~'), true)
	f.Add(strings.IndexByte(good, '~'), byte('~'), true)
	f.Fuzz(func(t *testing.T, pos int, b byte, insert bool) {
		if pos < 0 || pos >= len(good) {
			return
		}
		var mutated string
		if insert {
			mutated = good[:pos] + string(b) + good[pos:]
		} else {
			mutated = good[:pos] + string(b) + good[pos+1:]
		}
		got, err := Verify(mutated, fx.opts())
		if err != nil {
			if Code(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		gotJSON, _ := json.Marshal(got.Claims)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Fatalf("mutated presentation accepted with different claims:\n%s\n%s", gotJSON, wantJSON)
		}
	})
}

// FuzzParseJSON: ParseJSON never panics, its errors carry a code, and what
// it accepts re-serializes to an object that parses to the same token.
func FuzzParseJSON(f *testing.F) {
	for _, name := range []string{"sec8_2_json_flattened_issuance.json", "sec8_2_json_flattened_presentation_kb.json", "sec8_3_json_general_presentation_kb.json"} {
		var v struct {
			JWSJSON json.RawMessage `json:"jws_json"`
		}
		b, err := os.ReadFile(filepath.Join(rfcDir, name))
		if err != nil {
			f.Fatal(err)
		}
		if err := json.Unmarshal(b, &v); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(v.JWSJSON))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"payload":"e30","protected":"eyJhbGciOiJFUzI1NiJ9","signature":"AA"}`))
	f.Add([]byte(`{"payload":"e30","signatures":[{"protected":"eyJhbGciOiJFUzI1NiJ9","signature":"AA","header":{"kid":"a"}}]}`))
	f.Add([]byte(`{"payload":"e30","protected":"eyJhbGciOiJFUzI1NiJ9","signature":"AA","header":{"disclosures":["WyJhIiwiYiJd"],"kb_jwt":"a.b.c"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := Limits{MaxTokenLen: 1 << 14, MaxDisclosures: 16, MaxSignatures: 4}
		tok, err := ParseJSON(b, lim)
		if err != nil {
			if Code(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		if len(tok.Disclosures) > 16 || len(tok.MoreSignatures) > 3 {
			t.Fatalf("%d disclosures, %d signatures past the limits", len(tok.Disclosures), 1+len(tok.MoreSignatures))
		}
		out, err := tok.MarshalJSONSerialization(len(tok.MoreSignatures) > 0)
		if err != nil {
			t.Fatalf("accepted token does not serialize: %v", err)
		}
		back, err := ParseJSON(out, Limits{})
		if err != nil {
			t.Fatalf("re-serialized token does not parse: %v\n%s", err, out)
		}
		if back.String() != tok.String() || !reflect.DeepEqual(back.Unprotected, tok.Unprotected) || !reflect.DeepEqual(back.MoreSignatures, tok.MoreSignatures) {
			t.Fatalf("round trip changed the token:\n in: %s\nout: %s", b, out)
		}
	})
}
