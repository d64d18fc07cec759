package statuslist

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// RandomTries is how many uniformly drawn indices Allocate tries before
// falling back to picking the k-th free index; at 90% use, 16 tries all
// miss with probability 0.9^16 ≈ 18%, and the fallback costs one pass
// over the bitmap (16 KiB for a million entries). A caller drawing
// indices itself (Uniform) and claiming them elsewhere (a database row
// per index) uses the same bound before it falls back to Allocate.
const RandomTries = 16

// allocatorVersion is the first byte of the MarshalBinary form.
const allocatorVersion = 1

// Allocator hands out unique indices of one status list in uniformly
// random order, so an index says nothing about when a credential was
// issued and consecutive credentials of one holder get unrelated indices
// (the draft's privacy considerations on correlation). It keeps one bit per
// index. It is not safe for concurrent use: an issuer serialises access
// and persists it with MarshalBinary in the same transaction that records
// the credential.
type Allocator struct {
	size int
	used int
	bm   []uint64
	rnd  io.Reader
	err  error
}

// NewAllocator returns an allocator for a list of size entries drawing
// randomness from rnd (crypto/rand when nil). A size outside
// [1, MaxEntries] gives an allocator whose every call fails.
func NewAllocator(size int, rnd io.Reader) *Allocator {
	if rnd == nil {
		rnd = rand.Reader
	}
	a := &Allocator{rnd: rnd}
	switch {
	case size <= 0:
		a.err = fmt.Errorf("%w: allocator size %d", ErrInvalidSize, size)
	case size > MaxEntries:
		a.err = fmt.Errorf("%w: allocator size %d, limit %d", ErrTooLarge, size, MaxEntries)
	default:
		a.size = size
		a.bm = make([]uint64, (size+63)/64)
	}
	return a
}

// Size is the number of indices the allocator manages.
func (a *Allocator) Size() int { return a.size }

// Used is the number of indices allocated or marked used.
func (a *Allocator) Used() int { return a.used }

func (a *Allocator) isUsed(i int) bool { return a.bm[i/64]&(1<<(i%64)) != 0 }

func (a *Allocator) mark(i int) {
	a.bm[i/64] |= 1 << (i % 64)
	a.used++
}

// Allocate returns an unused index chosen uniformly at random among the
// unused ones, and marks it used. It fails with ErrListFull when none is
// left and passes on errors of the random source.
func (a *Allocator) Allocate() (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	free := a.size - a.used
	if free == 0 {
		return 0, ErrListFull
	}
	// Rejection sampling is uniform over the free indices and cheap while
	// the list is mostly free.
	for range RandomTries {
		i, err := a.uniform(a.size)
		if err != nil {
			return 0, err
		}
		if !a.isUsed(i) {
			a.mark(i)
			return i, nil
		}
	}
	// Crowded list: pick k uniformly among the free indices and find the
	// k-th, which is just as uniform and always terminates.
	k, err := a.uniform(free)
	if err != nil {
		return 0, err
	}
	for w, word := range a.bm {
		valid := 64
		if rest := a.size - w*64; rest < 64 {
			valid = rest
		}
		freeBits := ^word
		if valid < 64 {
			freeBits &= 1<<valid - 1
		}
		n := bits.OnesCount64(freeBits)
		if k >= n {
			k -= n
			continue
		}
		for ; k > 0; k-- {
			freeBits &= freeBits - 1 // drop the lowest free bit
		}
		i := w*64 + bits.TrailingZeros64(freeBits)
		a.mark(i)
		return i, nil
	}
	return 0, fmt.Errorf("statuslist: allocator state inconsistent (used=%d)", a.used)
}

func (a *Allocator) uniform(n int) (int, error) { return Uniform(a.rnd, n) }

// Uniform returns an integer in [0, n) drawn from rnd (crypto/rand when
// nil) without modulo bias: the draw Allocate makes for each try.
func Uniform(rnd io.Reader, n int) (int, error) {
	if n <= 0 {
		return 0, fmt.Errorf("%w: %d", ErrInvalidSize, n)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [8]byte
	limit := ^uint64(0) - (^uint64(0) % uint64(n))
	for {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return 0, fmt.Errorf("statuslist: random source: %w", err)
		}
		v := binary.LittleEndian.Uint64(b[:])
		if v < limit {
			return int(v % uint64(n)), nil
		}
	}
}

// MarkUsed records idx as taken, for indices assigned elsewhere (an
// imported list, a migration). Marking an index twice is ErrIndexInUse.
func (a *Allocator) MarkUsed(idx int) error {
	if a.err != nil {
		return a.err
	}
	if idx < 0 || idx >= a.size {
		return fmt.Errorf("%w: %d not in [0, %d)", ErrIndexOutOfRange, idx, a.size)
	}
	if a.isUsed(idx) {
		return fmt.Errorf("%w: %d", ErrIndexInUse, idx)
	}
	a.mark(idx)
	return nil
}

// MarkUsedState returns state, a MarshalBinary form, with idx marked
// used: ErrIndexInUse when it already was, ErrIndexOutOfRange past the
// size, ErrMalformed for a bad state. A store keeping the state as bytes
// claims one index with it.
func MarkUsedState(state []byte, idx int) ([]byte, error) {
	var a Allocator
	if err := a.UnmarshalBinary(state); err != nil {
		return nil, err
	}
	if err := a.MarkUsed(idx); err != nil {
		return nil, err
	}
	return a.MarshalBinary()
}

// MarshalBinary encodes the allocator's state (not its random source):
// a version byte, the size as a 4-byte big-endian integer, and the bitmap
// of used indices, one bit per index, least significant bit first.
func (a *Allocator) MarshalBinary() ([]byte, error) {
	if a.err != nil {
		return nil, a.err
	}
	nbytes := (a.size + 7) / 8
	out := make([]byte, 5+nbytes)
	out[0] = allocatorVersion
	binary.BigEndian.PutUint32(out[1:5], uint32(a.size))
	for i := range nbytes {
		out[5+i] = byte(a.bm[i/8] >> (8 * (i % 8)))
	}
	return out, nil
}

// UnmarshalBinary replaces the state with one produced by MarshalBinary,
// keeping the random source. It checks the version, the size bound, the
// length and that no bit beyond the size is set; the used count is
// recomputed from the bitmap. On error the allocator is left unchanged.
func (a *Allocator) UnmarshalBinary(b []byte) error {
	if len(b) < 5 || b[0] != allocatorVersion {
		return fmt.Errorf("%w: allocator state: bad header", ErrMalformed)
	}
	size := int(binary.BigEndian.Uint32(b[1:5]))
	if size <= 0 || size > MaxEntries {
		return fmt.Errorf("%w: allocator state: size %d", ErrMalformed, size)
	}
	nbytes := (size + 7) / 8
	if len(b) != 5+nbytes {
		return fmt.Errorf("%w: allocator state: %d bytes, want %d", ErrMalformed, len(b), 5+nbytes)
	}
	if tail := size % 8; tail != 0 && b[len(b)-1]>>tail != 0 {
		return fmt.Errorf("%w: allocator state: bits set beyond size", ErrMalformed)
	}
	bm := make([]uint64, (size+63)/64)
	used := 0
	for i, v := range b[5:] {
		bm[i/8] |= uint64(v) << (8 * (i % 8))
		used += bits.OnesCount8(v)
	}
	if a.rnd == nil {
		a.rnd = rand.Reader
	}
	a.size, a.used, a.bm, a.err = size, used, bm, nil
	return nil
}
