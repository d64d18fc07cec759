package statuslist

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// TokenType is the JWT typ of a Status List Token (§5.1).
const TokenType = "statuslist+jwt"

// maxTTL bounds the ttl claim accepted and produced (ten years): larger
// values are nonsense and would overflow time.Duration arithmetic.
const maxTTL = 10 * 365 * 24 * time.Hour

// TokenOptions are the claims of a Status List Token besides the list.
type TokenOptions struct {
	// Subject is the URI the token is served at (sub, REQUIRED); it must
	// equal the uri in every Referenced Token that points to this list.
	Subject string
	// Issuer is the optional iss claim.
	Issuer string
	// IssuedAt is the iat claim (REQUIRED).
	IssuedAt time.Time
	// ExpiresIn, when positive, sets exp = IssuedAt + ExpiresIn.
	ExpiresIn time.Duration
	// TTL, when positive, sets the ttl claim (whole seconds, at least 1s):
	// how long a relying party may cache the token.
	TTL time.Duration
	// AggregationURI is the optional status_list.aggregation_uri (§9).
	AggregationURI string
	// X5C, when set, is the signer's certificate chain (DER, leaf first,
	// without the trust anchor) for the x5c header: HAIP 1.0 §6.1 has
	// Status List Tokens verified by X.509 like the credentials.
	X5C [][]byte
}

// MaxTokenLen is the largest Status List Token VerifyToken accepts: a
// 2^20-entry 8-bit list of incompressible statuses still fits.
const MaxTokenLen = 2 << 20

// SignToken signs l as a Status List Token in JWT form (§5.1). It fails
// with ErrTooLarge when the result would exceed MaxTokenLen, the largest
// token VerifyToken accepts.
func (l *List) SignToken(s *jose.Signer, o TokenOptions) (string, error) {
	if s == nil {
		return "", fmt.Errorf("statuslist: nil signer")
	}
	if o.Subject == "" {
		return "", fmt.Errorf("statuslist: token needs a subject (the list's URI)")
	}
	if o.IssuedAt.IsZero() {
		return "", fmt.Errorf("statuslist: token needs an issued-at time")
	}
	if o.ExpiresIn < 0 || o.TTL < 0 || o.TTL > maxTTL {
		return "", fmt.Errorf("statuslist: ExpiresIn and TTL must be non-negative (TTL at most %v)", maxTTL)
	}
	lst, err := l.Encode()
	if err != nil {
		return "", err
	}
	sl := map[string]any{"bits": int(l.bits), "lst": lst}
	if o.AggregationURI != "" {
		sl["aggregation_uri"] = o.AggregationURI
	}
	claims := map[string]any{
		"sub":         o.Subject,
		"iat":         o.IssuedAt.Unix(),
		"status_list": sl,
	}
	if o.Issuer != "" {
		claims["iss"] = o.Issuer
	}
	if o.ExpiresIn > 0 {
		claims["exp"] = o.IssuedAt.Add(o.ExpiresIn).Unix()
	}
	if o.TTL > 0 {
		secs := int64(o.TTL / time.Second)
		if secs == 0 {
			return "", fmt.Errorf("statuslist: TTL must be at least one second")
		}
		claims["ttl"] = secs
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("statuslist: encode claims: %w", err)
	}
	header := map[string]any{"typ": TokenType}
	if len(o.X5C) > 0 {
		header["x5c"] = jose.X5C(o.X5C)
	}
	compact, err := s.Sign(header, payload)
	if err != nil {
		return "", fmt.Errorf("statuslist: sign: %w", err)
	}
	if len(compact) > MaxTokenLen {
		return "", fmt.Errorf("%w: token has %d bytes, verifiers accept %d", ErrTooLarge, len(compact), MaxTokenLen)
	}
	return compact, nil
}

// VerifyOptions say how to check a Status List Token.
type VerifyOptions struct {
	// Key is the Status Issuer's public key (REQUIRED). Finding it (from
	// the Referenced Token's issuer, x5c, a trust registry…) is the
	// caller's job.
	Key crypto.PublicKey
	// Algs is the algorithm allow-list; empty means jose.DefaultAlgs.
	Algs []jose.Alg
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ExpectedSubject, when set, must equal sub exactly: it is the uri
	// from the Referenced Token (§8.3 step 3).
	ExpectedSubject string
	// MaxDecompressed caps the decompressed list in bytes (see Decode).
	MaxDecompressed int
	// ClockSkew is tolerated on exp, nbf and iat.
	ClockSkew time.Duration
}

// Token is a verified Status List Token.
type Token struct {
	Subject        string
	Issuer         string
	IssuedAt       time.Time
	ExpiresAt      time.Time // zero when the token has no exp
	TTL            time.Duration
	AggregationURI string
	List           *List
}

