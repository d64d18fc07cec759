// Package proximity owns the offline presentation encoding of Cairn
// (docs/proximity.md): an SD-JWT+KB presentation (RFC 9901 §4.3) packed
// small enough for a QR code a verifier's camera reads off a phone screen
// with no network. The text is "CP1:" followed by the base45 (RFC 9285)
// of the raw DEFLATE (RFC 1951, with the preset Dictionary) of a binary
// packing of the presentation:
// every base64url segment of the compact serialization is decoded to its
// bytes, so DEFLATE sees the JSON and the signatures rather than their
// base64url. All characters are in the QR alphanumeric set (ISO/IEC
// 18004 §7.4.4), which packs 5.5 bits per character. The Key Binding JWT
// binds the presentation to the verifier's challenge: nonce = the
// challenge, aud = Audience.
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

// ErrFormat: the text is not a format 1 proximity presentation.
var ErrFormat = errors.New("proximity: not a Cairn proximity presentation")

var b64 = base64.RawURLEncoding.Strict()

// Encode packs a compact SD-JWT+KB presentation. Packing: the compact
// form is split on '~' (the parts) and each part on '.' (its segments);
// the byte stream is, per part, a uvarint segment count, then per
// segment a uvarint length and the base64url-decoded bytes. An empty
// trailing part (an SD-JWT without KB-JWT ends with '~') is kept.
func Encode(presentation string) (string, error) {
	if len(presentation) > MaxPresentationLen {
		return "", fmt.Errorf("%w: presentation too long", ErrFormat)
	}
	var raw bytes.Buffer
	parts := strings.Split(presentation, "~")
	raw.Write(binary.AppendUvarint(nil, uint64(len(parts))))
	for _, p := range parts {
		segs := strings.Split(p, ".")
		if p == "" {
			segs = nil
		}
		raw.Write(binary.AppendUvarint(nil, uint64(len(segs))))
		for _, sgm := range segs {
			b, err := b64.DecodeString(sgm)
			if err != nil {
				return "", fmt.Errorf("%w: a segment is not base64url", ErrFormat)
			}
			raw.Write(binary.AppendUvarint(nil, uint64(len(b))))
			raw.Write(b)
		}
	}
	var z bytes.Buffer
	w, _ := flate.NewWriterDict(&z, flate.BestCompression, []byte(Dictionary))
	w.Write(raw.Bytes())
	if err := w.Close(); err != nil {
		return "", err
	}
	return Prefix + Base45(z.Bytes()), nil
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
	raw, err := io.ReadAll(io.LimitReader(flate.NewReaderDict(bytes.NewReader(z), []byte(Dictionary)), MaxPresentationLen+1))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if len(raw) > MaxPresentationLen {
		return "", fmt.Errorf("%w: too large", ErrFormat)
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
			l, err := next(uint64(r.Len()))
			if err != nil {
				return "", err
			}
			b := make([]byte, l)
			if _, err := io.ReadFull(r, b); err != nil {
				return "", ErrFormat
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
	`{"alg":"ES256","kid":"did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6I#0","typ":"dc+sd-jwt"}` +
	`{"_sd":["","_sd_alg":"sha-256","cnf":{"jwk":{"crv":"P-256","kty":"EC","x":"","y":""}},` +
	`"evidence":{"method":"in_person","strength":2,"validity":2,"verification":2},"exp":1,"iat":1,` +
	`"iss":"did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6I","status":{"status_list":{"idx":,"uri":"https://` +
	`/status/"}},"sub":"did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6I","vct":"urn:cairn:vct:humanitarian-registration:1"}`

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
