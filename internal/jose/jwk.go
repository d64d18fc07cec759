package jose

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/cairn-id/cairn/internal/jsonx"
)

// JWK is a public JSON Web Key of one of the kinds Cairn accepts:
// EC P-256, EC P-384 (RFC 7518 §6.2) or OKP Ed25519 (RFC 8037 §2).
// Unknown members such as kid, use or alg are kept in Extra but play no
// part in key identity.
type JWK struct {
	Kty   string                     `json:"kty"`
	Crv   string                     `json:"crv"`
	X     string                     `json:"x"`
	Y     string                     `json:"y,omitempty"`
	Kid   string                     `json:"kid,omitempty"`
	Alg   string                     `json:"alg,omitempty"`
	Use   string                     `json:"use,omitempty"`
	Extra map[string]json.RawMessage `json:"-"`
}

// MaxJWKLen bounds a JWK document accepted by ParseJWK.
const MaxJWKLen = 4 << 10

// ParseJWK parses a public JWK. A JWK carrying a private part ("d") is
// refused so private keys never travel where public ones are expected.
func ParseJWK(b []byte) (*JWK, error) {
	if len(b) > MaxJWKLen {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadJWK, MaxJWKLen)
	}
	if k, ok := parseKeyOnlyJWK(b); ok {
		return k, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrBadJWK)
	}
	return jwkFromRaw(raw)
}

// parseKeyOnlyJWK is ParseJWK's fast path for the common JWK (a did:jwk, a
// cnf.jwk): a strict JSON object (jsonx, which accepts a subset of what
// encoding/json accepts and decodes strings alike) whose members are all
// string-valued known members. It returns the same JWK as the general path
// would; ok is false for anything else (extra or private members,
// non-string values, invalid keys), which the general path then handles and
// reports exactly as before.
func parseKeyOnlyJWK(b []byte) (*JWK, bool) {
	v, err := jsonx.Decode(b)
	m, isObj := v.(map[string]any)
	if err != nil || !isObj {
		return nil, false
	}
	k := &JWK{}
	for name, v := range m {
		s, isStr := v.(string)
		if !isStr {
			return nil, false
		}
		switch name {
		case "kty":
			k.Kty = s
		case "crv":
			k.Crv = s
		case "x":
			k.X = s
		case "y":
			k.Y = s
		case "kid":
			k.Kid = s
		case "alg":
			k.Alg = s
		case "use":
			k.Use = s
		default:
			return nil, false
		}
	}
	if err := k.validate(); err != nil {
		return nil, false
	}
	k.Extra = map[string]json.RawMessage{}
	return k, true
}

// JWKFromMap converts a decoded JSON object (as found in cnf.jwk) to a JWK.
func JWKFromMap(m map[string]any) (*JWK, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadJWK, err)
	}
	return ParseJWK(b)
}

func jwkFromRaw(raw map[string]json.RawMessage) (*JWK, error) {
	if _, ok := raw["d"]; ok {
		return nil, ErrPrivateKeyInJWK
	}
	k := &JWK{Extra: map[string]json.RawMessage{}}
	fields := map[string]*string{"kty": &k.Kty, "crv": &k.Crv, "x": &k.X, "y": &k.Y, "kid": &k.Kid, "alg": &k.Alg, "use": &k.Use}
	for name, v := range raw {
		dst, ok := fields[name]
		if !ok {
			k.Extra[name] = v
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return nil, fmt.Errorf("%w: %s must be a string", ErrBadJWK, name)
		}
	}
	if err := k.validate(); err != nil {
		return nil, err
	}
	return k, nil
}

