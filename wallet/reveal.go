package wallet

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwt"
)

// inseparable returns the claims (JSON Pointers of leaves, sorted) that a
// presentation of compact revealing ptrs discloses beyond ptrs. A
// disclosure reveals its whole value: when the issuer made an object
// disclosable only as a whole (the catalogue's "sd": "allowed" members of
// an "always" object), asking for one member reveals its siblings too,
// and the holder must be shown them before consenting.
func inseparable(compact string, ptrs []string) ([]string, error) {
	t, err := sdjwt.Parse(compact, sdjwt.Limits{})
	if err != nil {
		return nil, err
	}
	sel, err := t.Select(ptrs)
	if err != nil {
		return nil, err
	}
	claims, err := sel.Process()
	if err != nil {
		return nil, err
	}
	covered := func(p string) bool {
		for _, q := range ptrs {
			if p == q || strings.HasPrefix(p, q+"/") {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	var out []string
	for _, d := range sel.Disclosures {
		path, err := oid4vp.ParsePointer(d.Path, claims)
		if err != nil {
			return nil, fmt.Errorf("wallet: disclosure at %q: %w", d.Path, err)
		}
		v := any(claims)
		for _, e := range path {
			switch x := v.(type) {
			case map[string]any:
				v = x[e.(string)]
			case []any:
				v = x[e.(int)]
			}
		}
		leaves(v, path.Pointer(), func(p string) {
			if !covered(p) && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		})
	}
	sort.Strings(out)
	return out, nil
}

// leaves calls f with the pointer of every leaf of v (v itself when it is
// a scalar or empty), v being at pointer at.
func leaves(v any, at string, f func(string)) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			f(at)
		}
		for k, c := range x {
			leaves(c, at+"/"+claimpath.Escape(k), f)
		}
	case []any:
		if len(x) == 0 {
			f(at)
		}
		for i, c := range x {
			leaves(c, at+"/"+strconv.Itoa(i), f)
		}
	default:
		f(at)
	}
}