// VerifyToken verifies a Status List Token in JWT form (§5.1, §8.3): typ
// statuslist+jwt (the "application/" prefix is tolerated as RFC 7515
// §4.1.9 allows), the signature with o.Key, the required sub, iat and
// status_list claims, exp/nbf against the clock, sub against
// o.ExpectedSubject, and finally the list itself, decoded under
// o.MaxDecompressed.
func VerifyToken(compact string, o VerifyOptions) (*Token, error) {
	if o.Key == nil {
		return nil, fmt.Errorf("%w: no verification key", ErrInvalidToken)
	}
	j, err := jose.ParseLimited(compact, MaxTokenLen)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	typ := strings.ToLower(j.Header.Typ)
	if typ != TokenType && typ != "application/"+TokenType {
		return nil, fmt.Errorf("%w: %w: got %q, want %q", ErrInvalidToken, jose.ErrWrongType, j.Header.Typ, TokenType)
	}
	if err := j.Verify(o.Key, o.Algs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	c, err := parseClaims(j.Payload)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	t := now()
	if !c.exp.IsZero() && !t.Before(c.exp.Add(o.ClockSkew)) {
		return nil, fmt.Errorf("%w: exp %s, now %s", ErrExpired, c.exp.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	}
	if !c.nbf.IsZero() && t.Add(o.ClockSkew).Before(c.nbf) {
		return nil, fmt.Errorf("%w: not valid before %s", ErrInvalidToken, c.nbf.UTC().Format(time.RFC3339))
	}
	if t.Add(o.ClockSkew).Before(c.iat) {
		return nil, fmt.Errorf("%w: issued in the future (%s)", ErrInvalidToken, c.iat.UTC().Format(time.RFC3339))
	}
	if o.ExpectedSubject != "" && c.sub != o.ExpectedSubject {
		return nil, fmt.Errorf("%w: got %q, want %q", ErrSubjectMismatch, c.sub, o.ExpectedSubject)
	}
	list, err := Decode(c.bits, c.lst, o.MaxDecompressed)
	if err != nil {
		return nil, fmt.Errorf("%w: status_list: %w", ErrInvalidToken, err)
	}
	return &Token{
		Subject:        c.sub,
		Issuer:         c.iss,
		IssuedAt:       c.iat,
		ExpiresAt:      c.exp,
		TTL:            c.ttl,
		AggregationURI: c.aggregationURI,
		List:           list,
	}, nil
}

type tokenClaims struct {
	sub, iss, lst, aggregationURI string
	iat, exp, nbf                 time.Time
	ttl                           time.Duration
	bits                          Bits
}

func claimErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, fmt.Sprintf(format, args...))
}

// parseClaims reads the §5.1 claims strictly: wrong JSON types are errors,
// not silently ignored.
func parseClaims(payload []byte) (*tokenClaims, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil || raw == nil {
		return nil, claimErr("payload is not a JSON object")
	}
	c := &tokenClaims{}
	var ok bool
	var err error
	if c.sub, ok, err = stringClaim(raw, "sub"); err != nil || !ok || c.sub == "" {
		return nil, claimErr("sub must be a non-empty string")
	}
	if c.iss, _, err = stringClaim(raw, "iss"); err != nil {
		return nil, claimErr("iss must be a string")
	}
	if c.iat, ok, err = dateClaim(raw, "iat"); err != nil || !ok {
		return nil, claimErr("iat must be a NumericDate")
	}
	if c.exp, _, err = dateClaim(raw, "exp"); err != nil {
		return nil, claimErr("exp must be a NumericDate")
	}
	if c.nbf, _, err = dateClaim(raw, "nbf"); err != nil {
		return nil, claimErr("nbf must be a NumericDate")
	}
	if v, ok := raw["ttl"]; ok {
		secs, err := number(v)
		if err != nil || secs <= 0 || secs > maxTTL.Seconds() {
			return nil, claimErr("ttl must be a positive number of seconds, at most %v", maxTTL)
		}
		c.ttl = time.Duration(secs * float64(time.Second))
	}
	slRaw, ok := raw["status_list"]
	if !ok {
		return nil, claimErr("status_list claim missing")
	}
	var sl map[string]json.RawMessage
	if err := json.Unmarshal(slRaw, &sl); err != nil || sl == nil {
		return nil, claimErr("status_list must be an object")
	}
	bitsRaw, ok := sl["bits"]
	if !ok {
		return nil, claimErr("status_list.bits missing")
	}
	bits, err := number(bitsRaw)
	if err != nil || !Bits(int(bits)).Valid() || bits != math.Trunc(bits) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrInvalidBits)
	}
	c.bits = Bits(int(bits))
	if c.lst, ok, err = stringClaim(sl, "lst"); err != nil || !ok {
		return nil, claimErr("status_list.lst must be a string")
	}
	if c.aggregationURI, _, err = stringClaim(sl, "aggregation_uri"); err != nil {
		return nil, claimErr("status_list.aggregation_uri must be a string")
	}
	return c, nil
}

func stringClaim(raw map[string]json.RawMessage, name string) (string, bool, error) {
	v, ok := raw[name]
	if !ok {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", true, err
	}
	return s, true, nil
}

var errNotNumber = errors.New("not a finite JSON number")

func number(v json.RawMessage) (float64, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		return 0, errNotNumber
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errNotNumber
	}
	return f, nil
}

// dateClaim reads a NumericDate (RFC 7519 §2): seconds since the epoch,
// possibly fractional, bounded to years 1970..9999 so time arithmetic
// cannot overflow.
func dateClaim(raw map[string]json.RawMessage, name string) (time.Time, bool, error) {
	v, ok := raw[name]
	if !ok {
		return time.Time{}, false, nil
	}
	f, err := number(v)
	if err != nil || f < 0 || f > 253402300799 {
		return time.Time{}, true, errNotNumber
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}
