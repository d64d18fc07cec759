package statuslist

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

func TestRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, bits := range []Bits{1, 2, 4, 8} {
		for _, size := range []int{1, 7, 1003, 100_000} {
			l, err := New(bits, size)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]uint8, size)
			for i := range want {
				want[i] = uint8(rng.IntN(1 << bits))
				if err := l.Set(i, want[i]); err != nil {
					t.Fatal(err)
				}
			}
			lst, err := l.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(bits, lst, 0)
			if err != nil {
				t.Fatalf("bits %d size %d: %v", bits, size, err)
			}
			if back.Len() < size || back.Len() > size+8 {
				t.Fatalf("bits %d size %d: decoded Len %d", bits, size, back.Len())
			}
			for i := range back.Len() {
				got, err := back.Get(i)
				if err != nil {
					t.Fatal(err)
				}
				exp := uint8(0) // padding entries decode as VALID
				if i < size {
					exp = want[i]
				}
				if got != exp {
					t.Fatalf("bits %d size %d: entry %d = %d, want %d", bits, size, i, got, exp)
				}
			}
		}
	}
}

// TestPacking pins the LSB-first layout of §4.1 on hand-computed bytes.
func TestPacking(t *testing.T) {
	tests := []struct {
		bits Bits
		set  map[int]uint8
		want []byte
	}{
		{1, map[int]uint8{0: 1}, []byte{0x01}},
		{1, map[int]uint8{7: 1, 8: 1}, []byte{0x80, 0x01}},
		{2, map[int]uint8{0: 1, 1: 2, 3: 3}, []byte{0b11_00_10_01}},
		{4, map[int]uint8{0: 0xA, 1: 0x5, 2: 0xF}, []byte{0x5A, 0x0F}},
		{8, map[int]uint8{1: 0xFF}, []byte{0x00, 0xFF}},
	}
	for _, tc := range tests {
		n := len(tc.want) * 8 / int(tc.bits)
		l, err := New(tc.bits, n)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range tc.set {
			if err := l.Set(i, s); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(l.Bytes(), tc.want) {
			t.Errorf("bits %d %v: bytes %08b, want %08b", tc.bits, tc.set, l.Bytes(), tc.want)
		}
		// Overwriting must clear the old bits, not OR into them.
		for i := range tc.set {
			if err := l.Set(i, 0); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(l.Bytes(), make([]byte, len(tc.want))) {
			t.Errorf("bits %d: after clearing, bytes %08b", tc.bits, l.Bytes())
		}
	}
}

func TestListErrors(t *testing.T) {
	if _, err := New(3, 10); !errors.Is(err, ErrInvalidBits) {
		t.Errorf("New(3): %v", err)
	}
	if _, err := New(1, 0); !errors.Is(err, ErrInvalidSize) {
		t.Errorf("New(size 0): %v", err)
	}
	if _, err := New(1, MaxEntries+1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("New(MaxEntries+1): %v", err)
	}
	l, err := New(2, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, idx := range []int{-1, 10, 1 << 40} {
		if _, err := l.Get(idx); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("Get(%d): %v", idx, err)
		}
		if err := l.Set(idx, 1); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("Set(%d): %v", idx, err)
		}
	}
	if err := l.Set(0, 4); !errors.Is(err, ErrInvalidStatus) {
		t.Errorf("Set(0, 4) in a 2-bit list: %v", err)
	}
	if got, _ := l.Get(0); got != 0 {
		t.Errorf("failed Set changed entry 0 to %d", got)
	}
}

func zlibB64(t testing.TB, data []byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return jose.B64.EncodeToString(buf.Bytes())
}

func TestDecodeErrors(t *testing.T) {
	valid := zlibB64(t, []byte{0xb9, 0xa3})
	raw, _ := jose.DecodeSegment(valid)
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	fw.Write([]byte{0xb9, 0xa3})
	fw.Close()
	badSum := bytes.Clone(raw)
	badSum[len(badSum)-1] ^= 1

	tests := []struct {
		name string
		bits Bits
		lst  string
		max  int
		want error
	}{
		{"bits_0", 0, valid, 0, ErrInvalidBits},
		{"bits_3", 3, valid, 0, ErrInvalidBits},
		{"bits_16", 16, valid, 0, ErrInvalidBits},
		{"padded_base64url", 1, "eNrbuRgAAhcBXQ==", 0, ErrMalformed},
		{"standard_alphabet", 1, strings.ReplaceAll(strings.ReplaceAll(valid, "-", "+"), "_", "/") + "+", 0, ErrMalformed},
		{"non_canonical_trailing_bits", 1, "eNrbuRgAAhcBXR", 0, ErrMalformed},
		{"whitespace", 1, "eNrbuRgA AhcBXQ", 0, ErrMalformed},
		{"empty", 1, "", 0, ErrMalformed},
		{"not_zlib_raw_deflate", 1, jose.B64.EncodeToString(deflated.Bytes()), 0, ErrMalformed},
		{"not_zlib_text", 1, jose.B64.EncodeToString([]byte("hello, status list")), 0, ErrMalformed},
		{"bad_checksum", 1, jose.B64.EncodeToString(badSum), 0, ErrMalformed},
		{"truncated", 1, jose.B64.EncodeToString(raw[:len(raw)-2]), 0, ErrMalformed},
		{"trailing_garbage", 1, jose.B64.EncodeToString(append(bytes.Clone(raw), 0)), 0, ErrMalformed},
		{"empty_list", 1, zlibB64(t, nil), 0, ErrMalformed},
		{"over_cap", 1, zlibB64(t, make([]byte, 1025)), 1024, ErrTooLarge},
		{"lst_too_long_for_cap", 1, strings.Repeat("A", 4096), 16, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Decode(tc.bits, tc.lst, tc.max)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v (list %v), want %v", err, l, tc.want)
			}
		})
	}
	// The boundary itself is accepted.
	if l, err := Decode(1, zlibB64(t, make([]byte, 1024)), 1024); err != nil || l.Len() != 8192 {
		t.Fatalf("exactly at cap: %v", err)
	}
}

