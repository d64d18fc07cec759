package jsonx

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrFoldedDuplicate: an object has two member names that encoding/json
// would treat as the same field (equal under Unicode simple case folding).
var ErrFoldedDuplicate = errors.New("invalid JSON: member names equal ignoring case")

// NoFoldedDuplicates walks a tree from Decode and refuses any object with
// two member names equal under case folding. encoding/json matches field
// names that way (strings.EqualFold, so "k" and the Kelvin sign U+212A
// match): after this check, unmarshalling the same bytes into a struct
// cannot merge two members into one field. Decode already refuses exact
// duplicates.
func NoFoldedDuplicates(v any) error {
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 1 {
			seen := make(map[string]struct{}, len(x))
			for k := range x {
				f := FoldKey(k)
				if _, dup := seen[f]; dup {
					return fmt.Errorf("%w (%q)", ErrFoldedDuplicate, k)
				}
				seen[f] = struct{}{}
			}
		}
		for _, c := range x {
			if err := NoFoldedDuplicates(c); err != nil {
				return err
			}
		}
	case []any:
		for _, c := range x {
			if err := NoFoldedDuplicates(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// FoldKey maps every rune to the smallest rune of its case-folding orbit,
// so two names are strings.EqualFold-equal exactly when their keys are
// equal.
func FoldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < m {
				m = f
			}
		}
		b.WriteRune(m)
	}
	return b.String()
}
