package oid4vp

import (
	"context"
	"crypto/ecdh"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

func addDCQLSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/dcql/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"credentials":[{"id":"d","format":"dc+sd-jwt","meta":{"vct_values":["urn:degree"]},"claims":[{"id":"x","path":["degrees",null,"year"],"values":[2012,true,"a"]}],"claim_sets":[["x"]]}],"credential_sets":[{"options":[["d"]],"required":false}]}`))
}

// FuzzParseQuery: never panics; an accepted query validates, and its JSON
// parses again to the same query.
func FuzzParseQuery(f *testing.F) {
	addDCQLSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := ParseQuery(b)
		if err != nil {
			return
		}
		if err := q.Validate(); err != nil {
			t.Fatalf("accepted an invalid query: %v", err)
		}
		out, err := q.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		q2, err := ParseQuery(out)
		if err != nil {
			t.Fatalf("own output %s refused: %v", out, err)
		}
		out2, _ := q2.Marshal()
		if string(out) != string(out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}

// FuzzEvaluate: for any accepted query over a fixed wallet, evaluation
// never panics; every disclosed path is concrete and selects exactly the
// value reported; and a satisfiable result, presented with the matched
// credentials, passes the verifier's CheckResponse.
func FuzzEvaluate(f *testing.F) {
	addDCQLSeeds(f)
	p := pid(f)
	deg := issue(f, "urn:degree", map[string]any{
		"degrees": []any{map[string]any{"type": "BSc", "year": 2010}, map[string]any{"type": "MSc", "year": 2012}},
		"active":  true, "n": nil,
	}, true, "/degrees/*", "/degrees/*/type")
	unbound := issue(f, identityVCT, map[string]any{"family_name": "Roe"}, false)
	creds := []Credential{p, deg, unbound}
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := ParseQuery(b)
		if err != nil {
			return
		}
		r := Evaluate(q, creds)
		if len(r.Queries) != len(q.Credentials) {
			t.Fatalf("%d results for %d queries", len(r.Queries), len(q.Credentials))
		}
		for _, qr := range r.Queries {
			for _, m := range qr.Matches {
				for _, c := range m.Claims {
					if !c.Path.Concrete() {
						t.Fatalf("non-concrete path %s", c.Path)
					}
					sel, err := c.Path.Select(creds[m.Index].Claims())
					if err != nil || len(sel) != 1 || !reflect.DeepEqual(sel[0].Value, c.Value) {
						t.Fatalf("path %s: %v %v", c.Path, sel, err)
					}
				}
			}
		}
		if !r.Satisfiable {
			if len(r.Missing) == 0 || r.Answer != nil {
				t.Fatalf("unsatisfiable without reasons: %+v", r)
			}
			return
		}
		presented := map[string][]Credential{}
		for _, id := range r.Answer {
			m := r.Query(id).Matches[0]
			presented[id] = []Credential{creds[m.Index]}
		}
		if _, err := CheckResponse(q, presented); err != nil {
			t.Fatalf("the wallet's own answer is refused: %v", err)
		}
	})
}

// FuzzParseRequestURI: never panics; an accepted by-reference URI
// survives BuildRequestURI and a second parse.
func FuzzParseRequestURI(f *testing.F) {
	cid := "decentralized_identifier:did:web:verifier.example"
	s, _ := BuildRequestURI(cid, "https://verifier.example/r/1", RequestURIMethodPost)
	f.Add(s)
	f.Add("openid4vp://?client_id=" + url.QueryEscape(cid) + "&request=a.b.c")
	f.Add("openid4vp://?client_id=redirect_uri%3Ahttp%3A%2F%2Flocalhost%2Fr&response_type=vp_token&response_mode=direct_post&response_uri=http%3A%2F%2Flocalhost%2Fr&nonce=n&dcql_query=%7B%7D")
	f.Add("OPENID4VP:?client_id=x&request_uri=https://a")
	f.Fuzz(func(t *testing.T, s string) {
		for _, o := range []Options{{}, {Dev: true}} {
			ru, err := ParseRequestURI(s, o)
			if err != nil {
				continue
			}
			n := 0
			for _, set := range []bool{ru.RequestURI != "", ru.Request != "", ru.Params != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("accepted %q as %+v", s, ru)
			}
			if ru.RequestURI == "" {
				continue
			}
			again, err := BuildRequestURI(ru.ClientID, ru.RequestURI, ru.RequestURIMethod)
			if err != nil {
				t.Fatalf("cannot rebuild %+v: %v", ru, err)
			}
			ru2, err := ParseRequestURI(again, o)
			if err != nil || !reflect.DeepEqual(ru, ru2) {
				t.Fatalf("rebuilt %q: %+v %v", again, ru2, err)
			}
		}
	})
}

// FuzzVerifyRequestObject: any payload, correctly signed by the client's
// key, and any token string never panic; what is accepted is valid.
func FuzzVerifyRequestObject(f *testing.F) {
	v := newVerifier(f, ResponseModeDirectPostJWT)
	tok := v.sign(f, nil, nil)
	j, _ := jose.Parse(tok)
	f.Add(j.Payload, tok)
	f.Add([]byte(`{"client_id":"`+v.clientID+`","response_type":"vp_token"}`), "a.b.c")
	o := v.opts()
	f.Fuzz(func(t *testing.T, payload []byte, raw string) {
		signed, err := v.signer.Sign(map[string]any{"typ": RequestObjectTyp}, payload)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []string{signed, raw} {
			req, err := VerifyRequestObject(context.Background(), in, o)
			if err != nil {
				continue
			}
			if err := req.Validate(Options{}); err != nil || req.ClientID != v.clientID {
				t.Fatalf("accepted invalid request: %v", err)
			}
		}
	})
}

// FuzzParseVPToken: never panics; what is accepted marshals and parses
// back to the same value.
func FuzzParseVPToken(f *testing.F) {
	f.Add([]byte(`{"pid":["a~b~c"],"x":["y"]}`))
	f.Add([]byte(`{"pid":[{"a":1}]}`))
	f.Add([]byte(`{"pid":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseVPToken(b)
		if err != nil {
			return
		}
		out, err := v.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		v2, err := ParseVPToken(out)
		if err != nil || !reflect.DeepEqual(v, v2) {
			t.Fatalf("%s: %v %v", out, v2, err)
		}
	})
}

// FuzzParseResponse: any body never panics in either mode; an accepted
// response has exactly one of vp_token and error.
func FuzzParseResponse(f *testing.F) {
	scalar := make([]byte, 32)
	scalar[31] = 9
	key, err := ecdh.P256().NewPrivateKey(scalar)
	if err != nil {
		f.Fatal(err)
	}
	jwe, _ := jose.EncryptECDHES([]byte(`{"vp_token":{"q":["a~"]},"state":"s"}`), key.PublicKey(), jose.EncryptOptions{})
	f.Add("response=" + jwe)
	f.Add("vp_token=%7B%22q%22%3A%5B%22a%22%5D%7D&state=s")
	f.Add("error=access_denied&state=s")
	f.Fuzz(func(t *testing.T, body string) {
		for _, mode := range []string{ResponseModeDirectPost, ResponseModeDirectPostJWT} {
			r, err := ParseResponse([]byte(body), ResponseOptions{Mode: mode, Key: key})
			if err != nil {
				continue
			}
			if (r.Error == "") == (len(r.VPToken) == 0) {
				t.Fatalf("accepted %+v", r)
			}
			if r.Encrypted && mode != ResponseModeDirectPostJWT {
				t.Fatal("decrypted in direct_post mode")
			}
		}
	})
}