// MarshalJSON writes the key members and any extra members.
func (k JWK) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 7+len(k.Extra))
	for name, v := range k.Extra {
		m[name] = v
	}
	m["kty"], m["crv"], m["x"] = k.Kty, k.Crv, k.X
	for name, v := range map[string]string{"y": k.Y, "kid": k.Kid, "alg": k.Alg, "use": k.Use} {
		if v != "" {
			m[name] = v
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON parses and validates a public JWK.
func (k *JWK) UnmarshalJSON(b []byte) error {
	p, err := ParseJWK(b)
	if err != nil {
		return err
	}
	*k = *p
	return nil
}

// Map returns the JWK as a JSON object value, as used in cnf.jwk.
func (k *JWK) Map() map[string]any {
	b, _ := json.Marshal(k)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func curveFor(crv string) (elliptic.Curve, int) {
	switch crv {
	case "P-256":
		return elliptic.P256(), 32
	case "P-384":
		return elliptic.P384(), 48
	}
	return nil, 0
}

// validate returns the error PublicKey would return, without building the
// key: an EC point is checked with crypto/ecdh, which accepts exactly the
// uncompressed points ecdsa.ParseUncompressedPublicKey accepts (on the
// curve, not the point at infinity) at a fraction of the allocations.
func (k *JWK) validate() error {
	if k.Kty != "EC" {
		_, err := k.PublicKey()
		return err
	}
	point, err := k.uncompressedPoint(make([]byte, 0, 1+2*48))
	if err != nil {
		return err
	}
	c := ecdh.P256()
	if k.Crv == "P-384" {
		c = ecdh.P384()
	}
	if _, err := c.NewPublicKey(point); err != nil {
		return fmt.Errorf("%w: point not on curve", ErrBadJWK)
	}
	return nil
}

// uncompressedPoint appends to dst the uncompressed point of an EC key,
// decoding x and y straight into it.
func (k *JWK) uncompressedPoint(dst []byte) ([]byte, error) {
	_, size := curveFor(k.Crv)
	if size == 0 {
		return nil, fmt.Errorf("%w: EC curve %q", ErrUnsupportedKey, k.Crv)
	}
	point := append(dst, 4)
	point, err := AppendDecodeSegment(point, k.X)
	if err != nil || len(point) != len(dst)+1+size {
		return nil, fmt.Errorf("%w: x coordinate", ErrBadJWK)
	}
	point, err = AppendDecodeSegment(point, k.Y)
	if err != nil || len(point) != len(dst)+1+2*size {
		return nil, fmt.Errorf("%w: y coordinate", ErrBadJWK)
	}
	return point, nil
}

// PublicKey returns the Go public key: *ecdsa.PublicKey or ed25519.PublicKey.
// Coordinates must have the curve's exact length and lie on the curve.
func (k *JWK) PublicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "EC":
		// Build the uncompressed point and let ecdsa parsing check it is
		// on the curve.
		var buf [1 + 2*48]byte
		point, err := k.uncompressedPoint(buf[:0])
		if err != nil {
			return nil, err
		}
		curve, _ := curveFor(k.Crv)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, fmt.Errorf("%w: point not on curve", ErrBadJWK)
		}
		return pub, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, fmt.Errorf("%w: OKP curve %q", ErrUnsupportedKey, k.Crv)
		}
		x, err := DecodeSegment(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: x", ErrBadJWK)
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("%w: kty %q", ErrUnsupportedKey, k.Kty)
}

// NewJWK builds the public JWK of pub.
func NewJWK(pub crypto.PublicKey) (*JWK, error) {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		var crv string
		switch p.Curve {
		case elliptic.P256():
			crv = "P-256"
		case elliptic.P384():
			crv = "P-384"
		default:
			return nil, fmt.Errorf("%w: curve", ErrUnsupportedKey)
		}
		size := (p.Curve.Params().BitSize + 7) / 8
		x, y := make([]byte, size), make([]byte, size)
		pt, err := p.Bytes()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
		}
		copy(x, pt[1:1+size])
		copy(y, pt[1+size:])
		return &JWK{Kty: "EC", Crv: crv, X: B64.EncodeToString(x), Y: B64.EncodeToString(y), Extra: map[string]json.RawMessage{}}, nil
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, ErrUnsupportedKey
		}
		return &JWK{Kty: "OKP", Crv: "Ed25519", X: B64.EncodeToString(p), Extra: map[string]json.RawMessage{}}, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint, base64url-encoded.
func (k *JWK) Thumbprint() string {
	var canon []byte
	// Members in lexicographic order, no whitespace (RFC 7638 §3.2). The
	// values are base64url or fixed names, so they need no JSON escaping.
	if k.Kty == "EC" {
		canon = []byte(`{"crv":"` + k.Crv + `","kty":"EC","x":"` + k.X + `","y":"` + k.Y + `"}`)
	} else {
		canon = []byte(`{"crv":"` + k.Crv + `","kty":"` + k.Kty + `","x":"` + k.X + `"}`)
	}
	sum := sha256.Sum256(canon)
	return B64.EncodeToString(sum[:])
}

// Equal reports whether two JWKs name the same public key.
func (k *JWK) Equal(o *JWK) bool {
	return o != nil && k.Kty == o.Kty && k.Crv == o.Crv && k.X == o.X && k.Y == o.Y
}
