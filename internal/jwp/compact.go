package jwp

import (
	"fmt"
	"strings"

	"github.com/cairn-id/cairn/internal/bbs"
	"github.com/cairn-id/cairn/internal/jose"
)

// Bounds of the compact parsers. A Cairn credential has tens of payloads;
// these leave ample room and keep a hostile input from costing more than a
// bounded number of hash-to-curve operations (one per payload slot).
const (
	// MaxCompactLen bounds a compact JWP, in bytes.
	MaxCompactLen = 128 << 10
	// MaxHeaderLen bounds a decoded header, in bytes.
	MaxHeaderLen = 4 << 10
	// MaxPayloads bounds the number of payload slots (bbs.MaxMessages).
	MaxPayloads = bbs.MaxMessages
	// MaxProofParts bounds the number of proof octet strings.
	MaxProofParts = 8
)

// Issued is a JWP in the issued form (JWP §6.1): the Issuer Header octets
// as received, every payload, and the proof octet strings. A zero-length
// payload is a non-nil empty slice; the issued form has no omitted slot.
type Issued struct {
	Header   []byte
	Payloads [][]byte
	Proof    [][]byte
}

// Presented is a JWP in the presented form (JWP §6.2). Payloads has one
// entry per slot of the issued JWP; a nil entry is an omitted (undisclosed)
// payload, a non-nil empty slice a disclosed zero-length one.
type Presented struct {
	PresentationHeader []byte
	IssuerHeader       []byte
	Payloads           [][]byte
	Proof              [][]byte
}

// Disclosed returns the zero-based indexes of the disclosed slots, in
// ascending order (JPA §6.2.5: the disclosed_indexes of ProofVerify).
func (p *Presented) Disclosed() []int {
	var idx []int
	for i, pl := range p.Payloads {
		if pl != nil {
			idx = append(idx, i)
		}
	}
	return idx
}

// ParseIssued parses the issued Compact Serialization
// header.payloads.proof (JWP §7.1).
func ParseIssued(s string) (*Issued, error) {
	parts, err := splitCompact(s, 3)
	if err != nil {
		return nil, err
	}
	h, err := decodeHeaderPart(parts[0], "issuer header")
	if err != nil {
		return nil, err
	}
	pls, err := decodePayloads(parts[1])
	if err != nil {
		return nil, err
	}
	for i, pl := range pls {
		if pl == nil {
			return nil, fmt.Errorf("%w: issued form omits payload %d", ErrMalformed, i)
		}
	}
	pr, err := decodeProof(parts[2])
	if err != nil {
		return nil, err
	}
	return &Issued{Header: h, Payloads: pls, Proof: pr}, nil
}

// ParsePresented parses the presented Compact Serialization
// presentation-header.issuer-header.payloads.proof (JWP §7.1). An empty
// payloads part is one omitted slot (detached payloads are not supported).
func ParsePresented(s string) (*Presented, error) {
	parts, err := splitCompact(s, 4)
	if err != nil {
		return nil, err
	}
	ph, err := decodeHeaderPart(parts[0], "presentation header")
	if err != nil {
		return nil, err
	}
	ih, err := decodeHeaderPart(parts[1], "issuer header")
	if err != nil {
		return nil, err
	}
	pls, err := decodePayloads(parts[2])
	if err != nil {
		return nil, err
	}
	pr, err := decodeProof(parts[3])
	if err != nil {
		return nil, err
	}
	return &Presented{PresentationHeader: ph, IssuerHeader: ih, Payloads: pls, Proof: pr}, nil
}

// Compact returns the issued Compact Serialization.
func (j *Issued) Compact() string {
	var b strings.Builder
	b.Grow(compactLen(j.Header, j.Payloads, j.Proof))
	b.WriteString(jose.B64.EncodeToString(j.Header))
	b.WriteByte('.')
	writeList(&b, j.Payloads)
	b.WriteByte('.')
	writeList(&b, j.Proof)
	return b.String()
}

