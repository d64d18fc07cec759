package statuslist

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
)

func testRand(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return rand.NewChaCha8(s)
}

func TestAllocatorUniqueUntilFull(t *testing.T) {
	for _, size := range []int{1, 63, 64, 65, 5003} {
		a := NewAllocator(size, testRand(uint64(size)))
		seen := make([]bool, size)
		for n := range size {
			i, err := a.Allocate()
			if err != nil {
				t.Fatalf("size %d, allocation %d: %v", size, n, err)
			}
			if i < 0 || i >= size || seen[i] {
				t.Fatalf("size %d: index %d out of range or repeated", size, i)
			}
			seen[i] = true
		}
		if a.Used() != size {
			t.Errorf("size %d: Used() = %d", size, a.Used())
		}
		if _, err := a.Allocate(); !errors.Is(err, ErrListFull) {
			t.Errorf("size %d: allocation past full: %v", size, err)
		}
	}
}

func TestAllocatorCrowded(t *testing.T) {
	const size = 100_000
	a := NewAllocator(size, testRand(9))
	for i := range size * 9 / 10 {
		if err := a.MarkUsed(i * 10 / 9); err != nil { // spread over the range
			t.Fatal(err)
		}
	}
	seen := map[int]bool{}
	for a.Used() < size {
		i, err := a.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		if seen[i] {
			t.Fatalf("index %d allocated twice", i)
		}
		seen[i] = true
	}
	if len(seen) != size-size*9/10 {
		t.Fatalf("allocated %d indices in the free tenth", len(seen))
	}
	if _, err := a.Allocate(); !errors.Is(err, ErrListFull) {
		t.Fatal(err)
	}
}

// TestAllocatorUniformWhenCrowded checks that the fallback path (almost
// always taken when 99% is used) still picks uniformly among free indices.
func TestAllocatorUniformWhenCrowded(t *testing.T) {
	const size, free, trials = 1000, 10, 10_000
	a := NewAllocator(size, nil)
	freeIdx := map[int]int{}
	for i := range size {
		if i%100 == 37 {
			freeIdx[i] = 0
			continue
		}
		a.MarkUsed(i)
	}
	state, _ := a.MarshalBinary()
	b := NewAllocator(1, testRand(5))
	for range trials {
		if err := b.UnmarshalBinary(state); err != nil {
			t.Fatal(err)
		}
		i, err := b.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := freeIdx[i]; !ok {
			t.Fatalf("allocated used index %d", i)
		}
		freeIdx[i]++
	}
	// Each count is Binomial(10000, 0.1): mean 1000, sd 30.
	for i, n := range freeIdx {
		if n < 850 || n > 1150 {
			t.Errorf("free index %d picked %d times of %d, want about %d", i, n, trials, trials/free)
		}
	}
}

func TestAllocatorDistribution(t *testing.T) {
	const size = 1_000_000
	a := NewAllocator(size, testRand(1))
	got := make([]int, 1000)
	for n := range got {
		i, err := a.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		got[n] = i
	}
	if slices.IsSorted(got) {
		t.Error("allocations come out sorted")
	}
	var quarters [4]int
	for _, i := range got {
		quarters[i*4/size]++
	}
	// Each quarter count is Binomial(1000, 0.25): mean 250, sd 13.7.
	for q, n := range quarters {
		if n < 180 || n > 320 {
			t.Errorf("quarter %d got %d of 1000 allocations", q, n)
		}
	}
	ascending := 0
	for n := 1; n < len(got); n++ {
		if got[n] > got[n-1] {
			ascending++
		}
	}
	if ascending < 400 || ascending > 600 {
		t.Errorf("%d of 999 steps ascend; random order gives about 500", ascending)
	}
}

func TestAllocatorMarshalRoundTrip(t *testing.T) {
	a := NewAllocator(1001, testRand(2))
	taken := map[int]bool{}
	for range 300 {
		i, err := a.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		taken[i] = true
	}
	if err := a.MarkUsed(1000); err != nil && !errors.Is(err, ErrIndexInUse) {
		t.Fatal(err)
	}
	taken[1000] = true
	state, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(state) != 5+(1001+7)/8 {
		t.Errorf("state is %d bytes", len(state))
	}
	b := NewAllocator(1, testRand(3))
	if err := b.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if b.Used() != len(taken) || b.Size() != 1001 {
		t.Fatalf("restored Used %d Size %d, want %d 1001", b.Used(), b.Size(), len(taken))
	}
	again, _ := b.MarshalBinary()
	if !bytes.Equal(again, state) {
		t.Fatal("re-marshalled state differs")
	}
	for i := range taken {
		if err := b.MarkUsed(i); !errors.Is(err, ErrIndexInUse) {
			t.Fatalf("restored allocator forgot index %d: %v", i, err)
		}
	}
	for b.Used() < b.Size() {
		i, err := b.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		if taken[i] {
			t.Fatalf("restored allocator re-issued %d", i)
		}
		taken[i] = true
	}
}

func TestAllocatorUnmarshalErrors(t *testing.T) {
	good, _ := NewAllocator(10, nil).MarshalBinary()
	tests := map[string][]byte{
		"empty":           nil,
		"bad_version":     append([]byte{2}, good[1:]...),
		"size_zero":       {1, 0, 0, 0, 0},
		"size_too_large":  {1, 0x01, 0x00, 0x00, 0x01},
		"short":           good[:len(good)-1],
		"long":            append(bytes.Clone(good), 0),
		"bit_beyond_size": append(bytes.Clone(good[:6]), 0x04),
	}
	for name, b := range tests {
		a := NewAllocator(3, nil)
		if err := a.UnmarshalBinary(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
		if a.Size() != 3 {
			t.Errorf("%s: failed unmarshal changed the allocator", name)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestAllocatorErrors(t *testing.T) {
	if _, err := NewAllocator(0, nil).Allocate(); !errors.Is(err, ErrInvalidSize) {
		t.Errorf("size 0: %v", err)
	}
	if _, err := NewAllocator(MaxEntries+1, nil).Allocate(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size too large: %v", err)
	}
	a := NewAllocator(10, failingReader{})
	if _, err := a.Allocate(); err == nil || a.Used() != 0 {
		t.Errorf("failing random source: %v, used %d", err, a.Used())
	}
	b := NewAllocator(10, nil)
	for _, i := range []int{-1, 10} {
		if err := b.MarkUsed(i); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("MarkUsed(%d): %v", i, err)
		}
	}
	if err := b.MarkUsed(4); err != nil {
		t.Fatal(err)
	}
	if err := b.MarkUsed(4); !errors.Is(err, ErrIndexInUse) || b.Used() != 1 {
		t.Errorf("double MarkUsed: %v, used %d", err, b.Used())
	}
}
