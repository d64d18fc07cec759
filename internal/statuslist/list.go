// Package statuslist owns the IETF Token Status List (TSL,
// draft-ietf-oauth-status-list-21) in its JOSE form:
//
//   - the Status List itself (§4.1 compressed byte array, §4.2 JSON
//     encoding): entries of 1, 2, 4 or 8 bits packed from the least
//     significant bit, zlib-compressed (RFC 1950) and base64url-encoded;
//   - the Status List Token as a JWT (§5.1, typ "statuslist+jwt"), signed
//     and verified through internal/jose;
//   - the reference a Referenced Token carries (§6.1,
//     "status": {"status_list": {"idx", "uri"}});
//   - the status values of §7.1;
//   - random, unique index allocation for issuers, so that the order of
//     indices reveals neither issuance order nor links between
//     credentials (the draft's privacy considerations on correlation),
//     and never twice (its implementation note on double allocation);
//   - fetching a Status List Token by its URI (§8.1) through the guarded
//     client of internal/httpx (Fetcher), and reading a status from tokens
//     held offline (OfflineStatus), e.g. an offline bundle's.
//
// The CWT/COSE forms (§4.3, §5.2, §6.3) are out of scope.
//
// Every input is bounded: lists hold at most MaxEntries entries, and
// decompression stops as soon as the configured cap is exceeded, so a
// zlib bomb costs at most the cap in memory and time.
package statuslist

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"

	"github.com/cairn-id/cairn/internal/jose"
)

// Bits is the number of bits per status entry (§4.1): 1, 2, 4 or 8.
type Bits int

// Status values registered by §7.1. 0x03 and 0x0B–0x0F are reserved for
// application-specific use; other values need an 8-bit list and an IANA
// registration, so this package stores them but gives them no meaning.
const (
	StatusValid     uint8 = 0x00
	StatusInvalid   uint8 = 0x01
	StatusSuspended uint8 = 0x02
	// StatusApplicationSpecific is 0x03, usable in lists of 2 bits or more.
	StatusApplicationSpecific uint8 = 0x03
)

// MaxEntries bounds the number of entries in a List and in an Allocator
// (16,777,216): 2 MiB of state at 1 bit, 16 MiB at 8 bits.
const MaxEntries = 1 << 24

// Errors returned at the package boundary; match them with errors.Is.
var (
	ErrMalformed        = errors.New("statuslist: malformed status list")
	ErrTooLarge         = errors.New("statuslist: status list exceeds size limit")
	ErrInvalidBits      = errors.New("statuslist: bits must be 1, 2, 4 or 8")
	ErrInvalidSize      = errors.New("statuslist: size must be positive")
	ErrInvalidStatus    = errors.New("statuslist: status does not fit in the list's bits")
	ErrIndexOutOfRange  = errors.New("statuslist: index out of range")
	ErrListFull         = errors.New("statuslist: no unused index left")
	ErrIndexInUse       = errors.New("statuslist: index already allocated")
	ErrInvalidToken     = errors.New("statuslist: invalid status list token")
	ErrExpired          = errors.New("statuslist: status list token expired")
	ErrSubjectMismatch  = errors.New("statuslist: status list token sub does not match the referenced uri")
	ErrInvalidReference = errors.New("statuslist: invalid status_list reference")
)

// Valid reports whether b is one of the bit sizes §4.1 allows.
func (b Bits) Valid() bool { return b == 1 || b == 2 || b == 4 || b == 8 }

// maxBytes is the largest byte array a list of b bits may have.
func (b Bits) maxBytes() int { return MaxEntries * int(b) / 8 }

// List is a Status List: a byte array of entries of Bits bits each, entry i
// in byte i*bits/8 at bit offset (i mod 8/bits)*bits (§4.1). A List is not
// safe for concurrent mutation.
type List struct {
	bits Bits
	size int
	data []byte
}

// New returns a list of size entries, all VALID (0).
func New(bits Bits, size int) (*List, error) {
	if !bits.Valid() {
		return nil, fmt.Errorf("%w: got %d", ErrInvalidBits, bits)
	}
	if size <= 0 {
		return nil, fmt.Errorf("%w: got %d", ErrInvalidSize, size)
	}
	if size > MaxEntries {
		return nil, fmt.Errorf("%w: %d entries, limit %d", ErrTooLarge, size, MaxEntries)
	}
	n := (size*int(bits) + 7) / 8
	return &List{bits: bits, size: size, data: make([]byte, n)}, nil
}

