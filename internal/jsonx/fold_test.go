package jsonx

import (
	"errors"
	"strings"
	"testing"
)

func TestNoFoldedDuplicates(t *testing.T) {
	cases := []struct {
		in  string
		dup bool
	}{
		{`{"a":1,"b":2}`, false},
		{`{"k":1,"K":2}`, true},
		{`{"k":1,"\u212A":2}`, true}, // Kelvin sign folds to k
		{`{"s":1,"\u017F":2}`, true}, // long s folds to s
		{`[{"x":{"Id":1,"iD":2}}]`, true},
		{`{"ß":1,"ss":2}`, false}, // not a simple fold: encoding/json keeps them apart
		{`{"a":[{"b":1},{"b":2}]}`, false},
	}
	for _, c := range cases {
		tree, err := Decode([]byte(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		err = NoFoldedDuplicates(tree)
		if got := errors.Is(err, ErrFoldedDuplicate); got != c.dup {
			t.Errorf("%s: duplicate=%v, want %v (%v)", c.in, got, c.dup, err)
		}
	}
}

// FoldKey must agree with strings.EqualFold, which is what encoding/json uses.
func FuzzFoldKey(f *testing.F) {
	f.Add("k", "\u212A")
	f.Add("Straße", "STRASSE")
	f.Add("id", "ID")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := FoldKey(a) == FoldKey(b), strings.EqualFold(a, b); got != want {
			t.Fatalf("FoldKey equal=%v, EqualFold=%v for %q %q", got, want, a, b)
		}
	})
}