// Compact returns the presented Compact Serialization.
func (p *Presented) Compact() string {
	var b strings.Builder
	b.Grow(compactLen(p.IssuerHeader, p.Payloads, p.Proof) + jose.B64.EncodedLen(len(p.PresentationHeader)) + 1)
	b.WriteString(jose.B64.EncodeToString(p.PresentationHeader))
	b.WriteByte('.')
	b.WriteString(jose.B64.EncodeToString(p.IssuerHeader))
	b.WriteByte('.')
	writeList(&b, p.Payloads)
	b.WriteByte('.')
	writeList(&b, p.Proof)
	return b.String()
}

func compactLen(h []byte, lists ...[][]byte) int {
	n := jose.B64.EncodedLen(len(h)) + 2
	for _, l := range lists {
		for _, v := range l {
			n += jose.B64.EncodedLen(len(v)) + 2
		}
	}
	return n
}

// writeList writes values joined by "~": nil as nothing (omitted), a
// zero-length value as "_" (JWP §7.1).
func writeList(b *strings.Builder, vals [][]byte) {
	for i, v := range vals {
		if i > 0 {
			b.WriteByte('~')
		}
		switch {
		case v == nil:
		case len(v) == 0:
			b.WriteByte('_')
		default:
			b.WriteString(jose.B64.EncodeToString(v))
		}
	}
}

// splitCompact checks the size and the alphabet (base64url, ".", "~"; "_"
// is in base64url) and splits on "." into exactly n parts.
func splitCompact(s string, n int) ([]string, error) {
	if len(s) > MaxCompactLen {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(s), MaxCompactLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return nil, fmt.Errorf("%w: byte 0x%02x at offset %d is not allowed", ErrMalformed, c, i)
		}
	}
	if got := strings.Count(s, ".") + 1; got != n {
		return nil, fmt.Errorf("%w: %d parts, want %d", ErrMalformed, got, n)
	}
	return strings.Split(s, "."), nil
}

func decodeHeaderPart(s, what string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty %s", ErrMalformed, what)
	}
	if jose.B64.DecodedLen(len(s)) > MaxHeaderLen {
		return nil, fmt.Errorf("%w: %s longer than %d bytes", ErrTooLarge, what, MaxHeaderLen)
	}
	b, err := jose.DecodeSegment(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
	}
	return b, nil
}

// decodeValue decodes one "~"-separated value: "" is nil (omitted), "_" a
// zero-length value, anything else canonical unpadded base64url of at least
// one byte.
func decodeValue(s string) ([]byte, error) {
	switch s {
	case "":
		return nil, nil
	case "_":
		return []byte{}, nil
	}
	b, err := jose.DecodeSegment(s)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func decodePayloads(s string) ([][]byte, error) {
	n := strings.Count(s, "~") + 1
	if n > MaxPayloads {
		return nil, fmt.Errorf("%w: %d payload slots, limit %d", ErrTooLarge, n, MaxPayloads)
	}
	out := make([][]byte, 0, n)
	for i, v := range strings.Split(s, "~") {
		b, err := decodeValue(v)
		if err != nil {
			return nil, fmt.Errorf("%w: payload %d: %w", ErrMalformed, i, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func decodeProof(s string) ([][]byte, error) {
	n := strings.Count(s, "~") + 1
	if n > MaxProofParts {
		return nil, fmt.Errorf("%w: %d proof values, limit %d", ErrTooLarge, n, MaxProofParts)
	}
	out := make([][]byte, 0, n)
	for i, v := range strings.Split(s, "~") {
		if v == "" {
			return nil, fmt.Errorf("%w: proof value %d is empty", ErrMalformed, i)
		}
		b, err := decodeValue(v)
		if err != nil {
			return nil, fmt.Errorf("%w: proof value %d: %w", ErrMalformed, i, err)
		}
		out = append(out, b)
	}
	return out, nil
}
