package wallet

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/cairn-id/cairn/internal/jose"
)

// FormatV1 is the key-wrapping and sealing format of this package.
const FormatV1 = 1

// Sizes.
const (
	DataKeyLen         = 32 // the per-holder data key (256 bits)
	SaltLen            = 16
	MinDeviceSecretLen = 32
	MaxDeviceSecretLen = 256
	MinPepperLen       = 32
	recoveryCodeBytes  = 20 // 160 bits: 32 base32 characters
	recoveryGroup      = 4
)

// HKDF info strings (domain separation). The holder id is appended to
// the key-encryption-key infos.
const (
	infoKEK      = "cairn wallet kek v1"
	infoRecovery = "cairn wallet recovery kek v1"
	infoRecords  = "cairn wallet records v1"
	infoLookup   = "cairn wallet recovery lookup v1"
	infoSession  = "cairn wallet session v1"
)

// KDFParams are Argon2id parameters (RFC 9106): passes, memory in KiB
// and lanes.
type KDFParams struct {
	Time      uint32 `json:"t"`
	MemoryKiB uint32 `json:"m"`
	Threads   uint8  `json:"p"`
}

// DefaultKDF is the Argon2id cost of a PIN unlock and of a recovery: t=3,
// m=64 MiB, p=1 (docs/wallet-security.md justifies it; the benchmark is
// BenchmarkUnlock).
var DefaultKDF = KDFParams{Time: 3, MemoryKiB: 64 << 10, Threads: 1}

// Bounds of KDFParams read from a store or an export file, so a corrupt
// or hostile value cannot make the agent allocate without limit.
const (
	maxKDFTime   = 16
	maxKDFMemory = 1 << 20 // 1 GiB
	maxKDFLanes  = 16
)

// ErrKDFParams: Argon2id parameters out of bounds.
var ErrKDFParams = errors.New("wallet: argon2id parameters out of bounds")

// Check reports whether p is within the bounds this package accepts.
func (p KDFParams) Check() error {
	if p.Time < 1 || p.Time > maxKDFTime || p.Threads < 1 || p.Threads > maxKDFLanes ||
		p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxKDFMemory {
		return fmt.Errorf("%w: t=%d m=%d KiB p=%d", ErrKDFParams, p.Time, p.MemoryKiB, p.Threads)
	}
	return nil
}

func (p KDFParams) derive(secret, salt []byte) []byte {
	return argon2.IDKey(secret, salt, p.Time, p.MemoryKiB, p.Threads, 32)
}

// hkdfKey is HKDF-SHA256 (RFC 5869) with no salt.
func hkdfKey(ikm []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, ikm, nil, info, 32)
	if err != nil {
		panic("wallet: hkdf: " + err.Error()) // only for lengths > 255*32
	}
	return k
}

// pinKEK derives the key that wraps a holder's data key from the PIN:
// HKDF-SHA256(ikm = Argon2id(PIN, salt) || device secret || pepper,
// info = "cairn wallet kek v1" || holder id).
func pinKEK(p KDFParams, pin string, salt, device, pepper []byte, holderID string) []byte {
	stretched := p.derive([]byte(pin), salt)
	ikm := make([]byte, 0, len(stretched)+len(device)+len(pepper))
	ikm = append(append(append(ikm, stretched...), device...), pepper...)
	defer clear(ikm)
	return hkdfKey(ikm, infoKEK+holderID)
}

// recoveryKEK derives the key that wraps the data key from the recovery
// code: HKDF-SHA256(ikm = Argon2id(code, salt) || pepper, info = "cairn
// wallet recovery kek v1" || holder id).
func recoveryKEK(p KDFParams, code, salt, pepper []byte, holderID string) []byte {
	stretched := p.derive(code, salt)
	ikm := append(stretched, pepper...)
	defer clear(ikm)
	return hkdfKey(ikm, infoRecovery+holderID)
}

// recoveryLookup is the index of a recovery code: HMAC-SHA256 keyed with
// the pepper, truncated to 128 bits, hex.
func recoveryLookup(pepper, code []byte) string {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(infoLookup))
	m.Write(code)
	return fmt.Sprintf("%x", m.Sum(nil)[:16])
}

// newAEAD is XChaCha20-Poly1305 (192-bit random nonces, so random nonces
// never realistically repeat under one key).
func newAEAD(key []byte) cipher.AEAD {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		panic("wallet: xchacha20poly1305: " + err.Error()) // only for a wrong key length
	}
	return a
}

// errOpen: an AEAD open failed (wrong key, or a modified ciphertext,
// associated data or address).
var errOpen = errors.New("wallet: cannot decrypt")

