// Package proximity owns the offline presentation encoding of Cairn
// (docs/proximity.md): an SD-JWT+KB presentation (RFC 9901 §4.3) packed
// small enough for a QR code a verifier's camera reads off a phone screen
// with no network. The text is "CP1:" followed by the base45 (RFC 9285)
// of the raw DEFLATE (RFC 1951, with the preset Dictionary) of a binary
// packing of the presentation: every base64url segment of the compact
// serialization is decoded to its bytes, and every did:jwk in its JSON to
// the JWK's JSON, so DEFLATE sees JSON and signatures rather than their
// base64url. All characters are in the QR alphanumeric set (ISO/IEC 18004
// §7.4.4), which packs 5.5 bits per character. The Key Binding JWT binds
// the presentation to the verifier's challenge: nonce = the challenge,
// aud = Audience.
package proximity

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cairn-id/cairn/internal/bounded"
)

// Prefix is the versioned prefix of format 1.
const Prefix = "CP1:"

// Audience is the aud of the Key Binding JWT of an offline presentation;
// the nonce is the verifier's challenge.
const Audience = "urn:cairn:proximity"

// Bounds.
const (
	// MaxTextLen bounds an encoded text (a version 40 QR code holds
	// 4,296 alphanumeric characters).
	MaxTextLen = 4296
	// MaxPresentationLen bounds the decoded presentation (a DEFLATE bomb
	// stops there).
	MaxPresentationLen = 64 << 10
	maxSegments        = 1024
)

// Errors. ErrFormat: the text (or, to Encode, the presentation) is not a
// format 1 proximity presentation. ErrTooLarge: the presentation does not
// fit a QR code (a version 40 code holds 4,296 characters).
var (
	ErrFormat   = errors.New("proximity: not a Cairn proximity presentation")
	ErrTooLarge = errors.New("proximity: presentation too large for a QR code")
)

var b64 = base64.RawURLEncoding.Strict()

// Encode packs a compact SD-JWT+KB presentation. Packing: the compact
// form is split on '~' (the parts) and each part on '.' (its segments);
// the byte stream is, per part, a uvarint segment count, then per
// segment a uvarint of length·2 + p and the base64url-decoded bytes, with
// p = 1 when its did:jwk DIDs are packed (packDIDs). An empty trailing
// part (an SD-JWT without KB-JWT ends with '~') is kept.
func Encode(presentation string) (string, error) {
	if len(presentation) > MaxPresentationLen {
		return "", fmt.Errorf("%w: presentation too long", ErrFormat)
	}
	var raw bytes.Buffer
	parts := strings.Split(presentation, "~")
	if len(parts) < 2 || len(parts) > maxSegments {
		return "", fmt.Errorf("%w: not an SD-JWT (%d parts)", ErrFormat, len(parts))
	}
	raw.Write(binary.AppendUvarint(nil, uint64(len(parts))))
	for _, p := range parts {
		segs := strings.Split(p, ".")
		if p == "" {
			segs = nil
		}
		if len(segs) > maxSegments {
			return "", fmt.Errorf("%w: %d segments", ErrFormat, len(segs))
		}
		raw.Write(binary.AppendUvarint(nil, uint64(len(segs))))
		for _, sgm := range segs {
			b, err := b64.DecodeString(sgm)
			if err != nil || b64.EncodeToString(b) != sgm { // the decoder skips CR and LF
				return "", fmt.Errorf("%w: a segment is not base64url", ErrFormat)
			}
			flag := uint64(0)
			if t, ok := packDIDs(b); ok {
				b, flag = t, 1
			}
			raw.Write(binary.AppendUvarint(nil, uint64(len(b))<<1|flag))
			raw.Write(b)
		}
	}
	var z bytes.Buffer
	w, _ := flate.NewWriterDict(&z, flate.BestCompression, []byte(Dictionary))
	w.Write(raw.Bytes())
	if err := w.Close(); err != nil {
		return "", err
	}
	text := Prefix + Base45(z.Bytes())
	if len(text) > MaxTextLen {
		return "", fmt.Errorf("%w: %d characters, more than a QR code holds", ErrTooLarge, len(text))
	}
	return text, nil
}

