// Package jose owns the small part of JOSE that Cairn needs on its hot paths:
// compact JWS signing and verification (RFC 7515 §3.1, §5.2) with an
// algorithm allow-list, and public JWKs for EC P-256/P-384 and OKP Ed25519
// (RFC 7517, RFC 7518 §6.2, RFC 8037), including RFC 7638 thumbprints.
//
// It is deliberately strict: "none" and unknown algorithms are refused, the
// algorithm must fit the key, base64url must be unpadded and canonical, and
// "crit" headers are refused because Cairn understands none. Private key
// files are the business of internal/keys, which uses jwx.
package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"slices"
	"strings"

	"github.com/cairn-id/cairn/internal/jsonx"
)

// Alg is a JWS algorithm name (RFC 7518 §3.1, RFC 8037 §3.1).
type Alg string

// The algorithms Cairn signs and verifies. ES256 is the baseline.
const (
	ES256 Alg = "ES256"
	ES384 Alg = "ES384"
	EdDSA Alg = "EdDSA"
)

// DefaultAlgs is the allow-list used when a caller passes none.
var DefaultAlgs = []Alg{ES256, ES384, EdDSA}

// MaxCompactLen bounds any compact JWS accepted by Parse (64 KiB).
const MaxCompactLen = 64 << 10

// Errors returned at the package boundary. Callers match them with errors.Is.
var (
	ErrMalformed       = errors.New("jose: malformed JWS")
	ErrTooLarge        = errors.New("jose: JWS exceeds size limit")
	ErrAlgNotAllowed   = errors.New("jose: algorithm not allowed")
	ErrAlgKeyMismatch  = errors.New("jose: algorithm does not fit the key")
	ErrBadSignature    = errors.New("jose: signature verification failed")
	ErrUnsupportedKey  = errors.New("jose: unsupported key type")
	ErrCritUnsupported = errors.New("jose: crit header parameters are not supported")
	ErrBadJWK          = errors.New("jose: invalid JWK")
	ErrPrivateKeyInJWK = errors.New("jose: JWK contains private key material")
	ErrWrongType       = errors.New("jose: unexpected typ header")
)

// B64 is unpadded base64url (RFC 7515 §2), the only encoding JWS allows.
var B64 = base64.RawURLEncoding.Strict()

// DecodeSegment decodes unpadded, canonical base64url. Padding, the
// standard alphabet and non-zero trailing bits are all refused, so one
// value has exactly one encoding.
func DecodeSegment(s string) ([]byte, error) {
	if strings.ContainsAny(s, "=+/ \n\r\t") {
		return nil, fmt.Errorf("%w: base64url segment has padding or foreign characters", ErrMalformed)
	}
	b, err := B64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return b, nil
}

// AppendDecodeSegment appends the decoding of s, as DecodeSegment decodes
// it, to dst, without DecodeSegment's allocation; its errors are
// DecodeSegment's.
func AppendDecodeSegment(dst []byte, s string) ([]byte, error) {
	if out, ok := appendB64URL(dst, s); ok {
		return out, nil
	}
	// Refused by the fast decoder: DecodeSegment gives the error (both
	// accept exactly the same strings; TestAppendDecodeSegment checks it).
	b, err := DecodeSegment(s)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// b64url maps a base64url character to its 6-bit value, other bytes to 0xff.
var b64url = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// appendB64URL decodes unpadded, canonical base64url (the unused low bits
// of the last character must be zero); ok is false for anything else.
func appendB64URL(dst []byte, s string) ([]byte, bool) {
	if len(s)%4 == 1 {
		return dst, false
	}
	// +2: room for the 8-byte stores of the first loop.
	dst = slices.Grow(dst, len(s)*3/4+2)
	for len(s) >= 8 { // 8 characters, 48 bits, 6 bytes at a time
		_ = s[7]
		c0, c1, c2, c3 := b64url[s[0]], b64url[s[1]], b64url[s[2]], b64url[s[3]]
		c4, c5, c6, c7 := b64url[s[4]], b64url[s[5]], b64url[s[6]], b64url[s[7]]
		if c0|c1|c2|c3|c4|c5|c6|c7 == 0xff {
			return dst, false
		}
		v := uint64(c0)<<58 | uint64(c1)<<52 | uint64(c2)<<46 | uint64(c3)<<40 |
			uint64(c4)<<34 | uint64(c5)<<28 | uint64(c6)<<22 | uint64(c7)<<16
		dst = binary.BigEndian.AppendUint64(dst, v) // the last two bytes are dropped
		dst = dst[:len(dst)-2]
		s = s[8:]
	}
	for len(s) >= 4 {
		a, b, c, d := b64url[s[0]], b64url[s[1]], b64url[s[2]], b64url[s[3]]
		if a|b|c|d == 0xff {
			return dst, false
		}
		dst = append(dst, a<<2|b>>4, b<<4|c>>2, c<<6|d)
		s = s[4:]
	}
	switch len(s) {
	case 2:
		a, b := b64url[s[0]], b64url[s[1]]
		if a|b == 0xff || b&0x0f != 0 {
			return dst, false
		}
		dst = append(dst, a<<2|b>>4)
	case 3:
		a, b, c := b64url[s[0]], b64url[s[1]], b64url[s[2]]
		if a|b|c == 0xff || c&0x03 != 0 {
			return dst, false
		}
		dst = append(dst, a<<2|b>>4, b<<4|c>>2)
	}
	return dst, true
}

// AlgForPublicKey returns the one algorithm Cairn uses with a public key.
func AlgForPublicKey(pub crypto.PublicKey) (Alg, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ES256, nil
		case elliptic.P384():
			return ES384, nil
		}
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			return EdDSA, nil
		}
	}
	return "", fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// Signer signs JWS with a crypto.Signer whose algorithm is derived from its
