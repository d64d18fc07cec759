// Package claimpath owns the one implementation of JSON Pointers (RFC 6901)
// as the module uses them to name claims: escaping and unescaping reference
// tokens (§3, §4), canonical array indices (§4: "0" or digits without a
// leading zero), the "*" token that stands for every element of an array
// (the form internal/sdjwt's Select, sdjwtvc.PresentOptions.Paths and the
// schema catalogue take), the conversion from claims path pointers
// (OpenID4VP 1.0 §7, SD-JWT VC type metadata: string, null or index
// elements) to pointers, and whether a pointer names a value in a claims
// tree.
//
// It depends on nothing in the module, so that internal/sdjwt,
// internal/oid4vp, schemas and the role packages can all share it.
package claimpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Wildcard is the reference token that stands for every element of an
// array (a null in a claims path pointer). On an object it is an ordinary
// member name.
const Wildcard = "*"

// ErrSyntax is returned for a string that is not a JSON Pointer: it does
// not start with "/", or a "~" is not followed by "0" or "1" (RFC 6901 §3).
var ErrSyntax = errors.New("claimpath: not a JSON pointer")

var (
	escaper   = strings.NewReplacer("~", "~0", "/", "~1")
	unescaper = strings.NewReplacer("~1", "/", "~0", "~") // one pass: "~01" is "~1"
)

// Escape returns tok as a reference token: "~" as "~0", "/" as "~1".
func Escape(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	return escaper.Replace(tok)
}

// Unescape returns the member name or index a reference token stands for,
// or ErrSyntax when a "~" is not followed by "0" or "1".
func Unescape(tok string) (string, error) {
	if !strings.Contains(tok, "~") {
		return tok, nil
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] == '~' && (i+1 == len(tok) || (tok[i+1] != '0' && tok[i+1] != '1')) {
			return "", fmt.Errorf("%w: bad ~ escape in %q", ErrSyntax, tok)
		}
	}
	return unescaper.Replace(tok), nil
}

// Split parses ptr into its unescaped reference tokens; "" (the whole
// document) has none.
func Split(ptr string) ([]string, error) {
	if ptr == "" {
		return nil, nil
	}
	if ptr[0] != '/' {
		return nil, fmt.Errorf("%w: %q does not start with /", ErrSyntax, ptr)
	}
	toks := strings.Split(ptr[1:], "/")
	for i, t := range toks {
		u, err := Unescape(t)
		if err != nil {
			return nil, fmt.Errorf("%w (in %q)", err, ptr)
		}
		toks[i] = u
	}
	return toks, nil
}

// Tokens is Split for pointers the module built itself (schema problem
// locations, form field names): a missing leading "/" is tolerated and a
// bad escape is kept as written rather than refused.
func Tokens(ptr string) []string {
	if ptr == "" {
		return nil
	}
	toks := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, t := range toks {
		if u, err := Unescape(t); err == nil {
			toks[i] = u
		}
	}
	return toks
}

// Join builds the pointer of the unescaped tokens toks.
func Join(toks ...string) string {
	n := 0
	for _, t := range toks {
		n += 1 + len(t)
	}
	var b strings.Builder
	b.Grow(n) // escapes (rare) may still grow it
	for _, t := range toks {
		b.WriteByte('/')
		b.WriteString(Escape(t))
	}
	return b.String()
}

// FromPath renders a claims path pointer as a JSON Pointer: a string is a
// member name (escaped), nil is Wildcard, an integer an index. Other
// values (a number decoded as float64 or json.Number from metadata) are
// written as fmt prints them.
func FromPath(p []any) string {
	var b strings.Builder
	for _, e := range p {
		b.WriteByte('/')
		switch v := e.(type) {
		case string:
			b.WriteString(Escape(v))
		case nil:
			b.WriteString(Wildcard)
		case int:
			b.WriteString(strconv.Itoa(v))
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// Index reads tok as an array index: "0" or digits without a leading zero
// (RFC 6901 §4), no sign, within int.
func Index(tok string) (int, bool) {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(tok)
	return n, err == nil
}

// Present reports whether the unescaped tokens toks name a value in the
// decoded JSON v (map[string]any and []any). On an array, Wildcard names
// every element: it is present when the array has at least one element
// and the rest of the path is present in each of them; an empty array
// selects nothing, as a null in a claims path pointer does (OpenID4VP 1.0
// §7.1). Any other token on an array must be a canonical Index in range.
func Present(v any, toks []string) bool {
	if len(toks) == 0 {
		return true
	}
	switch c := v.(type) {
	case map[string]any:
		child, ok := c[toks[0]]
		return ok && Present(child, toks[1:])
	case []any:
		if toks[0] == Wildcard {
			if len(c) == 0 {
				return false
			}
			for _, el := range c {
				if !Present(el, toks[1:]) {
					return false
				}
			}
			return true
		}
		i, ok := Index(toks[0])
		return ok && i < len(c) && Present(c[i], toks[1:])
	}
	return false
}