// Decode is the verifier's side: it unpacks text (as scanned, surrounding
// whitespace ignored) into the compact SD-JWT+KB presentation, which the
// verifier then checks offline (vccheck with a bundle, nonce = its
// challenge, audience = Audience).
func Decode(text string) (string, error) {
	text = strings.TrimSpace(text)
	if len(text) > MaxTextLen || !strings.HasPrefix(text, Prefix) {
		return "", ErrFormat
	}
	z, err := Unbase45(text[len(Prefix):])
	if err != nil {
		return "", err
	}
	raw, err := bounded.ReadAll(flate.NewReaderDict(bytes.NewReader(z), []byte(Dictionary)), MaxPresentationLen)
	if errors.Is(err, bounded.ErrTooLarge) {
		return "", fmt.Errorf("%w: too large", ErrFormat)
	}
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrFormat, err)
	}
	r := bytes.NewReader(raw)
	next := func(max uint64) (uint64, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > max {
			return 0, ErrFormat
		}
		return n, nil
	}
	np, err := next(maxSegments)
	if err != nil || np < 2 {
		return "", ErrFormat
	}
	var out strings.Builder
	for i := range np {
		if i > 0 {
			out.WriteByte('~')
		}
		ns, err := next(maxSegments)
		if err != nil {
			return "", err
		}
		for j := range ns {
			if j > 0 {
				out.WriteByte('.')
			}
			v, err := next(uint64(r.Len())<<1 | 1)
			if err != nil {
				return "", err
			}
			b := make([]byte, v>>1)
			if _, err := io.ReadFull(r, b); err != nil {
				return "", ErrFormat
			}
			if v&1 == 1 {
				if b, err = unpackDIDs(b); err != nil {
					return "", err
				}
			}
			out.WriteString(b64.EncodeToString(b))
		}
		if out.Len() > MaxPresentationLen {
			return "", fmt.Errorf("%w: too large", ErrFormat)
		}
	}
	if r.Len() != 0 {
		return "", fmt.Errorf("%w: trailing bytes", ErrFormat)
	}
	return out.String(), nil
}

// Dictionary is the DEFLATE preset dictionary of format 1 (RFC 1951
// §2, as zlib's FDICT): the JSON that every Cairn SD-JWT VC, disclosure
// and KB-JWT repeats, so even a small presentation compresses. It is part
// of the format: changing it needs a new prefix.
const Dictionary = `{"alg":"ES256","typ":"kb+jwt"}{"aud":"urn:cairn:proximity","iat":,"nonce":"","sd_hash":"` +
	`["","given_name","family_name","birthdate","nationality","nationalities","address","country","locality","languages",` +
	`"registration_id","registration_date","registration_place","document_number","expiry_date","level","language",` +
	`"vouched_by","relationship","since",` +
	`{"alg":"ES256","kid":"did:jwk:` + "\x00~" + `{"crv":"P-256","kty":"EC","x":"","y":""}#0","typ":"dc+sd-jwt"}` +
	`{"_sd":["","_sd_alg":"sha-256","cnf":{"jwk":{"crv":"P-256","kty":"EC","x":"","y":""}},` +
	`"evidence":{"method":"in_person","strength":2,"validity":2,"verification":2},"exp":1,"iat":1,` +
	`"iss":"did:jwk:` + "\x00~" + `{"crv":"P-256","kty":"EC","x":"","y":""}","status":{"status_list":{"idx":,"uri":"https://` +
	`/status/"}},"sub":"did:jwk:` + "\x00~" + `{"crv":"P-256","kty":"EC","x":"","y":""}","vct":"urn:cairn:vct:humanitarian-registration:1"}`