// public key, so the alg header can never disagree with the key.
type Signer struct {
	key   crypto.Signer
	alg   Alg
	rand  io.Reader
	keyID string
}

// NewSigner wraps key. rnd may be nil (crypto/rand is used); tests inject it.
func NewSigner(key crypto.Signer, rnd io.Reader) (*Signer, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: nil signer", ErrUnsupportedKey)
	}
	alg, err := AlgForPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Signer{key: key, alg: alg, rand: rnd}, nil
}

// WithKeyID returns a copy of s that puts kid in every header it signs.
func (s *Signer) WithKeyID(kid string) *Signer {
	c := *s
	c.keyID = kid
	return &c
}

// Alg is the algorithm this signer uses.
func (s *Signer) Alg() Alg { return s.alg }

// KeyID is the kid this signer puts in headers, or "".
func (s *Signer) KeyID() string { return s.keyID }

// Public returns the signer's public key.
func (s *Signer) Public() crypto.PublicKey { return s.key.Public() }

// Sign produces a compact JWS over payload. header holds extra protected
// header parameters (typ, jwk, …); alg (and kid, if set) are always this
// signer's and cannot be overridden.
func (s *Signer) Sign(header map[string]any, payload []byte) (string, error) {
	h := make(map[string]any, len(header)+2)
	for k, v := range header {
		h[k] = v
	}
	h["alg"] = string(s.alg)
	if s.keyID != "" {
		h["kid"] = s.keyID
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("jose: encode header: %w", err)
	}
	var sb strings.Builder
	sb.Grow(B64.EncodedLen(len(hb)) + B64.EncodedLen(len(payload)) + 120)
	sb.WriteString(B64.EncodeToString(hb))
	sb.WriteByte('.')
	sb.WriteString(B64.EncodeToString(payload))
	sig, err := s.signRaw([]byte(sb.String()))
	if err != nil {
		return "", err
	}
	sb.WriteByte('.')
	sb.WriteString(B64.EncodeToString(sig))
	return sb.String(), nil
}

func (s *Signer) signRaw(input []byte) ([]byte, error) {
	switch s.alg {
	case EdDSA:
		sig, err := s.key.Sign(s.rand, input, crypto.Hash(0))
		if err != nil {
			return nil, fmt.Errorf("jose: sign: %w", err)
		}
		return sig, nil
	case ES256, ES384:
		h, size := hashFor(s.alg)
		h.Write(input)
		der, err := s.key.Sign(s.rand, h.Sum(nil), hashID(s.alg))
		if err != nil {
			return nil, fmt.Errorf("jose: sign: %w", err)
		}
		return derToRaw(der, size)
	}
	return nil, ErrAlgNotAllowed
}

func hashFor(a Alg) (hash.Hash, int) {
	if a == ES384 {
		return sha512.New384(), 48
	}
	return sha256.New(), 32
}

func hashID(a Alg) crypto.Hash {
	if a == ES384 {
		return crypto.SHA384
	}
	return crypto.SHA256
}

// derToRaw converts an ASN.1 ECDSA signature to the fixed-size R||S form
// JWS uses (RFC 7518 §3.4).
func derToRaw(der []byte, size int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	if err := unmarshalECDSASig(der, &sig.R, &sig.S); err != nil {
		return nil, err
	}
	out := make([]byte, 2*size)
	sig.R.FillBytes(out[:size])
	sig.S.FillBytes(out[size:])
	return out, nil
}

// X5C encodes a certificate chain (DER, leaf first) as the value of an
// x5c header parameter: standard base64, not base64url (RFC 7515 §4.1.6).
func X5C(chain [][]byte) []string {
	out := make([]string, len(chain))
	for i, der := range chain {
		out[i] = base64.StdEncoding.EncodeToString(der)
	}
	return out
}