// seal encrypts pt as version byte || nonce || ciphertext with ad.
func seal(key, nonce, pt, ad []byte) []byte {
	a := newAEAD(key)
	out := make([]byte, 0, 1+len(nonce)+len(pt)+a.Overhead())
	out = append(append(out, FormatV1), nonce...)
	return a.Seal(out, nonce, pt, ad)
}

// open reverses seal.
func open(key, sealed, ad []byte) ([]byte, error) {
	return openWith(newAEAD(key), nil, sealed, ad)
}

// openWith is open with the AEAD of the key, appending the plaintext to
// dst.
func openWith(a cipher.AEAD, dst, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < 1+a.NonceSize()+a.Overhead() || sealed[0] != FormatV1 {
		return nil, errOpen
	}
	pt, err := a.Open(dst, sealed[1:1+a.NonceSize()], sealed[1+a.NonceSize():], ad)
	if err != nil {
		return nil, errOpen
	}
	return pt, nil
}

// wrapAD is the associated data of a wrapped data key.
func wrapAD(holderID, by string) []byte {
	return []byte("cairn wallet data key v1\x00" + holderID + "\x00" + by)
}

// Session tokens are sid "." secret, both base64url: sid (128 random
// bits) names the stored SessionRecord; secret (256 random bits) is
// never stored and derives the key that wraps the data key in it.
const (
	sessionIDBytes     = 16
	sessionSecretBytes = 32
	maxTokenLen        = 128
)

// sessionKEK is the key that wraps a holder's data key in a session
// record: HKDF-SHA256(ikm = the token's secret, salt = sid, info =
// "cairn wallet session v1").
func sessionKEK(secret []byte, sid string) []byte {
	k, err := hkdf.Key(sha256.New, secret, []byte(sid), infoSession, 32)
	if err != nil {
		panic("wallet: hkdf: " + err.Error())
	}
	return k
}

// sessionAD is the associated data of a session's wrapped data key.
func sessionAD(holderID, sid string) []byte {
	return []byte(infoSession + "\x00" + holderID + "\x00" + sid)
}

// parseToken splits a session token into its sid and secret; anything
// malformed is ErrSession.
func parseToken(token string) (string, []byte, error) {
	if len(token) > maxTokenLen {
		return "", nil, ErrSession
	}
	sid, sec, ok := strings.Cut(token, ".")
	if !ok {
		return "", nil, ErrSession
	}
	id, err := jose.B64.DecodeString(sid)
	if err != nil || len(id) != sessionIDBytes {
		return "", nil, ErrSession
	}
	secret, err := jose.B64.DecodeString(sec)
	if err != nil || len(secret) != sessionSecretBytes {
		return "", nil, ErrSession
	}
	return sid, secret, nil
}

// recordAD is the associated data of a sealed record: its address.
func recordAD(holderID, kind, id string) []byte {
	return []byte("cairn wallet record v1\x00" + holderID + "\x00" + kind + "\x00" + id)
}

// CheckPIN reports whether pin is 4 to 8 ASCII digits.
func CheckPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 8 {
		return fmt.Errorf("%w: a PIN has 4 to 8 digits", ErrInvalidPIN)
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: a PIN has digits only", ErrInvalidPIN)
		}
	}
	return nil
}

func checkDeviceSecret(d []byte) error {
	if len(d) < MinDeviceSecretLen || len(d) > MaxDeviceSecretLen {
		return fmt.Errorf("%w: a device secret has %d to %d bytes", ErrInvalidRequest, MinDeviceSecretLen, MaxDeviceSecretLen)
	}
	return nil
}

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// formatRecoveryCode writes 20 bytes as 8 groups of 4 base32 characters.
func formatRecoveryCode(b []byte) string {
	s := recoveryEncoding.EncodeToString(b)
	var out strings.Builder
	for i := 0; i < len(s); i += recoveryGroup {
		if i > 0 {
			out.WriteByte('-')
		}
		out.WriteString(s[i:min(i+recoveryGroup, len(s))])
	}
	return out.String()
}

// ParseRecoveryCode reads a recovery code as people type it: case,
// spaces and hyphens do not matter, and 0, 1 and 8 (not in the base32
// alphabet) are read as O, I and B.
func ParseRecoveryCode(code string) ([]byte, error) {
	var s strings.Builder
	for _, c := range strings.ToUpper(code) {
		switch {
		case c == ' ' || c == '-' || c == '\t':
		case c == '0':
			s.WriteByte('O')
		case c == '1':
			s.WriteByte('I')
		case c == '8':
			s.WriteByte('B')
		case c < 128:
			s.WriteRune(c)
		default:
			return nil, ErrRecoveryCode
		}
	}
	b, err := recoveryEncoding.DecodeString(s.String())
	if err != nil || len(b) != recoveryCodeBytes {
		return nil, ErrRecoveryCode
	}
	return b, nil
}