// didJWK is the text packDIDs looks for, and didMark its packed form's
// start: a NUL cannot occur in JSON text, so it marks a packed DID.
const (
	didJWK  = "did:jwk:"
	didMark = didJWK + "\x00"
)

// packDIDs replaces, in a JSON segment, each did:jwk DID by its decoded
// JWK JSON: "did:jwk:" NUL uvarint(length) bytes. A did:jwk repeats the
// key of cnf.jwk (sub) or of the header (iss, kid) as base64url of
// base64url text, which DEFLATE cannot match; decoded, it can. A
// segment holding a NUL (a signature, or not JSON) is left alone
// (ok=false), and so is a DID whose suffix is not canonical base64url.
func packDIDs(b []byte) (out []byte, ok bool) {
	if bytes.IndexByte(b, 0) >= 0 || !bytes.Contains(b, []byte(didJWK)) {
		return nil, false
	}
	for {
		i := bytes.Index(b, []byte(didJWK))
		if i < 0 {
			return append(out, b...), ok
		}
		out = append(out, b[:i+len(didJWK)]...)
		b = b[i+len(didJWK):]
		n := 0
		for n < len(b) && isB64URL(b[n]) {
			n++
		}
		dec, err := b64.DecodeString(string(b[:n]))
		if n == 0 || err != nil || b64.EncodeToString(dec) != string(b[:n]) {
			continue
		}
		out = append(out, 0)
		out = binary.AppendUvarint(out, uint64(len(dec)))
		out = append(out, dec...)
		b, ok = b[n:], true
	}
}

// unpackDIDs reverses packDIDs.
func unpackDIDs(b []byte) ([]byte, error) {
	var out []byte
	for {
		i := bytes.Index(b, []byte(didMark))
		if i < 0 {
			if bytes.IndexByte(b, 0) >= 0 {
				return nil, fmt.Errorf("%w: stray NUL", ErrFormat)
			}
			return append(out, b...), nil
		}
		if bytes.IndexByte(b[:i], 0) >= 0 {
			return nil, fmt.Errorf("%w: stray NUL", ErrFormat)
		}
		out = append(out, b[:i+len(didJWK)]...)
		b = b[i+len(didMark):]
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, fmt.Errorf("%w: packed DID", ErrFormat)
		}
		out = append(out, b64.EncodeToString(b[k:k+int(n)])...)
		if len(out) > MaxPresentationLen {
			return nil, fmt.Errorf("%w: too large", ErrFormat)
		}
		b = b[k+int(n):]
	}
}

func isB64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// base45Alphabet is RFC 9285 §4.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// Base45 encodes b (RFC 9285 §4): each 2 bytes become 3 characters, a
// last single byte 2.
func Base45(b []byte) string {
	out := make([]byte, 0, (len(b)+1)/2*3)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45%45], base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}

// Unbase45 decodes RFC 9285 base45, refusing invalid characters, lengths
// and values.
func Unbase45(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: base45 length", ErrFormat)
	}
	val := func(c byte) (int, error) {
		i := strings.IndexByte(base45Alphabet, c)
		if i < 0 {
			return 0, fmt.Errorf("%w: base45 character", ErrFormat)
		}
		return i, nil
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		if i+2 >= len(s) {
			c, err1 := val(s[i])
			d, err2 := val(s[i+1])
			if err := errors.Join(err1, err2); err != nil {
				return nil, err
			}
			n := c + d*45
			if n > 0xff {
				return nil, fmt.Errorf("%w: base45 value", ErrFormat)
			}
			out = append(out, byte(n))
			break
		}
		c, err1 := val(s[i])
		d, err2 := val(s[i+1])
		e, err3 := val(s[i+2])
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, err
		}
		n := c + d*45 + e*2025
		if n > 0xffff {
			return nil, fmt.Errorf("%w: base45 value", ErrFormat)
		}
		out = append(out, byte(n>>8), byte(n))
	}
	return out, nil
}