// Header is the decoded protected header of a JWS. Params keeps every
// parameter, decoded (objects as map[string]any, numbers as json.Number),
// for callers that need more (jwk, x5c, …).
type Header struct {
	Alg    Alg
	Typ    string
	Kid    string
	Params map[string]any
}

// JWS is a parsed, not yet verified, compact JWS.
type JWS struct {
	Header       Header
	Payload      []byte
	signingInput string
	signature    []byte
}

// SigningInput returns "base64url(header).base64url(payload)".
func (j *JWS) SigningInput() string { return j.signingInput }

// Parse splits and decodes a compact JWS without verifying it.
// It refuses oversize input, padded base64url, unknown crit parameters and
// headers that are not a JSON object with a string alg.
func Parse(compact string) (*JWS, error) {
	return ParseLimited(compact, MaxCompactLen)
}

// ParseLimited is Parse with a caller-chosen size bound, for the few
// documents that are legitimately larger than MaxCompactLen (registry
// snapshots, status list tokens). maxLen must be positive.
func ParseLimited(compact string, maxLen int) (*JWS, error) {
	if maxLen <= 0 || len(compact) > maxLen {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(compact), maxLen)
	}
	d1 := strings.IndexByte(compact, '.')
	if d1 < 0 {
		return nil, fmt.Errorf("%w: expected three dot-separated parts", ErrMalformed)
	}
	d2 := strings.IndexByte(compact[d1+1:], '.')
	if d2 < 0 {
		return nil, fmt.Errorf("%w: expected three dot-separated parts", ErrMalformed)
	}
	d2 += d1 + 1
	if strings.IndexByte(compact[d2+1:], '.') >= 0 {
		return nil, fmt.Errorf("%w: expected three dot-separated parts", ErrMalformed)
	}
	// One buffer for the three decoded parts; each keeps its own capacity
	// so that appending to Payload cannot overwrite the signature.
	buf := make([]byte, 0, len(compact)*3/4+2)
	buf, err := AppendDecodeSegment(buf, compact[:d1])
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	hb := buf[:len(buf):len(buf)]
	buf, err = AppendDecodeSegment(buf, compact[d1+1:d2])
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	payload := buf[len(hb):len(buf):len(buf)]
	buf, err = AppendDecodeSegment(buf, compact[d2+1:])
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	sig := buf[len(hb)+len(payload):]
	// jsonx, not encoding/json: this runs twice per presentation on the
	// verify path, and it also refuses duplicate parameter names.
	v, err := jsonx.Decode(hb)
	params, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
	}
	h := Header{Params: params}
	var alg string
	if alg, ok = stringParam(params, "alg"); !ok || alg == "" {
		return nil, fmt.Errorf("%w: header needs a string alg", ErrMalformed)
	}
	h.Alg = Alg(alg)
	if h.Typ, ok = stringParam(params, "typ"); !ok {
		return nil, fmt.Errorf("%w: typ must be a string", ErrMalformed)
	}
	if h.Kid, ok = stringParam(params, "kid"); !ok {
		return nil, fmt.Errorf("%w: kid must be a string", ErrMalformed)
	}
	if _, ok := params["crit"]; ok {
		return nil, ErrCritUnsupported
	}
	return &JWS{Header: h, Payload: payload, signingInput: compact[:d2], signature: sig}, nil
}

// stringParam returns a string header parameter; ok is false when it is
// present but not a string (absent is "", true).
func stringParam(params map[string]any, name string) (string, bool) {
	v, present := params[name]
	if !present {
		return "", true
	}
	str, ok := v.(string)
	return str, ok
}

// Verify checks the signature with pub. The header alg must be in allowed
// (DefaultAlgs when empty) and must be the algorithm of pub's key type.
func (j *JWS) Verify(pub crypto.PublicKey, allowed []Alg) error {
	_, err := j.verify(pub, allowed, false)
	return err
}

// VerifySHA256 is Verify that, for an ES256 JWS, also returns the SHA-256
// state after the signing input, for a caller that hashes a text beginning
// with it (SD-JWT's sd_hash covers the issuer JWT): writing the rest and
// summing gives the hash of the whole without hashing the signing input
// twice. h is nil for other algorithms and on error.
func (j *JWS) VerifySHA256(pub crypto.PublicKey, allowed []Alg) (h hash.Hash, err error) {
	return j.verify(pub, allowed, true)
}

