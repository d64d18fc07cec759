package statuslist

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

const testURI = "https://issuer.example/statuslists/7"

var testIAT = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestSignVerifyRoundTrip(t *testing.T) {
	s, k := newTestSigner(t)
	l, _ := New(2, 1000)
	l.Set(3, StatusSuspended)
	l.Set(999, StatusInvalid)
	tok, err := l.SignToken(s.WithKeyID("k1"), TokenOptions{
		Subject: testURI, Issuer: "https://issuer.example", IssuedAt: testIAT,
		ExpiresIn: 24 * time.Hour, TTL: 12 * time.Hour, AggregationURI: "https://issuer.example/agg",
	})
	if err != nil {
		t.Fatal(err)
	}
	j, err := jose.Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	if j.Header.Typ != TokenType || j.Header.Kid != "k1" {
		t.Errorf("header typ %q kid %q", j.Header.Typ, j.Header.Kid)
	}
	var claims map[string]any
	json.Unmarshal(j.Payload, &claims)
	if claims["ttl"] != float64(43200) || claims["exp"] != float64(testIAT.Add(24*time.Hour).Unix()) {
		t.Errorf("claims %v", claims)
	}
	got, err := VerifyToken(tok, VerifyOptions{Key: &k.PublicKey, Now: func() time.Time { return testIAT.Add(time.Hour) }, ExpectedSubject: testURI})
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != testURI || got.Issuer != "https://issuer.example" || !got.IssuedAt.Equal(testIAT) ||
		!got.ExpiresAt.Equal(testIAT.Add(24*time.Hour)) || got.TTL != 12*time.Hour || got.AggregationURI != "https://issuer.example/agg" {
		t.Errorf("token %+v", got)
	}
	if got.List.Bits() != 2 || got.List.Len() != 1000 {
		t.Errorf("list bits %d len %d", got.List.Bits(), got.List.Len())
	}
	for idx, want := range map[int]uint8{0: StatusValid, 3: StatusSuspended, 999: StatusInvalid} {
		if s, _ := got.List.Get(idx); s != want {
			t.Errorf("entry %d = %d, want %d", idx, s, want)
		}
	}
	// Without exp the token never expires.
	tok2, err := l.SignToken(s, TokenOptions{Subject: testURI, IssuedAt: testIAT})
	if err != nil {
		t.Fatal(err)
	}
	got, err = VerifyToken(tok2, VerifyOptions{Key: &k.PublicKey, Now: func() time.Time { return testIAT.AddDate(50, 0, 0) }})
	if err != nil || !got.ExpiresAt.IsZero() || got.TTL != 0 || got.Issuer != "" {
		t.Fatalf("no-exp token: %v %+v", err, got)
	}
}

