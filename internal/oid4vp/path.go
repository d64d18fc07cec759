package oid4vp

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/jsonx"
)

// ClaimPath is a claims path pointer (§7): a non-empty list whose elements
// are a string (an object member), nil (every element of an array) or a
// non-negative int (one array element). A concrete path has no nil.
type ClaimPath []any

// Validate checks the element types and the bounds.
func (p ClaimPath) Validate() error {
	if len(p) == 0 {
		return errors.New("a claims path must not be empty")
	}
	if len(p) > MaxPathLen {
		return fmt.Errorf("a claims path has %d elements, limit %d", len(p), MaxPathLen)
	}
	for i, e := range p {
		switch x := e.(type) {
		case string:
			if len(x) > MaxStringLen {
				return fmt.Errorf("path element %d longer than %d bytes", i, MaxStringLen)
			}
		case nil:
		case int:
			if x < 0 {
				return fmt.Errorf("path element %d is a negative index", i)
			}
		default:
			return fmt.Errorf("path element %d is a %T, not a string, null or non-negative integer", i, e)
		}
	}
	return nil
}

// Concrete reports whether p has no nil (wildcard) element.
func (p ClaimPath) Concrete() bool {
	for _, e := range p {
		if e == nil {
			return false
		}
	}
	return true
}

// Pointer returns p as a JSON Pointer (RFC 6901), with "*" for a nil
// element: the form internal/sdjwt's Select and sdjwtvc.PresentOptions.Paths
// take.
func (p ClaimPath) Pointer() string {
	return claimpath.FromPath(p)
}

// String is the JSON form of p.
func (p ClaimPath) String() string {
	b, _ := json.Marshal([]any(p))
	return string(b)
}

// UnmarshalJSON reads a path strictly (integers as int, not float64).
func (p *ClaimPath) UnmarshalJSON(b []byte) error {
	v, err := jsonx.Decode(b)
	if err != nil {
		return err
	}
	q, err := pathFromJSON(v)
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// pathFromJSON converts a decoded JSON array into a validated ClaimPath.
func pathFromJSON(v any) (ClaimPath, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, errors.New("a claims path must be an array")
	}
	if len(a) > MaxPathLen {
		return nil, fmt.Errorf("a claims path has %d elements, limit %d", len(a), MaxPathLen)
	}
	p := make(ClaimPath, 0, len(a))
	for i, e := range a {
		switch x := e.(type) {
		case string, nil:
			p = append(p, x)
		case json.Number:
			n, err := strconv.ParseInt(string(x), 10, 64)
			if err != nil || n < 0 || n > math.MaxInt32 {
				return nil, fmt.Errorf("path element %d (%s) is not a non-negative integer", i, x)
			}
			p = append(p, int(n))
		case float64: // from encoding/json
			if x < 0 || x != math.Trunc(x) || x > math.MaxInt32 {
				return nil, fmt.Errorf("path element %d is not a non-negative integer", i)
			}
			p = append(p, int(x))
		default:
			return nil, fmt.Errorf("path element %d is not a string, null or non-negative integer", i)
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Selected is one element a claims path pointer selects.
type Selected struct {
	Path  ClaimPath // concrete
	Value any
}

// errPathNotFound: the path selects nothing (§7.1: an empty selection is
// an error); errPathType: a component met the wrong JSON type.
var (
	errPathNotFound = errors.New("claim not present")
	errPathType     = errors.New("claim has the wrong structure for the path")
)

// maxSelected bounds the elements one path may select (nulls multiply).
const maxSelected = 4096

// Select applies the claims path pointer p to the JSON value root (a
// credential's processed claims) as §7.1 defines: a string selects an
// object member (an error if a selected element is not an object; elements
// without the member drop out), nil selects every element of arrays (an
// error if one is not an array), an integer the element at that index
// (elements too short drop out). An empty result is an error. The result
// is in document order, each with its concrete path.
func (p ClaimPath) Select(root any) ([]Selected, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	cur := []Selected{{Path: ClaimPath{}, Value: root}}
	for i, comp := range p {
		next := make([]Selected, 0, len(cur))
		for _, s := range cur {
			switch c := comp.(type) {
			case string:
				m, ok := s.Value.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%w: %s is not an object", errPathType, p[:i])
				}
				if v, ok := m[c]; ok {
					next = append(next, Selected{Path: s.Path.with(c), Value: v})
				}
			case nil:
				a, ok := s.Value.([]any)
				if !ok {
					return nil, fmt.Errorf("%w: %s is not an array", errPathType, p[:i])
				}
				for j, v := range a {
					next = append(next, Selected{Path: s.Path.with(j), Value: v})
				}
			case int:
				a, ok := s.Value.([]any)
				if !ok {
					return nil, fmt.Errorf("%w: %s is not an array", errPathType, p[:i])
				}
				if c < len(a) {
					next = append(next, Selected{Path: s.Path.with(c), Value: a[c]})
				}
			}
			if len(next) > maxSelected {
				return nil, fmt.Errorf("%w: path %s selects more than %d elements", errPathType, p, maxSelected)
			}
		}
		cur = next
	}
	if len(cur) == 0 {
		return nil, fmt.Errorf("%w: %s", errPathNotFound, p)
	}
	return cur, nil
}

func (p ClaimPath) with(e any) ClaimPath {
	out := make(ClaimPath, len(p), len(p)+1)
	copy(out, p)
	return append(out, e)
}

// hasPrefix reports whether prefix is a prefix of p (concrete paths; a
// nil in prefix matches any element).
func (p ClaimPath) hasPrefix(prefix ClaimPath) bool {
	if len(prefix) > len(p) {
		return false
	}
	for i, e := range prefix {
		if e != nil && e != p[i] {
			return false
		}
	}
	return true
}

// ParsePointer converts a JSON Pointer (as sdjwt.Disclosure.Path) into a
// concrete ClaimPath; segments of digits become array indices when the
// claims tree has an array there, which is why it takes the tree.
func ParsePointer(ptr string, root any) (ClaimPath, error) {
	segs, err := claimpath.Split(ptr)
	if err != nil {
		return nil, err
	}
	out := make(ClaimPath, 0, len(segs))
	cur := root
	for _, seg := range segs {
		switch x := cur.(type) {
		case []any:
			n, ok := claimpath.Index(seg)
			if !ok || n >= len(x) {
				return nil, fmt.Errorf("JSON pointer %q: %q is not an index", ptr, seg)
			}
			out = append(out, n)
			cur = x[n]
		case map[string]any:
			out = append(out, seg)
			cur = x[seg]
		default:
			return nil, fmt.Errorf("JSON pointer %q goes below a leaf", ptr)
		}
	}
	return out, nil
}
