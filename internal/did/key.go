package did

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
	"math/big"

	"github.com/cairn-id/cairn/internal/jose"
)

// Multicodec codes of the public key types did:key values may carry
// (multicodec table, "key" tag). Each is written as an unsigned varint.
const (
	codecEd25519 = 0xed
	codecP256    = 0x1200
	codecP384    = 0x1201
)

// maxMultibaseLen bounds a did:key value: the largest key Cairn accepts
// (P-384, 2+49 bytes) is 70 base58 characters.
const maxMultibaseLen = 128

// KeyDID returns the did:key of an Ed25519, P-256 or P-384 public key.
// EC keys are encoded as SEC 1 compressed points, as did:key requires.
func KeyDID(pub crypto.PublicKey) (string, error) {
	mb, err := multibaseKey(pub)
	if err != nil {
		return "", err
	}
	return "did:key:" + mb, nil
}

func multibaseKey(pub crypto.PublicKey) (string, error) {
	var code uint64
	var raw []byte
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return "", fmt.Errorf("%w: Ed25519 key of %d bytes", jose.ErrUnsupportedKey, len(p))
		}
		code, raw = codecEd25519, p
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256():
			code = codecP256
		case elliptic.P384():
			code = codecP384
		default:
			return "", fmt.Errorf("%w: curve %s", jose.ErrUnsupportedKey, p.Curve.Params().Name)
		}
		unc, err := p.Bytes()
		if err != nil {
			return "", fmt.Errorf("%w: %v", jose.ErrUnsupportedKey, err)
		}
		size := (len(unc) - 1) / 2
		raw = make([]byte, 1+size)
		raw[0] = 2 | unc[len(unc)-1]&1 // 0x02 even y, 0x03 odd y
		copy(raw[1:], unc[1:1+size])
	default:
		return "", fmt.Errorf("%w: %T", jose.ErrUnsupportedKey, pub)
	}
	b := appendUvarint(nil, code)
	b = append(b, raw...)
	return "z" + base58Encode(b), nil
}

// parseMultibaseKey decodes a multibase base58btc multicodec public key
// ("z6Mk…", "zDn…", "z82…").
func parseMultibaseKey(mb string) (crypto.PublicKey, error) {
	if len(mb) < 2 || mb[0] != 'z' {
		return nil, errors.New("not multibase base58btc (must start with 'z')")
	}
	if len(mb) > maxMultibaseLen {
		return nil, errors.New("multibase value too long")
	}
	b, err := base58Decode(mb[1:])
	if err != nil {
		return nil, err
	}
	code, n := readUvarint(b)
	if n <= 0 {
		return nil, errors.New("bad multicodec varint")
	}
	raw := b[n:]
	switch code {
	case codecEd25519:
		if len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 key of %d bytes", len(raw))
		}
		return ed25519.PublicKey(raw), nil
	case codecP256:
		return decompress(elliptic.P256(), raw)
	case codecP384:
		return decompress(elliptic.P384(), raw)
	}
	return nil, fmt.Errorf("%w: multicodec 0x%x", jose.ErrUnsupportedKey, code)
}

// decompress turns a SEC 1 compressed point into a public key; the point
// must be on the curve.
func decompress(curve elliptic.Curve, raw []byte) (*ecdsa.PublicKey, error) {
	size := (curve.Params().BitSize + 7) / 8
	if len(raw) != 1+size || (raw[0] != 2 && raw[0] != 3) {
		return nil, errors.New("EC key is not a compressed point")
	}
	x, y := elliptic.UnmarshalCompressed(curve, raw)
	if x == nil {
		return nil, errors.New("EC point not on curve")
	}
	unc := make([]byte, 1+2*size)
	unc[0] = 4
	x.FillBytes(unc[1 : 1+size])
	y.FillBytes(unc[1+size:])
	return ecdsa.ParseUncompressedPublicKey(curve, unc)
}

// resolveKey builds the document of a did:key (did:key §3.1.2 Read): one
// JsonWebKey2020 method whose fragment is the multibase value.
func resolveKey(did string) (*Document, error) {
	mb := did[len("did:key:"):]
	pub, err := parseMultibaseKey(mb)
	if err != nil {
		return nil, fmt.Errorf("%w: did:key: %w", ErrInvalidDID, err)
	}
	k, err := jose.NewJWK(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: did:key: %w", ErrInvalidDID, err)
	}
	// Refuse non-canonical encodings (leading zero bytes, non-minimal
	// varints) so a key has exactly one did:key.
	if again, _ := multibaseKey(pub); again != mb {
		return nil, fmt.Errorf("%w: did:key value is not canonically encoded", ErrInvalidDID)
	}
	return singleKeyDocument(did, mb, k, false), nil
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// readUvarint reads an unsigned varint of at most 9 bytes (the multiformats
// limit); n <= 0 means malformed.
func readUvarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, -1
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Encode is the Bitcoin base58 encoding (multibase 'z'): leading zero
// bytes become '1's, the rest is the big-endian number in base 58.
func base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b[zeros:])
	var digits []byte
	base, mod := big.NewInt(58), new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		digits = append(digits, base58Alphabet[mod.Int64()])
	}
	out := make([]byte, 0, zeros+len(digits))
	for i := 0; i < zeros; i++ {
		out = append(out, '1')
	}
	for i := len(digits) - 1; i >= 0; i-- {
		out = append(out, digits[i])
	}
	return string(out)
}

func base58Decode(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty base58 value")
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	n, base := new(big.Int), big.NewInt(58)
	for i := zeros; i < len(s); i++ {
		d := indexByte(base58Alphabet, s[i])
		if d < 0 {
			return nil, fmt.Errorf("bad base58 character %q", s[i])
		}
		n.Mul(n, base)
		n.Add(n, big.NewInt(int64(d)))
	}
	out := make([]byte, zeros, zeros+len(s))
	return append(out, n.Bytes()...), nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
