package jose

// Compact JWE (RFC 7516 §3.1, §5.1, §5.2) with exactly one key management
// mode: ECDH-ES direct key agreement on P-256 (RFC 7518 §4.6) with the
// Concat KDF (NIST SP 800-56A §5.8.1, as profiled in RFC 7518 §4.6.2), and
// the content encryption algorithms A128GCM and A256GCM (RFC 7518 §5.3).
// This is what OpenID4VP 1.0 §8.3 (direct_post.jwt) and HAIP need; nothing
// else (no key wrapping, no compression, no JSON serialization) is accepted.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cairn-id/cairn/internal/jsonx"
)

// Content encryption algorithms (RFC 7518 §5.1) supported for JWE.
const (
	A128GCM = "A128GCM"
	A256GCM = "A256GCM"
)

// ECDHES is the only JWE key management algorithm supported.
const ECDHES = "ECDH-ES"

// DefaultEncs is the enc allow-list used when a caller passes none.
var DefaultEncs = []string{A128GCM, A256GCM}

// MaxJWELen bounds a compact JWE accepted by DecryptECDHES (256 KiB: a
// vp_token with a few SD-JWT presentations fits many times over).
const MaxJWELen = 256 << 10

// maxPartyInfo bounds decoded apu/apv.
const maxPartyInfo = 512

// JWE errors. Every error from DecryptECDHES matches ErrMalformed,
// ErrTooLarge, ErrAlgNotAllowed, ErrCritUnsupported, ErrBadJWK or
// ErrDecrypt.
var (
	// ErrDecrypt: the key agreement or the authenticated decryption failed
	// (wrong key, tampered header, IV, ciphertext or tag).
	ErrDecrypt = errors.New("jose: JWE decryption failed")
)

// EncryptOptions are the optional header parameters of EncryptECDHES.
type EncryptOptions struct {
	Enc string // A128GCM (default) or A256GCM
	Kid string // kid of the recipient key, copied into the header
	Apu []byte // agreement PartyUInfo, base64url-encoded into "apu" when set
	Apv []byte // agreement PartyVInfo, base64url-encoded into "apv" when set
	Typ string // optional typ header
	// Rand supplies the ephemeral key and the IV; crypto/rand when nil.
	Rand io.Reader
}

// EncryptECDHES encrypts plaintext to the P-256 public key recipient and
// returns a compact JWE: an ephemeral key pair (its public part in "epk"),
// ECDH with the recipient key, the Concat KDF over the shared secret with
// AlgorithmID = enc (direct key agreement), and AES-GCM with the protected
// header as additional authenticated data. The encrypted key is empty.
func EncryptECDHES(plaintext []byte, recipient *ecdh.PublicKey, o EncryptOptions) (string, error) {
	if recipient == nil || recipient.Curve() != ecdh.P256() {
		return "", fmt.Errorf("%w: ECDH-ES needs a P-256 recipient key", ErrUnsupportedKey)
	}
	enc := o.Enc
	if enc == "" {
		enc = A128GCM
	}
	keyLen, ok := encKeyLen(enc)
	if !ok {
		return "", fmt.Errorf("%w: enc %q", ErrAlgNotAllowed, enc)
	}
	rnd := o.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	eph, err := ecdh.P256().GenerateKey(rnd)
	if err != nil {
		return "", fmt.Errorf("jose: ephemeral key: %w", err)
	}
	z, err := eph.ECDH(recipient)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	pt := eph.PublicKey().Bytes()
	epk := map[string]any{"kty": "EC", "crv": "P-256", "x": B64.EncodeToString(pt[1:33]), "y": B64.EncodeToString(pt[33:])}
	h := map[string]any{"alg": ECDHES, "enc": enc, "epk": epk}
	if o.Kid != "" {
		h["kid"] = o.Kid
	}
	if o.Typ != "" {
		h["typ"] = o.Typ
	}
	if o.Apu != nil {
		h["apu"] = B64.EncodeToString(o.Apu)
	}
	if o.Apv != nil {
		h["apv"] = B64.EncodeToString(o.Apv)
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("jose: encode JWE header: %w", err)
	}
	protected := B64.EncodeToString(hb)
	cek := concatKDF(z, enc, o.Apu, o.Apv, keyLen)
	gcm, err := newGCM(cek)
	if err != nil {
		return "", err
	}
	iv := make([]byte, gcm.NonceSize())
	if _, err := io.ReadFull(rnd, iv); err != nil {
		return "", fmt.Errorf("jose: IV: %w", err)
	}
	sealed := gcm.Seal(nil, iv, plaintext, []byte(protected))
	ct, tag := sealed[:len(sealed)-gcm.Overhead()], sealed[len(sealed)-gcm.Overhead():]
	return protected + ".." + B64.EncodeToString(iv) + "." + B64.EncodeToString(ct) + "." + B64.EncodeToString(tag), nil
}

