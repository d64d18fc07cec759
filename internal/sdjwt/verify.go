package sdjwt

import (
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jsonx"
)

// Defaults for VerifyOptions.
const (
	DefaultKBMaxAge  = 5 * time.Minute
	DefaultClockSkew = time.Minute
)

// KBTyp is the required typ of a Key Binding JWT (§4.3).
const KBTyp = "kb+jwt"

// Verify runs the verifier's algorithm of RFC 9901 §7.1 and §7.3 on a
// compact SD-JWT or SD-JWT+KB: issuer signature (typ, algorithm allow-list,
// key fit), _sd_alg, digest and disclosure bookkeeping, claim processing,
// exp/nbf/iat, and key binding when opts.RequireKeyBinding is set. Every
// error wraps one of the package's sentinels.
func Verify(serialized string, opts VerifyOptions) (*Verified, error) {
	if err := checkVerifyOptions(opts); err != nil {
		return nil, err
	}
	lim := opts.Limits.withDefaults()
	t, jws, kbJWS, err := parse(serialized, lim)
	if err != nil {
		return nil, err
	}
	if err := keyBindingPolicy(t, opts); err != nil {
		return nil, err
	}
	// With key binding, the SHA-256 state after the issuer JWT's signing
	// input is kept: sd_hash covers a text that begins with it.
	h, err := verifyIssuerSignature(jws, t.Header, t.Payload, opts, opts.RequireKeyBinding)
	if err != nil {
		return nil, err
	}
	withoutKB := serialized[:len(serialized)-len(t.KBJWT)]
	prefix := sdHashPrefix{h: h, n: len(jws.SigningInput())}
	if !strings.HasPrefix(withoutKB, jws.SigningInput()) {
		prefix = sdHashPrefix{}
	}
	return verifyDisclosed(t, t.Header, kbJWS, withoutKB, prefix, opts, lim)
}

func checkVerifyOptions(opts VerifyOptions) error {
	if opts.IssuerKey == nil || opts.Now == nil {
		return errors.New("sdjwt: VerifyOptions needs IssuerKey and Now")
	}
	if opts.RequireKeyBinding && (opts.Nonce == "" || opts.Audience == "") {
		// An empty expected nonce would accept a KB-JWT with an empty
		// nonce: replay protection must never be switched off by omission.
		return errors.New("sdjwt: key binding needs a non-empty expected Nonce and Audience")
	}
	return nil
}

// keyBindingPolicy runs first: it needs no crypto and tells the caller
// exactly what is wrong with the presentation's shape.
func keyBindingPolicy(t *SDJWT, opts VerifyOptions) error {
	if opts.RequireKeyBinding && t.KBJWT == "" {
		return ErrKeyBindingRequired
	}
	if !opts.RequireKeyBinding && t.KBJWT != "" {
		return ErrKeyBindingUnexpected
	}
	return nil
}

// verifyIssuerSignature is §7.1 step 2 for one issuer JWS: typ, the key
// IssuerKey chooses from keyHeader, the algorithm allow-list and the
// signature. With keepSHA256 it returns, for an ES256 JWS, the SHA-256
// state after the signing input (see jose.JWS.VerifySHA256).
func verifyIssuerSignature(jws *jose.JWS, keyHeader jose.Header, payload map[string]any, opts VerifyOptions, keepSHA256 bool) (hash.Hash, error) {
	if opts.IssuerTyp != "" && !strings.EqualFold(jws.Header.Typ, opts.IssuerTyp) {
		return nil, fmt.Errorf("%w: issuer JWT typ %q, want %q", ErrType, jws.Header.Typ, opts.IssuerTyp)
	}
	pub, err := opts.IssuerKey(keyHeader, payload)
	if err != nil {
		return nil, err
	}
	var h hash.Hash
	if keepSHA256 {
		h, err = jws.VerifySHA256(pub, opts.Algs)
	} else {
		err = jws.Verify(pub, opts.Algs)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", verifyErr(err, ErrSignature), err)
	}
	return h, nil
}

// sdHashPrefix is the SHA-256 state h after the first n bytes of the text
// sd_hash covers, when the issuer signature check computed it (an ES256
// compact SD-JWT); h is nil otherwise.
type sdHashPrefix struct {
	h hash.Hash
	n int
	// alg, when set, is an _sd_alg other than sha-256: sd_hash is
	// computed afresh with it.
	alg string
}