// zlibBomb compresses n zero bytes without holding them in memory.
func zlibBomb(t testing.TB, n int64) string {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if _, err := io.CopyN(zw, zeros{}, n); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return jose.B64.EncodeToString(buf.Bytes())
}

func TestDecodeZlibBomb(t *testing.T) {
	bomb := zlibBomb(t, 64<<20)
	t.Logf("64 MiB of zeros compress to %d base64url characters", len(bomb))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(8, bomb, 1<<20)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	// Loose bound: inflating the bomb would allocate 64 MiB; the capped
	// read allocates a few MiB. 32 MiB leaves room for anything else.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("Decode allocated %d bytes on a 1 MiB cap", alloc)
	}
}

func BenchmarkDecodeZlibBomb(b *testing.B) {
	bomb := zlibBomb(b, 64<<20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(8, bomb, 1<<20); !errors.Is(err, ErrTooLarge) {
			b.Fatal(err)
		}
	}
}

func TestFromBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		bits Bits
		size int
		data []byte
		err  error
	}{
		{"2-bit list", 2, 8, []byte{0x00, 0x24}, nil},
		{"short", 2, 8, []byte{0x00}, ErrMalformed},
		{"long", 2, 8, []byte{0, 0, 0}, ErrMalformed},
		{"bad bits", 3, 8, []byte{0, 0, 0}, ErrInvalidBits},
		{"bad size", 2, 0, nil, ErrInvalidSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := FromBytes(tc.bits, tc.size, tc.data)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("FromBytes: %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				return
			}
			for idx, want := range map[int]uint8{4: 0, 5: 1, 6: 2} { // 0x24 = 00 10 01 00, LSB first
				if got, _ := l.Get(idx); got != want {
					t.Errorf("entry %d = %d, want %d", idx, got, want)
				}
			}
			if err := l.Set(0, 1); err != nil {
				t.Fatal(err)
			}
			if tc.data[0] != 0 {
				t.Error("Set wrote through to the caller's slice")
			}
		})
	}
}
