package jwp_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/bbs"
	"github.com/cairn-id/cairn/internal/jwp"
)

func testKey(t testing.TB, seed string) *jwp.PrivateKey {
	t.Helper()
	return jwp.NewPrivateKey(mustSK(t, seed), "")
}

var testPayloads = [][]byte{[]byte("1714521600"), []byte(`"Doe"`), []byte(`"Jay"`), {}, []byte(`{"country":"SD"}`), []byte("true")}

const testAud, testNonce = "x509_hash:verifier.example", "n-0S6_WzA2Mj"

func issueTest(t testing.TB, key *jwp.PrivateKey) *jwp.Issued {
	t.Helper()
	j, err := jwp.Issue(key, jwp.IssuerHeader{Kid: key.Public.Kid, Typ: "jpt"}.Marshal(), testPayloads)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func presentTest(t testing.TB, key *jwp.PrivateKey, j *jwp.Issued, disclose []int) *jwp.Presented {
	t.Helper()
	p, err := jwp.Present(nil, &key.Public, j, jwp.PresentationHeader{Aud: testAud, Nonce: testNonce}.Marshal(), disclose)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	key := testKey(t, "a")
	j := issueTest(t, key)
	// The issued form survives its own serialization.
	j2, err := jwp.ParseIssued(j.Compact())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwp.Confirm(&key.Public, j2); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(j.Compact(), "~_~") {
		t.Fatal("zero-length payload not written as _")
	}
	for _, disclose := range [][]int{nil, {0}, {3}, {5, 1, 2}, {0, 1, 2, 3, 4, 5}} {
		p := presentTest(t, key, j2, disclose)
		s := p.Compact()
		p2, err := jwp.ParsePresented(s)
		if err != nil {
			t.Fatalf("%v: %v", disclose, err)
		}
		v, err := jwp.Verify(&key.Public, p2, jwp.VerifyOptions{Audience: testAud, Nonce: testNonce})
		if err != nil {
			t.Fatalf("%v: %v", disclose, err)
		}
		want := slices.Sorted(slices.Values(disclose))
		if !slices.Equal(v.Disclosed, want) && !(len(want) == 0 && len(v.Disclosed) == 0) {
			t.Fatalf("disclosed %v, want %v", v.Disclosed, want)
		}
		for i, pl := range p2.Payloads {
			if slices.Contains(want, i) != (pl != nil) {
				t.Fatalf("%v: slot %d disclosure wrong", disclose, i)
			}
			if pl != nil && !bytes.Equal(pl, testPayloads[i]) {
				t.Fatalf("slot %d = %q", i, pl)
			}
		}
		if v.PresentationHeader.Nonce != testNonce || v.IssuerHeader.Kid != key.Public.Kid {
			t.Fatal("headers not returned")
		}
	}
}

func TestVerifyNegative(t *testing.T) {
	key := testKey(t, "a")
	other := testKey(t, "b")
	j := issueTest(t, key)
	opts := jwp.VerifyOptions{Audience: testAud, Nonce: testNonce}
	dup := []byte(`{"alg":"BBS","kid":"` + key.Public.Kid + `","typ":"jpt","typ":"jpt"}`)
	crit := []byte(`{"alg":"BBS","kid":"` + key.Public.Kid + `","typ":"jpt","crit":["x"],"x":1}`)
	withHeader := func(h []byte) func(*jwp.Presented) {
		return func(p *jwp.Presented) { p.IssuerHeader = h }
	}
	cases := []struct {
		name   string
		mutate func(*jwp.Presented)
		pub    *jwp.PublicKey
		opts   jwp.VerifyOptions
		want   error
	}{
		{name: "valid", mutate: func(*jwp.Presented) {}},
		{name: "tampered payload", mutate: func(p *jwp.Presented) { p.Payloads[1] = []byte(`"Dof"`) }, want: jwp.ErrInvalidProof},
		{name: "swapped value", mutate: func(p *jwp.Presented) { p.Payloads[1] = slices.Clone(testPayloads[2]) }, want: jwp.ErrInvalidProof},
		{name: "reordered slots", mutate: func(p *jwp.Presented) { p.Payloads[1], p.Payloads[2] = p.Payloads[2], p.Payloads[1] }, want: jwp.ErrInvalidProof},
		{name: "disclosed moved to another slot", mutate: func(p *jwp.Presented) { p.Payloads[3], p.Payloads[4] = p.Payloads[1], nil; p.Payloads[1] = nil }, want: jwp.ErrInvalidProof},
		{name: "undisclosed slot revealed", mutate: func(p *jwp.Presented) { p.Payloads[4] = testPayloads[4] }, want: jwp.ErrInvalidProof},
		{name: "extra omitted slot", mutate: func(p *jwp.Presented) { p.Payloads = append(p.Payloads, nil) }, want: jwp.ErrInvalidProof},
		{name: "missing slot", mutate: func(p *jwp.Presented) { p.Payloads = p.Payloads[:len(p.Payloads)-1] }, want: jwp.ErrInvalidProof},
		{name: "other aud in ph", mutate: func(p *jwp.Presented) {
			p.PresentationHeader = jwp.PresentationHeader{Aud: "x509_hash:other.example", Nonce: testNonce}.Marshal()
		}, opts: jwp.VerifyOptions{Audience: "x509_hash:other.example", Nonce: testNonce}, want: jwp.ErrInvalidProof},
		{name: "other nonce in ph", mutate: func(p *jwp.Presented) {
			p.PresentationHeader = jwp.PresentationHeader{Aud: testAud, Nonce: "replayed"}.Marshal()
		}, opts: jwp.VerifyOptions{Audience: testAud, Nonce: "replayed"}, want: jwp.ErrInvalidProof},
		{name: "verifier expects other aud", mutate: func(*jwp.Presented) {}, opts: jwp.VerifyOptions{Audience: "x509_hash:other.example", Nonce: testNonce}, want: jwp.ErrAudience},
		{name: "verifier expects other nonce", mutate: func(*jwp.Presented) {}, opts: jwp.VerifyOptions{Audience: testAud, Nonce: "fresh"}, want: jwp.ErrNonce},
		{name: "no expectations", mutate: func(*jwp.Presented) {}, opts: jwp.VerifyOptions{Audience: testAud}, want: jwp.ErrHeader},
		{name: "wrong key", mutate: func(*jwp.Presented) {}, pub: &other.Public, want: jwp.ErrInvalidProof},
		{name: "duplicate issuer header member", mutate: withHeader(dup), want: jwp.ErrHeader},
		{name: "unknown crit", mutate: withHeader(crit), want: jwp.ErrCrit},
		{name: "issuer header re-encoded", mutate: withHeader([]byte(`{"kid":"` + key.Public.Kid + `","alg":"BBS","typ":"jpt"}`)), want: jwp.ErrInvalidProof},
		{name: "issuer alg mismatch", mutate: withHeader([]byte(`{"alg":"SU-ES256","kid":"k"}`)), want: jwp.ErrAlgMismatch},
		{name: "issuer header without alg", mutate: withHeader([]byte(`{"kid":"k"}`)), want: jwp.ErrHeader},
		{name: "presentation alg mismatch", mutate: func(p *jwp.Presented) {
			p.PresentationHeader = []byte(`{"alg":"MAC-H256","aud":"` + testAud + `","nonce":"` + testNonce + `"}`)
		}, want: jwp.ErrAlgMismatch},
		{name: "presentation header duplicate nonce", mutate: func(p *jwp.Presented) {
			p.PresentationHeader = []byte(`{"alg":"BBS","aud":"` + testAud + `","nonce":"x","nonce":"` + testNonce + `"}`)
		}, want: jwp.ErrHeader},
		{name: "holder key in presentation header", mutate: func(p *jwp.Presented) {
			p.PresentationHeader = []byte(`{"aud":"` + testAud + `","nonce":"` + testNonce + `","hpk":{}}`)
		}, want: jwp.ErrHeader},
		{name: "two proof values", mutate: func(p *jwp.Presented) { p.Proof = append(p.Proof, []byte{1}) }, want: jwp.ErrMalformed},
		{name: "truncated proof", mutate: func(p *jwp.Presented) { p.Proof[0] = p.Proof[0][:len(p.Proof[0])-1] }, want: jwp.ErrMalformed},
		{name: "flipped proof byte", mutate: func(p *jwp.Presented) { p.Proof[0][len(p.Proof[0])-5] ^= 1 }, want: jwp.ErrInvalidProof},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := presentTest(t, key, j, []int{1, 2, 3})
			tc.mutate(p)
			pub, o := tc.pub, tc.opts
			if pub == nil {
				pub = &key.Public
			}
			if o == (jwp.VerifyOptions{}) {
				o = opts
			}
			// Through the wire form, as a verifier receives it.
			p2, err := jwp.ParsePresented(p.Compact())
			if err == nil {
				_, err = jwp.Verify(pub, p2, o)
			}
			if tc.want == nil {
				if err != nil {
					t.Fatalf("valid presentation refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestIssueConfirmNegative(t *testing.T) {
	key := testKey(t, "a")
	misbound := jwp.NewPrivateKey(mustSK(t, "c"), "k")
	misbound.Public.ProofAlg = "SU-ES256"
	cases := []struct {
		name   string
		header string
		key    *jwp.PrivateKey
		want   error
	}{
		{"duplicate member", `{"alg":"BBS","alg":"BBS"}`, key, jwp.ErrHeader},
		{"unknown crit", `{"alg":"BBS","crit":["exp"],"exp":1}`, key, jwp.ErrCrit},
		{"crit naming an absent member", `{"alg":"BBS","crit":["exp"]}`, key, jwp.ErrCrit},
		{"empty crit", `{"alg":"BBS","crit":[]}`, key, jwp.ErrCrit},
		{"alg mismatch", `{"alg":"SU-ES256"}`, key, jwp.ErrAlgMismatch},
		{"key proof_alg mismatch", `{"alg":"BBS"}`, misbound, jwp.ErrAlgMismatch},
		{"unsupported alg on both", `{"alg":"SU-ES256"}`, misbound, jwp.ErrUnsupportedAlg},
		{"not an object", `["alg","BBS"]`, key, jwp.ErrHeader},
		{"alg not a string", `{"alg":1}`, key, jwp.ErrHeader},
		{"aud not strings", `{"alg":"BBS","aud":[1]}`, key, jwp.ErrHeader},
		{"issuer ephemeral key", `{"alg":"BBS","iek":{}}`, key, jwp.ErrHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := jwp.Issue(tc.key, []byte(tc.header), testPayloads); !errors.Is(err, tc.want) {
				t.Fatalf("Issue: %v, want %v", err, tc.want)
			}
			// A token carrying that header is refused by Confirm too.
			j := issueTest(t, key)
			j.Header = []byte(tc.header)
			if _, err := jwp.Confirm(&tc.key.Public, j); !errors.Is(err, tc.want) {
				t.Fatalf("Confirm: %v, want %v", err, tc.want)
			}
		})
	}
	j := issueTest(t, key)
	j.Payloads[2] = []byte(`"Jax"`)
	if _, err := jwp.Confirm(&key.Public, j); !errors.Is(err, jwp.ErrInvalidProof) {
		t.Fatalf("tampered issued payload: %v", err)
	}
	if _, err := jwp.Present(nil, &key.Public, j, jwp.PresentationHeader{Nonce: "n"}.Marshal(), nil); !errors.Is(err, jwp.ErrInvalidProof) {
		t.Fatalf("Present from a tampered JWP: %v", err)
	}
	j = issueTest(t, key)
	for _, d := range [][]int{{-1}, {6}, {1, 1}} {
		if _, err := jwp.Present(nil, &key.Public, j, jwp.PresentationHeader{Nonce: "n"}.Marshal(), d); !errors.Is(err, jwp.ErrDisclosure) {
			t.Fatalf("disclose %v: %v", d, err)
		}
	}
	if _, err := jwp.Present(nil, &key.Public, j, []byte(`{"alg":"BBS"}`), nil); !errors.Is(err, jwp.ErrHeader) {
		t.Fatalf("presentation header without aud or nonce: %v", err)
	}
	if _, err := jwp.Issue(key, []byte(`{"alg":"BBS"}`), [][]byte{[]byte("a"), nil}); !errors.Is(err, jwp.ErrMalformed) {
		t.Fatalf("nil payload: %v", err)
	}
}

func mustSK(t testing.TB, seed string) *bbs.SecretKey {
	t.Helper()
	sk, err := bbs.SHA256().KeyGen([]byte("cairn jwp test key material: "+seed+strings.Repeat(".", 32)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}