// JWE is a decrypted compact JWE.
type JWE struct {
	// Header is the protected header (Alg is "ECDH-ES"; Params holds enc,
	// epk, apu, apv, …, decoded).
	Header    Header
	Enc       string
	Apu, Apv  []byte // decoded, nil when absent
	Plaintext []byte
}

// DecryptOptions bound DecryptECDHES.
type DecryptOptions struct {
	Encs   []string // enc allow-list; DefaultEncs when empty
	MaxLen int      // MaxJWELen when zero
}

// DecryptECDHES parses and decrypts a compact JWE made for the P-256 key
// priv. The header must have alg "ECDH-ES", an enc in the allow-list, an
// "epk" that is a public P-256 point on the curve, no "zip" and no "crit";
// the encrypted key must be empty (direct key agreement), the IV 96 bits
// and the tag 128 bits.
func DecryptECDHES(compact string, priv *ecdh.PrivateKey, o DecryptOptions) (*JWE, error) {
	maxLen := o.MaxLen
	if maxLen <= 0 {
		maxLen = MaxJWELen
	}
	if len(compact) > maxLen {
		return nil, fmt.Errorf("%w: JWE of %d bytes, limit %d", ErrTooLarge, len(compact), maxLen)
	}
	if priv == nil || priv.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("%w: ECDH-ES needs a P-256 private key", ErrUnsupportedKey)
	}
	parts := strings.Split(compact, ".")
	if len(parts) != 5 {
		return nil, fmt.Errorf("%w: a compact JWE has five dot-separated parts", ErrMalformed)
	}
	if parts[1] != "" {
		return nil, fmt.Errorf("%w: ECDH-ES direct key agreement has an empty encrypted key", ErrMalformed)
	}
	hb, err := DecodeSegment(parts[0])
	if err != nil {
		return nil, fmt.Errorf("JWE header: %w", err)
	}
	v, err := jsonx.Decode(hb)
	params, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: JWE header is not a JSON object", ErrMalformed)
	}
	h, err := jweHeader(params)
	if err != nil {
		return nil, err
	}
	out := &JWE{Header: h}
	out.Enc, _ = params["enc"].(string)
	encs := o.Encs
	if len(encs) == 0 {
		encs = DefaultEncs
	}
	keyLen, ok := encKeyLen(out.Enc)
	if !ok || !contains(encs, out.Enc) {
		return nil, fmt.Errorf("%w: enc %q", ErrAlgNotAllowed, out.Enc)
	}
	for _, p := range []struct {
		name string
		dst  *[]byte
	}{{"apu", &out.Apu}, {"apv", &out.Apv}} {
		raw, present := params[p.name]
		if !present {
			continue
		}
		s, isStr := raw.(string)
		if !isStr || len(s) > B64.EncodedLen(maxPartyInfo) {
			return nil, fmt.Errorf("%w: %s must be a short base64url string", ErrMalformed, p.name)
		}
		if *p.dst, err = DecodeSegment(s); err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
	}
	epk, err := ephemeralKey(params["epk"])
	if err != nil {
		return nil, err
	}
	iv, err := DecodeSegment(parts[2])
	if err != nil || len(iv) != 12 {
		return nil, fmt.Errorf("%w: the IV must be 96 bits", ErrMalformed)
	}
	ct, err := DecodeSegment(parts[3])
	if err != nil {
		return nil, fmt.Errorf("ciphertext: %w", err)
	}
	tag, err := DecodeSegment(parts[4])
	if err != nil || len(tag) != 16 {
		return nil, fmt.Errorf("%w: the authentication tag must be 128 bits", ErrMalformed)
	}
	z, err := priv.ECDH(epk)
	if err != nil {
		return nil, fmt.Errorf("%w: key agreement: %v", ErrDecrypt, err)
	}
	gcm, err := newGCM(concatKDF(z, out.Enc, out.Apu, out.Apv, keyLen))
	if err != nil {
		return nil, err
	}
	sealed := make([]byte, 0, len(ct)+len(tag))
	sealed = append(append(sealed, ct...), tag...)
	if out.Plaintext, err = gcm.Open(nil, iv, sealed, []byte(parts[0])); err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