// FromBytes returns a list of size entries over a copy of data, the
// uncompressed byte array of a list of that size (as Bytes returns it).
func FromBytes(bits Bits, size int, data []byte) (*List, error) {
	l, err := New(bits, size)
	if err != nil {
		return nil, err
	}
	if len(data) != len(l.data) {
		return nil, fmt.Errorf("%w: %d bytes for %d entries of %d bits, want %d", ErrMalformed, len(data), size, bits, len(l.data))
	}
	copy(l.data, data)
	return l, nil
}

// Len is the number of entries. For a decoded list it is the byte length
// times 8/bits: the draft pads the last byte and does not transmit the
// issuer's intended size.
func (l *List) Len() int { return l.size }

// Bits is the number of bits per entry.
func (l *List) Bits() Bits { return l.bits }

// Bytes returns a copy of the uncompressed byte array.
func (l *List) Bytes() []byte { return bytes.Clone(l.data) }

func (l *List) locate(idx int) (byteIdx int, shift uint, mask uint8, err error) {
	if idx < 0 || idx >= l.size {
		return 0, 0, 0, fmt.Errorf("%w: %d not in [0, %d)", ErrIndexOutOfRange, idx, l.size)
	}
	b := int(l.bits)
	perByte := 8 / b
	return idx / perByte, uint((idx % perByte) * b), uint8(1<<b - 1), nil
}

// Get returns the status of entry idx.
func (l *List) Get(idx int) (uint8, error) {
	bi, shift, mask, err := l.locate(idx)
	if err != nil {
		return 0, err
	}
	return (l.data[bi] >> shift) & mask, nil
}

// Set stores status at entry idx. The status must fit in Bits bits.
func (l *List) Set(idx int, status uint8) error {
	bi, shift, mask, err := l.locate(idx)
	if err != nil {
		return err
	}
	if status&^mask != 0 {
		return fmt.Errorf("%w: %#x in a %d-bit list", ErrInvalidStatus, status, l.bits)
	}
	l.data[bi] = l.data[bi]&^(mask<<shift) | status<<shift
	return nil
}

// Encode returns the "lst" value (§4.2): the byte array compressed with
// zlib at the best compression level, then base64url without padding.
func (l *List) Encode() (string, error) {
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return "", fmt.Errorf("statuslist: zlib: %w", err)
	}
	if _, err := zw.Write(l.data); err != nil {
		return "", fmt.Errorf("statuslist: zlib: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("statuslist: zlib: %w", err)
	}
	return jose.B64.EncodeToString(buf.Bytes()), nil
}

// Decode parses an "lst" value of a list with the given bits.
//
// maxDecompressed caps the size of the decompressed byte array; 0 or a
// value above the largest list of MaxEntries entries means that largest
// size. Decompression reads at most maxDecompressed+1 bytes, so a zlib
// bomb fails with ErrTooLarge without being inflated. The base64url must
// be unpadded and canonical, the data one complete zlib stream with a
// correct checksum and nothing after it, and the result non-empty.
func Decode(bits Bits, lst string, maxDecompressed int) (*List, error) {
	if !bits.Valid() {
		return nil, fmt.Errorf("%w: got %d", ErrInvalidBits, bits)
	}
	if maxDecompressed <= 0 || maxDecompressed > bits.maxBytes() {
		maxDecompressed = bits.maxBytes()
	}
	// Deflate never needs more than a few bytes per 64 KiB stored block
	// beyond its input, so a longer lst cannot be a list within the cap.
	maxCompressed := maxDecompressed + maxDecompressed/64 + 64
	if len(lst) > jose.B64.EncodedLen(maxCompressed) {
		return nil, fmt.Errorf("%w: lst has %d characters", ErrTooLarge, len(lst))
	}
	raw, err := jose.DecodeSegment(lst)
	if err != nil {
		return nil, fmt.Errorf("%w: lst: %v", ErrMalformed, err)
	}
	src := bytes.NewReader(raw)
	zr, err := zlib.NewReader(src)
	if err != nil {
		return nil, fmt.Errorf("%w: lst is not zlib data: %v", ErrMalformed, err)
	}
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, int64(maxDecompressed)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: lst: zlib: %v", ErrMalformed, err)
	}
	if len(data) > maxDecompressed {
		return nil, fmt.Errorf("%w: decompressed list exceeds %d bytes", ErrTooLarge, maxDecompressed)
	}
	// ReadAll stopped at io.EOF, which zlib only returns after checking the
	// Adler-32 trailer; flate reads the bytes.Reader byte by byte, so any
	// leftover is data after the stream.
	if src.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the zlib stream", ErrMalformed, src.Len())
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty status list", ErrMalformed)
	}
	return &List{bits: bits, size: len(data) * 8 / int(bits), data: data}, nil
}