// sdHashOf writes base64url(SHA-256(withoutKB)) into enc, continuing from
// prefix when it has a state.
func sdHashOf(enc *[digestLen]byte, withoutKB string, prefix sdHashPrefix) []byte {
	if prefix.h == nil {
		return encodedDigest(enc, withoutKB)
	}
	prefix.h.Write([]byte(withoutKB[prefix.n:]))
	var sum [sha256.Size]byte
	jose.B64.Encode(enc[:], prefix.h.Sum(sum[:0]))
	return enc[:]
}

// verifyDisclosed runs §7.1 steps 3–5 and §7.3 once the issuer signature
// has been checked. withoutKB is the compact SD-JWT the KB-JWT's sd_hash
// must cover.
func verifyDisclosed(t *SDJWT, header jose.Header, kbJWS *jose.JWS, withoutKB string, prefix sdHashPrefix, opts VerifyOptions, lim Limits) (*Verified, error) {
	// share: t and its payload are this verification's own.
	claims, err := process(t.Payload, t.Disclosures, lim, true, opts.HashAlgs)
	if err != nil {
		return nil, err
	}
	now := opts.Now()
	skew := opts.ClockSkew
	if skew <= 0 {
		skew = DefaultClockSkew
	}
	if err := checkTimes(claims, now, skew); err != nil {
		return nil, err
	}

	v := &Verified{Header: header, Claims: claims, Disclosures: t.Disclosures}
	holder, holderPub, holderErr := holderKey(claims)
	if holderErr == nil {
		v.HolderKey = holder
	}
	if !opts.RequireKeyBinding {
		return v, nil
	}
	// §7.3: key binding.
	if holderErr != nil {
		return nil, holderErr
	}
	if alg := t.sdHashAlg(); alg != HashAlg {
		// sd_hash uses the disclosures' algorithm (§4.3.1); the SHA-256
		// state kept from the signature check is of no use.
		prefix = sdHashPrefix{alg: alg}
	}
	kb, err := verifyKB(kbJWS, withoutKB, prefix, holderPub, opts, now, skew)
	if err != nil {
		return nil, err
	}
	v.KeyBinding = kb
	return v, nil
}

// verifyErr maps a jose verification error to our sentinel; sig is used
// for a bad signature.
func verifyErr(err, sig error) error {
	switch {
	case errors.Is(err, jose.ErrAlgNotAllowed), errors.Is(err, jose.ErrAlgKeyMismatch), errors.Is(err, jose.ErrUnsupportedKey):
		return ErrAlgorithm
	case errors.Is(err, jose.ErrBadSignature):
		return sig
	}
	return ErrMalformed
}

// NumericDate reads a JWT NumericDate (RFC 7519 §2) claim from decoded
// claims (numbers as json.Number, as Verify and Process return them);
// present is false when the claim is absent.
func NumericDate(claims map[string]any, name string) (time.Time, bool, error) {
	v, ok := claims[name]
	return numericDate(v, ok, name)
}