func TestSignTokenErrors(t *testing.T) {
	s, _ := newTestSigner(t)
	l, _ := New(1, 16)
	tests := []struct {
		name string
		o    TokenOptions
	}{
		{"no_subject", TokenOptions{IssuedAt: testIAT}},
		{"no_iat", TokenOptions{Subject: testURI}},
		{"negative_exp", TokenOptions{Subject: testURI, IssuedAt: testIAT, ExpiresIn: -time.Second}},
		{"sub_second_ttl", TokenOptions{Subject: testURI, IssuedAt: testIAT, TTL: time.Millisecond}},
	}
	for _, tc := range tests {
		if _, err := l.SignToken(s, tc.o); err == nil {
			t.Errorf("%s: signed", tc.name)
		}
	}
	if _, err := l.SignToken(nil, TokenOptions{Subject: testURI, IssuedAt: testIAT}); err == nil {
		t.Error("nil signer: signed")
	}
	// An 8-bit list of incompressible content cannot fit a token.
	big, _ := New(8, 2_000_000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range big.Len() {
		big.Set(i, uint8(rng.Uint32()))
	}
	if _, err := big.SignToken(s, TokenOptions{Subject: testURI, IssuedAt: testIAT}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize token: %v", err)
	}
}

// signClaims signs arbitrary claims, to build tokens SignToken would refuse.
func signClaims(t *testing.T, s *jose.Signer, typ string, claims map[string]any) string {
	t.Helper()
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]any{}
	if typ != "" {
		h["typ"] = typ
	}
	tok, err := s.Sign(h, p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyTokenErrors(t *testing.T) {
	s, k := newTestSigner(t)
	other, _ := newTestSigner(t)
	l, _ := New(1, 16)
	lst, _ := l.Encode()
	now := func() time.Time { return testIAT.Add(time.Minute) }
	base := func() map[string]any {
		return map[string]any{"sub": testURI, "iat": testIAT.Unix(), "exp": testIAT.Add(time.Hour).Unix(),
			"status_list": map[string]any{"bits": 1, "lst": lst}}
	}
	with := func(key string, v any) map[string]any {
		c := base()
		if v == nil {
			delete(c, key)
		} else {
			c[key] = v
		}
		return c
	}
	good := signClaims(t, s, TokenType, base())
	opts := VerifyOptions{Key: &k.PublicKey, Now: now, ExpectedSubject: testURI}
	if _, err := VerifyToken(good, opts); err != nil {
		t.Fatalf("baseline token: %v", err)
	}
	if _, err := VerifyToken(signClaims(t, s, "application/statuslist+JWT", base()), opts); err != nil {
		t.Errorf("application/ prefixed typ: %v", err)
	}
	edPub, _, _ := ed25519.GenerateKey(nil)

	tests := []struct {
		name  string
		tok   string
		opts  func(*VerifyOptions)
		want  error
		want2 error
	}{
		{"wrong_typ", signClaims(t, s, "JWT", base()), nil, ErrInvalidToken, jose.ErrWrongType},
		{"no_typ", signClaims(t, s, "", base()), nil, ErrInvalidToken, jose.ErrWrongType},
		{"bad_signature", signClaims(t, other, TokenType, base()), nil, ErrInvalidToken, jose.ErrBadSignature},
		{"alg_not_allowed", good, func(o *VerifyOptions) { o.Algs = []jose.Alg{jose.EdDSA} }, ErrInvalidToken, jose.ErrAlgNotAllowed},
		{"key_of_other_type", good, func(o *VerifyOptions) { o.Key = edPub }, ErrInvalidToken, jose.ErrAlgKeyMismatch},
		{"no_key", good, func(o *VerifyOptions) { o.Key = nil }, ErrInvalidToken, nil},
		{"not_a_jws", "a.b", nil, ErrInvalidToken, jose.ErrMalformed},
		{"wrong_sub", good, func(o *VerifyOptions) { o.ExpectedSubject = testURI + "x" }, ErrSubjectMismatch, nil},
		{"expired", good, func(o *VerifyOptions) { o.Now = func() time.Time { return testIAT.Add(2 * time.Hour) } }, ErrExpired, nil},
		{"expired_at_exp", good, func(o *VerifyOptions) { o.Now = func() time.Time { return testIAT.Add(time.Hour) } }, ErrExpired, nil},
		{"issued_in_future", good, func(o *VerifyOptions) { o.Now = func() time.Time { return testIAT.Add(-time.Hour) } }, ErrInvalidToken, nil},
		{"nbf_in_future", signClaims(t, s, TokenType, with("nbf", testIAT.Add(30*time.Minute).Unix())), nil, ErrInvalidToken, nil},
		{"no_sub", signClaims(t, s, TokenType, with("sub", nil)), nil, ErrInvalidToken, nil},
		{"empty_sub", signClaims(t, s, TokenType, with("sub", "")), nil, ErrInvalidToken, nil},
		{"sub_not_string", signClaims(t, s, TokenType, with("sub", 7)), nil, ErrInvalidToken, nil},
		{"no_iat", signClaims(t, s, TokenType, with("iat", nil)), nil, ErrInvalidToken, nil},
		{"iat_string", signClaims(t, s, TokenType, with("iat", "1686920170")), nil, ErrInvalidToken, nil},
		{"exp_negative", signClaims(t, s, TokenType, with("exp", -5)), nil, ErrInvalidToken, nil},
		{"ttl_zero", signClaims(t, s, TokenType, with("ttl", 0)), nil, ErrInvalidToken, nil},
		{"ttl_negative", signClaims(t, s, TokenType, with("ttl", -1)), nil, ErrInvalidToken, nil},
		{"ttl_huge", signClaims(t, s, TokenType, with("ttl", 1e300)), nil, ErrInvalidToken, nil},
		{"iss_not_string", signClaims(t, s, TokenType, with("iss", true)), nil, ErrInvalidToken, nil},
		{"no_status_list", signClaims(t, s, TokenType, with("status_list", nil)), nil, ErrInvalidToken, nil},
		{"status_list_array", signClaims(t, s, TokenType, with("status_list", []any{1})), nil, ErrInvalidToken, nil},
		{"bits_3", signClaims(t, s, TokenType, with("status_list", map[string]any{"bits": 3, "lst": lst})), nil, ErrInvalidToken, ErrInvalidBits},
		{"bits_1_5", signClaims(t, s, TokenType, with("status_list", map[string]any{"bits": 1.5, "lst": lst})), nil, ErrInvalidToken, ErrInvalidBits},
		{"bits_string", signClaims(t, s, TokenType, with("status_list", map[string]any{"bits": "1", "lst": lst})), nil, ErrInvalidToken, ErrInvalidBits},
		{"no_lst", signClaims(t, s, TokenType, with("status_list", map[string]any{"bits": 1})), nil, ErrInvalidToken, nil},
		{"padded_lst", signClaims(t, s, TokenType, with("status_list", map[string]any{"bits": 1, "lst": "eNrbuRgAAhcBXQ=="})), nil, ErrInvalidToken, ErrMalformed},
		{"lst_over_cap", good, func(o *VerifyOptions) { o.MaxDecompressed = 1 }, ErrInvalidToken, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := opts
			if tc.opts != nil {
				tc.opts(&o)
			}
			got, err := VerifyToken(tc.tok, o)
			if !errors.Is(err, tc.want) || (tc.want2 != nil && !errors.Is(err, tc.want2)) {
				t.Fatalf("got %v (token %+v), want %v / %v", err, got, tc.want, tc.want2)
			}
		})
	}
}
