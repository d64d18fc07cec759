package sdjwt

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jsonx"
)

// Default limits (see Limits).
const (
	DefaultMaxTokenLen    = 256 << 10
	DefaultMaxDisclosures = 512
	// A PID's portrait is one disclosure: the EU reference PID's JPEG is
	// 18 KiB encoded. 64 KiB leaves room for a larger photo while the
	// whole token stays within DefaultMaxTokenLen.
	DefaultMaxDisclosureLen = 64 << 10
	DefaultMaxDepth         = 32
	DefaultMaxSignatures    = 8
)

// HashAlg is the _sd_alg this package issues, and the one assumed when a
// payload has none (§4.1.1); HashAlgs lists those it accepts.
const HashAlg = "sha-256"

func (l Limits) withDefaults() Limits {
	if l.MaxTokenLen <= 0 {
		l.MaxTokenLen = DefaultMaxTokenLen
	}
	if l.MaxDisclosures <= 0 {
		l.MaxDisclosures = DefaultMaxDisclosures
	}
	if l.MaxDisclosureLen <= 0 {
		l.MaxDisclosureLen = DefaultMaxDisclosureLen
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxSignatures <= 0 {
		l.MaxSignatures = DefaultMaxSignatures
	}
	return l
}

// Parse splits a compact SD-JWT or SD-JWT+KB (§4, §5) and decodes the
// issuer JWT's header and payload and every disclosure. It verifies no
// signature. The serialization must end with "~" (SD-JWT) or with a
// KB-JWT (SD-JWT+KB); empty disclosures and padded base64url are refused.
func Parse(serialized string, lim Limits) (*SDJWT, error) {
	t, _, _, err := parse(serialized, lim.withDefaults())
	return t, err
}

// parse is Parse that also returns the parsed issuer JWS and KB-JWT (nil
// when absent), so Verify decodes each only once.
func parse(serialized string, lim Limits) (*SDJWT, *jose.JWS, *jose.JWS, error) {
	if len(serialized) > lim.MaxTokenLen {
		return nil, nil, nil, fmt.Errorf("%w: serialization is %d bytes, limit %d", ErrTooLarge, len(serialized), lim.MaxTokenLen)
	}
	first := strings.IndexByte(serialized, '~')
	if first < 0 {
		return nil, nil, nil, fmt.Errorf("%w: no '~' separator", ErrMalformed)
	}
	last := strings.LastIndexByte(serialized, '~')
	t := &SDJWT{IssuerJWT: serialized[:first], KBJWT: serialized[last+1:]}

	jws, err := jose.Parse(t.IssuerJWT)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: issuer JWT: %w", joseToSentinel(err), err)
	}
	t.Header = jws.Header
	if t.Payload, err = decodeObject(jws.Payload); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: issuer JWT payload: %v", ErrMalformed, err)
	}

	if first < last {
		middle := serialized[first+1 : last]
		n := strings.Count(middle, "~") + 1
		if n > lim.MaxDisclosures {
			return nil, nil, nil, fmt.Errorf("%w: %d disclosures, limit %d", ErrTooLarge, n, lim.MaxDisclosures)
		}
		t.Disclosures = make([]*Disclosure, 0, n)
		// The disclosures and their structs are allocated together, and
		// each is base64-decoded into one reused buffer (jsonx copies what
		// it keeps).
		structs := make([]Disclosure, n)
		var scratch []byte
		for rest := middle; ; {
			enc, more, found := strings.Cut(rest, "~")
			d := &structs[len(t.Disclosures)]
			if scratch, err = decodeDisclosureInto(d, enc, lim, scratch[:0]); err != nil {
				return nil, nil, nil, fmt.Errorf("disclosure %d: %w", len(t.Disclosures)+1, err)
			}
			t.Disclosures = append(t.Disclosures, d)
			if !found {
				break
			}
			rest = more
		}
	}

	t.rehash()
	var kb *jose.JWS
	if t.KBJWT != "" {
		if kb, err = jose.Parse(t.KBJWT); err != nil {
			return nil, nil, nil, fmt.Errorf("%w: key binding JWT: %w", joseToSentinel(err), err)
		}
	}
	return t, jws, kb, nil
}