// jweHeader checks the protected header of an ECDH-ES JWE.
func jweHeader(params map[string]any) (Header, error) {
	h := Header{Params: params}
	alg, ok := params["alg"].(string)
	if !ok {
		return h, fmt.Errorf("%w: JWE header needs a string alg", ErrMalformed)
	}
	if alg != ECDHES {
		return h, fmt.Errorf("%w: JWE alg %q (only ECDH-ES)", ErrAlgNotAllowed, alg)
	}
	h.Alg = Alg(alg)
	if h.Typ, ok = stringParam(params, "typ"); !ok {
		return h, fmt.Errorf("%w: typ must be a string", ErrMalformed)
	}
	if h.Kid, ok = stringParam(params, "kid"); !ok {
		return h, fmt.Errorf("%w: kid must be a string", ErrMalformed)
	}
	if _, ok := params["enc"].(string); !ok {
		return h, fmt.Errorf("%w: JWE header needs a string enc", ErrMalformed)
	}
	if _, ok := params["crit"]; ok {
		return h, ErrCritUnsupported
	}
	if _, ok := params["zip"]; ok {
		return h, fmt.Errorf("%w: compressed JWE (zip) is refused", ErrAlgNotAllowed)
	}
	return h, nil
}

// ephemeralKey reads the epk header parameter: a public EC P-256 JWK whose
// point lies on the curve.
func ephemeralKey(v any) (*ecdh.PublicKey, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: JWE header needs an epk object", ErrMalformed)
	}
	if _, priv := m["d"]; priv {
		return nil, fmt.Errorf("%w: epk", ErrPrivateKeyInJWK)
	}
	var f [4]string
	for i, name := range []string{"kty", "crv", "x", "y"} {
		s, isStr := m[name].(string)
		if !isStr {
			return nil, fmt.Errorf("%w: epk needs a string %s", ErrBadJWK, name)
		}
		f[i] = s
	}
	if f[0] != "EC" || f[1] != "P-256" {
		return nil, fmt.Errorf("%w: epk must be an EC P-256 key, got %s %s", ErrBadJWK, f[0], f[1])
	}
	x, err := DecodeSegment(f[2])
	if err != nil || len(x) != 32 {
		return nil, fmt.Errorf("%w: epk x coordinate", ErrBadJWK)
	}
	y, err := DecodeSegment(f[3])
	if err != nil || len(y) != 32 {
		return nil, fmt.Errorf("%w: epk y coordinate", ErrBadJWK)
	}
	point := make([]byte, 0, 65)
	point = append(append(append(point, 4), x...), y...)
	pub, err := ecdh.P256().NewPublicKey(point)
	if err != nil {
		return nil, fmt.Errorf("%w: epk is not a point on P-256", ErrBadJWK)
	}
	return pub, nil
}

// ECDHPublicKey converts a public EC P-256 JWK to an ECDH key, for
// encrypting to a key found in client_metadata.jwks.
func (k *JWK) ECDHPublicKey() (*ecdh.PublicKey, error) {
	if k.Kty != "EC" || k.Crv != "P-256" {
		return nil, fmt.Errorf("%w: ECDH-ES needs an EC P-256 key, got %s %s", ErrUnsupportedKey, k.Kty, k.Crv)
	}
	return ephemeralKey(map[string]any{"kty": k.Kty, "crv": k.Crv, "x": k.X, "y": k.Y})
}

// NewECDHJWK returns the public JWK of an ECDH P-256 key.
func NewECDHJWK(pub *ecdh.PublicKey) (*JWK, error) {
	if pub == nil || pub.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("%w: only P-256 ECDH keys", ErrUnsupportedKey)
	}
	pt := pub.Bytes()
	return &JWK{Kty: "EC", Crv: "P-256", X: B64.EncodeToString(pt[1:33]), Y: B64.EncodeToString(pt[33:]), Extra: map[string]json.RawMessage{}}, nil
}

func encKeyLen(enc string) (int, bool) {
	switch enc {
	case A128GCM:
		return 16, true
	case A256GCM:
		return 32, true
	}
	return 0, false
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("jose: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("jose: %w", err)
	}
	return gcm, nil
}

// concatKDF derives keyLen bytes from the shared secret z as RFC 7518
// §4.6.2 specifies: SHA-256 over a 32-bit big-endian round counter, z and
// OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo, the
// first three each prefixed with their 32-bit big-endian length and
// SuppPubInfo the key length in bits (32-bit big-endian). For direct key
// agreement AlgorithmID is the enc value.
func concatKDF(z []byte, algID string, apu, apv []byte, keyLen int) []byte {
	var other []byte
	for _, part := range [][]byte{[]byte(algID), apu, apv} {
		other = binary.BigEndian.AppendUint32(other, uint32(len(part)))
		other = append(other, part...)
	}
	other = binary.BigEndian.AppendUint32(other, uint32(keyLen*8))
	out := make([]byte, 0, keyLen+sha256.Size)
	for round := uint32(1); len(out) < keyLen; round++ {
		h := sha256.New()
		var c [4]byte
		binary.BigEndian.PutUint32(c[:], round)
		h.Write(c[:])
		h.Write(z)
		h.Write(other)
		out = h.Sum(out)
	}
	return out[:keyLen]
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