func (j *JWS) verify(pub crypto.PublicKey, allowed []Alg, keepSHA256 bool) (hash.Hash, error) {
	if len(allowed) == 0 {
		allowed = DefaultAlgs
	}
	ok := false
	for _, a := range allowed {
		if a == j.Header.Alg {
			ok = true
			break
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrAlgNotAllowed, j.Header.Alg)
	}
	keyAlg, err := AlgForPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if keyAlg != j.Header.Alg {
		return nil, fmt.Errorf("%w: header says %s, key needs %s", ErrAlgKeyMismatch, j.Header.Alg, keyAlg)
	}
	if !keepSHA256 || keyAlg != ES256 {
		return nil, verifyRaw(keyAlg, pub, j.signingInput, j.signature)
	}
	if err := checkECDSALen(j.signature, 32); err != nil {
		return nil, err
	}
	h := sha256.New()
	var buf [512]byte
	for s := j.signingInput; len(s) > 0; {
		n := copy(buf[:], s)
		h.Write(buf[:n])
		s = s[n:]
	}
	var digest [sha256.Size]byte
	if err := verifyECDSA(pub, h.Sum(digest[:0]), j.signature); err != nil {
		return nil, err
	}
	return h, nil
}

// verifyRaw checks a JWS signature over input (the signing input, a
// string so that no copy of it is made for hashing).
func verifyRaw(alg Alg, pub crypto.PublicKey, input string, sig []byte) error {
	switch alg {
	case EdDSA:
		if !ed25519.Verify(pub.(ed25519.PublicKey), []byte(input), sig) {
			return ErrBadSignature
		}
		return nil
	case ES256, ES384:
		size := 32
		if alg == ES384 {
			size = 48
		}
		if err := checkECDSALen(sig, size); err != nil {
			return err
		}
		digest, n := hashString(alg, input)
		return verifyECDSA(pub, digest[:n], sig)
	}
	return ErrAlgNotAllowed
}

func checkECDSALen(sig []byte, size int) error {
	if len(sig) != 2*size {
		return fmt.Errorf("%w: ECDSA signature has %d bytes, want %d", ErrBadSignature, len(sig), 2*size)
	}
	return nil
}

// verifyECDSA checks the R||S signature sig (of a length checked by
// checkECDSALen) of digest with ecdsa.VerifyASN1 over its DER form: the
// same check as ecdsa.Verify, without two big.Int conversions and a
// re-encoding.
func verifyECDSA(pub crypto.PublicKey, digest, sig []byte) error {
	var der [2*(2+1+48) + 2]byte
	size := len(sig) / 2
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest, rawToDER(der[:0], sig[:size], sig[size:])) {
		return ErrBadSignature
	}
	return nil
}

// rawToDER appends the ASN.1 SEQUENCE{INTEGER r, INTEGER s} of the
// big-endian unsigned r and s (each at most 48 bytes, so every length fits
// the short form).
func rawToDER(dst, r, s []byte) []byte {
	r, s = trimZeros(r), trimZeros(s)
	n := derIntLen(r) + derIntLen(s)
	dst = append(dst, 0x30, byte(n))
	dst = appendDERInt(dst, r)
	return appendDERInt(dst, s)
}

func trimZeros(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func derIntLen(b []byte) int {
	if b[0]&0x80 != 0 {
		return 2 + 1 + len(b)
	}
	return 2 + len(b)
}

func appendDERInt(dst, b []byte) []byte {
	if b[0]&0x80 != 0 {
		dst = append(dst, 0x02, byte(len(b)+1), 0)
	} else {
		dst = append(dst, 0x02, byte(len(b)))
	}
	return append(dst, b...)
}

// hashString returns the SHA-256 (ES256) or SHA-384 (ES384) digest of s
// and its length, hashing s through a stack buffer instead of converting it
// to a []byte (a signing input is a few kilobytes).
func hashString(alg Alg, s string) ([48]byte, int) {
	var sum [48]byte
	var buf [512]byte
	if alg == ES384 {
		h := sha512.New384()
		for len(s) > 0 {
			n := copy(buf[:], s)
			h.Write(buf[:n])
			s = s[n:]
		}
		h.Sum(sum[:0])
		return sum, sha512.Size384
	}
	h := sha256.New()
	for len(s) > 0 {
		n := copy(buf[:], s)
		h.Write(buf[:n])
		s = s[n:]
	}
	h.Sum(sum[:0])
	return sum, sha256.Size
}

// ParseAndVerify parses compact, checks typ (when wantTyp is not empty,
// compared case-insensitively as RFC 7515 §4.1.9 allows for media types)
// and verifies it with pub.
func ParseAndVerify(compact string, pub crypto.PublicKey, wantTyp string, allowed []Alg) (*JWS, error) {
	j, err := Parse(compact)
	if err != nil {
		return nil, err
	}
	if wantTyp != "" && !strings.EqualFold(j.Header.Typ, wantTyp) {
		return nil, fmt.Errorf("%w: got %q, want %q", ErrWrongType, j.Header.Typ, wantTyp)
	}
	if err := j.Verify(pub, allowed); err != nil {
		return nil, err
	}
	return j, nil
}