func joseToSentinel(err error) error {
	if errors.Is(err, jose.ErrTooLarge) {
		return ErrTooLarge
	}
	return ErrMalformed
}

// decodeDisclosure decodes one encoded disclosure (§4.2).
func decodeDisclosure(enc string, lim Limits) (*Disclosure, error) {
	d := &Disclosure{}
	if _, err := decodeDisclosureInto(d, enc, lim, nil); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeDisclosureInto decodes one encoded disclosure (§4.2) into d and
// computes its digest over the exact encoded bytes (§4.2.3). buf is scratch
// space for the decoded JSON; it is returned for reuse.
func decodeDisclosureInto(d *Disclosure, enc string, lim Limits, buf []byte) ([]byte, error) {
	if enc == "" {
		return buf, fmt.Errorf("%w: empty disclosure", ErrMalformed)
	}
	if len(enc) > lim.MaxDisclosureLen {
		return buf, fmt.Errorf("%w: disclosure is %d bytes, limit %d", ErrTooLarge, len(enc), lim.MaxDisclosureLen)
	}
	raw, err := jose.AppendDecodeSegment(buf, enc)
	if err != nil {
		return buf, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var arr [3]jsonx.Elem
	n, err := jsonx.DecodeArray(raw, arr[:])
	if err != nil {
		return raw, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if n != 2 && n != 3 {
		return raw, fmt.Errorf("%w: disclosure is not a JSON array of 2 or 3 elements", ErrMalformed)
	}
	*d = Disclosure{Encoded: enc, Digest: digestOf(enc)}
	if !arr[0].IsStr {
		return raw, fmt.Errorf("%w: disclosure salt is not a string", ErrMalformed)
	}
	d.Salt = arr[0].Str
	if n == 2 {
		d.IsArray, d.Value = true, arr[1].Value()
		return raw, nil
	}
	if !arr[1].IsStr {
		return raw, fmt.Errorf("%w: disclosure claim name is not a string", ErrMalformed)
	}
	d.Name, d.Value = arr[1].Str, arr[2].Value()
	return raw, nil
}

func decodeObject(b []byte) (map[string]any, error) {
	v, err := jsonx.Decode(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// digestOf is base64url(SHA-256(s)) (§4.2.3).
func digestOf(s string) string {
	var enc [digestLen]byte
	return string(encodedDigest(&enc, s))
}

// digestLen is the length of a base64url SHA-256 digest.
const digestLen = 43

// encodedDigest writes base64url(SHA-256(s)) into enc and returns it. s is
// hashed through a stack buffer: a presented SD-JWT is kilobytes long and
// converting it to a []byte would copy it.
func encodedDigest(enc *[digestLen]byte, s string) []byte {
	h := sha256.New()
	var buf [512]byte
	for len(s) > 0 {
		n := copy(buf[:], s)
		h.Write(buf[:n])
		s = s[n:]
	}
	var sum [sha256.Size]byte
	jose.B64.Encode(enc[:], h.Sum(sum[:0]))
	return enc[:]
}

// String returns the compact serialization <JWT>~<D1>~…~<Dn>~[<KB-JWT>].
func (t *SDJWT) String() string {
	var sb strings.Builder
	n := len(t.IssuerJWT) + 1 + len(t.KBJWT)
	for _, d := range t.Disclosures {
		n += len(d.Encoded) + 1
	}
	sb.Grow(n)
	sb.WriteString(t.IssuerJWT)
	sb.WriteByte('~')
	for _, d := range t.Disclosures {
		sb.WriteString(d.Encoded)
		sb.WriteByte('~')
	}
	sb.WriteString(t.KBJWT)
	return sb.String()
}

// SDHash is the KB-JWT sd_hash (§4.3.1) of an SD-JWT with _sd_alg
// sha-256: base64url(SHA-256) of the ASCII bytes of the SD-JWT without its
// KB-JWT, "<JWT>~D1~…~Dn~". WithKeyBinding uses the SD-JWT's own _sd_alg.
func SDHash(withoutKB string) string { return digestOf(withoutKB) }
