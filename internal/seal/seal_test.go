package seal

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeyLen)
	b, err := New(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.Seal([]byte("Amina"), []byte("rec-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s, []byte("Amina")) {
		t.Fatal("plaintext visible in the sealed value")
	}
	if p, err := b.Open(s, []byte("rec-1")); err != nil || string(p) != "Amina" {
		t.Fatalf("Open = %q, %v", p, err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeyLen), nil)
	flipped := bytes.Clone(s)
	flipped[len(flipped)-1] ^= 1
	for name, f := range map[string]func() ([]byte, error){
		"other ad":  func() ([]byte, error) { return b.Open(s, []byte("rec-2")) },
		"other key": func() ([]byte, error) { return other.Open(s, []byte("rec-1")) },
		"flipped":   func() ([]byte, error) { return b.Open(flipped, []byte("rec-1")) },
		"short":     func() ([]byte, error) { return b.Open(s[:10], []byte("rec-1")) },
	} {
		if _, err := f(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", name, err)
		}
	}
	s2, _ := b.Seal([]byte("Amina"), []byte("rec-1"))
	if bytes.Equal(s, s2) {
		t.Error("two seals of one value are equal: nonces repeat")
	}
	if _, err := New(key[:16], nil); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

func FuzzOpen(f *testing.F) {
	b, _ := New(bytes.Repeat([]byte{1}, KeyLen), nil)
	good, _ := b.Seal([]byte("x"), nil)
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := b.Open(in, nil)
		if err == nil && !bytes.Equal(in, good) && string(p) != "x" {
			t.Fatalf("opened a value Seal did not make: %q", p)
		}
	})
}