// numericDate is NumericDate of the value v of claim name (present says
// whether there is one).
func numericDate(v any, present bool, name string) (time.Time, bool, error) {
	if !present {
		return time.Time{}, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, true, fmt.Errorf("%w: %s is not a number", ErrMalformed, name)
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e15 {
		return time.Time{}, true, fmt.Errorf("%w: %s is not a usable NumericDate", ErrMalformed, name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

func checkTimes(claims map[string]any, now time.Time, skew time.Duration) error {
	if exp, ok, err := NumericDate(claims, "exp"); err != nil {
		return err
	} else if ok && !now.Before(exp.Add(skew)) {
		return fmt.Errorf("%w: exp %s", ErrExpired, exp.UTC().Format(time.RFC3339))
	}
	if nbf, ok, err := NumericDate(claims, "nbf"); err != nil {
		return err
	} else if ok && now.Add(skew).Before(nbf) {
		return fmt.Errorf("%w: nbf %s", ErrNotYetValid, nbf.UTC().Format(time.RFC3339))
	}
	if iat, ok, err := NumericDate(claims, "iat"); err != nil {
		return err
	} else if ok && now.Add(skew).Before(iat) {
		return fmt.Errorf("%w: iat %s is in the future", ErrNotYetValid, iat.UTC().Format(time.RFC3339))
	}
	return nil
}

// holderKey reads cnf.jwk (RFC 7800 §3.2) from the processed claims.
func holderKey(claims map[string]any) (*jose.JWK, crypto.PublicKey, error) {
	cnf, ok := claims["cnf"].(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%w: no cnf object", ErrHolderKey)
	}
	m, ok := cnf["jwk"].(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%w: no cnf.jwk object", ErrHolderKey)
	}
	if _, private := m["d"]; private {
		return nil, nil, fmt.Errorf("%w: cnf.jwk holds private key material", ErrHolderKey)
	}
	// Build the JWK directly: JWKFromMap would re-marshal the object.
	k := &jose.JWK{}
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{"kty", &k.Kty}, {"crv", &k.Crv}, {"x", &k.X}, {"y", &k.Y}} {
		name, dst := f.name, f.dst
		if v, present := m[name]; present {
			s, isStr := v.(string)
			if !isStr {
				return nil, nil, fmt.Errorf("%w: cnf.jwk %s is not a string", ErrHolderKey, name)
			}
			*dst = s
		}
	}
	pub, err := k.PublicKey()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrHolderKey, err)
	}
	return k, pub, nil
}

// kbClaims are the KB-JWT claims verifyKB reads, in this order.
var kbClaims = [...]string{"sd_hash", "nonce", "aud", "iat"}

// verifyKB checks a KB-JWT (§7.3 steps 5–6): typ, signature by the holder
// key, sd_hash over the presented SD-JWT, nonce, aud and iat.
func verifyKB(jws *jose.JWS, withoutKB string, prefix sdHashPrefix, pub crypto.PublicKey, opts VerifyOptions, now time.Time, skew time.Duration) (*KeyBinding, error) {
	if jws.Header.Typ != KBTyp {
		return nil, fmt.Errorf("%w: %w: typ %q, want %q", ErrKeyBindingType, ErrKeyBinding, jws.Header.Typ, KBTyp)
	}
	if err := jws.Verify(pub, opts.Algs); err != nil {
		if errors.Is(err, jose.ErrBadSignature) {
			return nil, fmt.Errorf("%w: %w: %w", ErrKBSignature, ErrKeyBinding, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrKeyBinding, err)
	}
	// The four claims read here, without building a map of the payload.
	var c [len(kbClaims)]jsonx.Field
	isObject, err := jsonx.DecodeFields(jws.Payload, kbClaims[:], c[:])
	if err == nil && !isObject {
		err = errors.New("not a JSON object")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrKeyBinding, err)
	}
	sdHash, nonce, aud, iatClaim := c[0], c[1], c[2], c[3]
	kb := &KeyBinding{}
	if !sdHash.IsStr {
		return nil, fmt.Errorf("%w: sd_hash missing or not a string", ErrSDHash)
	}
	kb.SDHash = sdHash.Str
	var enc [digestLen]byte
	want := ""
	if prefix.alg != "" {
		want = digestWith(prefix.alg, withoutKB)
	} else {
		want = string(sdHashOf(&enc, withoutKB, prefix))
	}
	if kb.SDHash != want {
		return nil, fmt.Errorf("%w: KB-JWT does not cover the presented SD-JWT", ErrSDHash)
	}
	if kb.Nonce = nonce.Str; !nonce.IsStr || kb.Nonce != opts.Nonce {
		return nil, fmt.Errorf("%w: got %v", ErrNonce, nonce.Value())
	}
	if kb.Audience = aud.Str; !aud.IsStr || kb.Audience != opts.Audience {
		return nil, fmt.Errorf("%w: got %v, want the single string %q", ErrAudience, aud.Value(), opts.Audience)
	}
	iat, present, err := numericDate(iatClaim.Value(), iatClaim.Present, "iat")
	if err != nil || !present {
		return nil, fmt.Errorf("%w: iat missing or not a number", ErrKBTime)
	}
	maxAge := opts.KBMaxAge
	if maxAge <= 0 {
		maxAge = DefaultKBMaxAge
	}
	if iat.After(now.Add(skew)) {
		return nil, fmt.Errorf("%w: iat %s is in the future", ErrKBTime, iat.UTC().Format(time.RFC3339))
	}
	if iat.Before(now.Add(-maxAge)) {
		return nil, fmt.Errorf("%w: iat %s is older than %s", ErrKBTime, iat.UTC().Format(time.RFC3339), maxAge)
	}
	kb.IssuedAt = iat
	return kb, nil
}
