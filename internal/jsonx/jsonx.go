// Package jsonx is a small strict JSON decoder (RFC 8259) for the hot
// verification paths: it decodes into map[string]any, []any, string,
// json.Number, bool or nil without reflection, refuses duplicate object
// member names and invalid UTF-8, and bounds nesting. internal/jose decodes
// JOSE headers with it and internal/sdjwt payloads and disclosures.
package jsonx

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONNesting bounds recursion in the decoder; callers apply their own,
// lower, policy limits (sdjwt's Limits.MaxDepth) after decoding.
const maxJSONNesting = 256

// Decode decodes exactly one JSON value (RFC 8259) into map[string]any,
// []any, string, json.Number, bool or nil. It is a small strict decoder
// used instead of encoding/json on the verification path, where decoding
// into interfaces with reflection cost as much as a signature check. It
// refuses duplicate object member names (RFC 8259 §4 leaves them
// unpredictable; for claims that is a security risk) and invalid UTF-8.
func Decode(b []byte) (any, error) {
	// One string copy of the input: unescaped strings, member names and
	// numbers are substrings of it instead of one allocation each.
	d := jsonDecoder{b: b, s: string(b)}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.p != len(d.b) {
		return nil, errors.New("invalid JSON: trailing data")
	}
	return v, nil
}

// Elem is one element of an array decoded by DecodeArray: a string in Str
// (IsStr set), not boxed in an interface, or any other value in Val.
type Elem struct {
	Str   string
	Val   any
	IsStr bool
}

// Value returns the element as Decode would have returned it.
func (e Elem) Value() any {
	if e.IsStr {
		return e.Str
	}
	return e.Val
}

// DecodeArray decodes b exactly as Decode does (same acceptance, same
// errors), for callers that expect a short array: when b is an array, its
// first len(dst) elements are stored in dst and n is its length (later
// elements are decoded and counted, not stored); when it is another JSON
// value, n is -1. Unlike Decode it allocates no []any for the array and no
// interface for its string elements.
func DecodeArray(b []byte, dst []Elem) (n int, err error) {
	d := jsonDecoder{b: b, s: string(b)}
	d.ws()
	if d.p >= len(d.b) || d.b[d.p] != '[' {
		if _, err := d.value(0); err != nil {
			return 0, err
		}
		n = -1
	} else if n, err = d.topArray(dst); err != nil {
		return 0, err
	}
	d.ws()
	if d.p != len(d.b) {
		return 0, errors.New("invalid JSON: trailing data")
	}
	return n, nil
}

// elem reads an element of DecodeArray or DecodeFields: a string as
// Str (not boxed), anything else as Val.
func (d *jsonDecoder) elem() (Elem, error) {
	var e Elem
	var err error
	if d.ws(); d.p < len(d.b) && d.b[d.p] == '"' {
		e.Str, err = d.str()
		e.IsStr = true
	} else {
		e.Val, err = d.value(1)
	}
	return e, err
}

// topArray is array(1) for DecodeArray.
func (d *jsonDecoder) topArray(dst []Elem) (int, error) {
	d.p++ // [
	d.ws()
	if d.p < len(d.b) && d.b[d.p] == ']' {
		d.p++
		return 0, nil
	}
	n := 0
	for {
		e, err := d.elem()
		if err != nil {
			return 0, err
		}
		if n < len(dst) {
			dst[n] = e
		}
		n++
		d.ws()
		if d.p >= len(d.b) {
			return 0, d.fail("unexpected end")
		}
		switch d.b[d.p] {
		case ',':
			d.p++
		case ']':
			d.p++
			return n, nil
		default:
			return 0, d.fail("expected ',' or ']'")
		}
	}
}

// Field is a member value found by DecodeFields.
type Field struct {
	Elem
	Present bool
}

// DecodeFields decodes b exactly as Decode does (same acceptance, same
// errors), for callers that read a few members of an object: when b is an
// object, the value of the member names[i] is stored in dst[i] (Present
// set); isObject is false when b is another JSON value. Unlike Decode it
// builds no map for the object and boxes none of its string members.
func DecodeFields(b []byte, names []string, dst []Field) (isObject bool, err error) {
	d := jsonDecoder{b: b, s: string(b)}
	d.ws()
	if d.p >= len(d.b) || d.b[d.p] != '{' {
		if _, err := d.value(0); err != nil {
			return false, err
		}
	} else if err := d.topObject(names, dst); err != nil {
		return false, err
	} else {
		isObject = true
	}
	d.ws()
	if d.p != len(d.b) {
		return false, errors.New("invalid JSON: trailing data")
	}
	return isObject, nil
}

// topObject is object(1) for DecodeFields. Member names are kept in a small
// array for the duplicate check, or in a set once there are many.
func (d *jsonDecoder) topObject(names []string, dst []Field) error {
	d.p++ // {
	d.ws()
	if d.p < len(d.b) && d.b[d.p] == '}' {
		d.p++
		return nil
	}
	var few [16]string
	seen := few[:0]
	var many map[string]struct{}
	for {
		d.ws()
		if d.p >= len(d.b) || d.b[d.p] != '"' {
			return d.fail("expected member name")
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		d.ws()
		if d.p >= len(d.b) || d.b[d.p] != ':' {
			return d.fail("expected ':'")
		}
		d.p++
		e, err := d.elem()
		if err != nil {
			return err
		}
		dup := false
		if many != nil {
			n := len(many)
			many[k] = struct{}{}
			dup = len(many) == n
		} else {
			for _, s := range seen {
				if s == k {
					dup = true
					break
				}
			}
			if seen = append(seen, k); len(seen) == len(few) {
				many = make(map[string]struct{}, 2*len(few))
				for _, s := range seen {
					many[s] = struct{}{}
				}
			}
		}
		if dup {
			return d.fail("duplicate member name")
		}
		for i, name := range names {
			if name == k && i < len(dst) {
				dst[i] = Field{Elem: e, Present: true}
			}
		}
		d.ws()
		if d.p >= len(d.b) {
			return d.fail("unexpected end")
		}
		switch d.b[d.p] {
		case ',':
			d.p++
		case '}':
			d.p++
			return nil
		default:
			return d.fail("expected ',' or '}'")
		}
	}
}

type jsonDecoder struct {
	b []byte
	s string // string(b)
	p int
	// stack holds the elements of the arrays being decoded, so that each
	// array is allocated once, at its final length.
	stack []any
}

func (d *jsonDecoder) ws() {
	for d.p < len(d.b) {
		switch d.b[d.p] {
		case ' ', '\t', '\n', '\r':
			d.p++
		default:
			return
		}
	}
}

func (d *jsonDecoder) fail(what string) error {
	return errors.New("invalid JSON: " + what + " at offset " + strconv.Itoa(d.p))
}

func (d *jsonDecoder) value(depth int) (any, error) {
	d.ws()
	if d.p >= len(d.b) {
		return nil, d.fail("unexpected end")
	}
	switch c := d.b[d.p]; {
	case c == '{':
		if depth >= maxJSONNesting {
			return nil, d.fail("nesting too deep")
		}
		return d.object(depth + 1)
	case c == '[':
		if depth >= maxJSONNesting {
			return nil, d.fail("nesting too deep")
		}
		return d.array(depth + 1)
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, d.fail("unexpected character")
}

func (d *jsonDecoder) literal(lit string) error {
	if len(d.b)-d.p < len(lit) || string(d.b[d.p:d.p+len(lit)]) != lit {
		return d.fail("bad literal")
	}
	d.p += len(lit)
	return nil
}

func (d *jsonDecoder) object(depth int) (any, error) {
	d.p++ // {
	m := make(map[string]any)
	d.ws()
	if d.p < len(d.b) && d.b[d.p] == '}' {
		d.p++
		return m, nil
	}
	for {
		d.ws()
		if d.p >= len(d.b) || d.b[d.p] != '"' {
			return nil, d.fail("expected member name")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.ws()
		if d.p >= len(d.b) || d.b[d.p] != ':' {
			return nil, d.fail("expected ':'")
		}
		d.p++
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		// One map operation, not a lookup and an insert: a duplicate name
		// leaves the length unchanged.
		n := len(m)
		m[k] = v
		if len(m) == n {
			return nil, d.fail("duplicate member name")
		}
		d.ws()
		if d.p >= len(d.b) {
			return nil, d.fail("unexpected end")
		}
		switch d.b[d.p] {
		case ',':
			d.p++
		case '}':
			d.p++
			return m, nil
		default:
			return nil, d.fail("expected ',' or '}'")
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, error) {
	d.p++ // [
	d.ws()
	if d.p < len(d.b) && d.b[d.p] == ']' {
		d.p++
		return make([]any, 0), nil
	}
	mark := len(d.stack)
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, v)
		d.ws()
		if d.p >= len(d.b) {
			return nil, d.fail("unexpected end")
		}
		switch d.b[d.p] {
		case ',':
			d.p++
		case ']':
			d.p++
			a := make([]any, len(d.stack)-mark)
			copy(a, d.stack[mark:])
			clear(d.stack[mark:])
			d.stack = d.stack[:mark]
			return a, nil
		default:
			return nil, d.fail("expected ',' or ']'")
		}
	}
}

func (d *jsonDecoder) number() (any, error) {
	start := d.p
	digits := func() int {
		n := 0
		for d.p < len(d.b) && d.b[d.p] >= '0' && d.b[d.p] <= '9' {
			d.p++
			n++
		}
		return n
	}
	if d.b[d.p] == '-' {
		d.p++
	}
	if d.p < len(d.b) && d.b[d.p] == '0' {
		d.p++
	} else if digits() == 0 {
		return nil, d.fail("bad number")
	}
	if d.p < len(d.b) && d.b[d.p] == '.' {
		d.p++
		if digits() == 0 {
			return nil, d.fail("bad fraction")
		}
	}
	if d.p < len(d.b) && (d.b[d.p] == 'e' || d.b[d.p] == 'E') {
		d.p++
		if d.p < len(d.b) && (d.b[d.p] == '+' || d.b[d.p] == '-') {
			d.p++
		}
		if digits() == 0 {
			return nil, d.fail("bad exponent")
		}
	}
	return json.Number(d.s[start:d.p]), nil
}

func (d *jsonDecoder) str() (string, error) {
	d.p++ // opening quote
	start := d.p
	// Fast path: no escapes, all ASCII. Eight bytes at a time while none
	// of them is special (a quote, a backslash, a control character or
	// non-ASCII), then byte by byte.
	for d.p+8 <= len(d.b) && !hasSpecialByte(binary.LittleEndian.Uint64(d.b[d.p:])) {
		d.p += 8
	}
	for d.p < len(d.b) {
		c := d.b[d.p]
		if c == '"' {
			s := d.s[start:d.p]
			d.p++
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		d.p++
	}
	buf := make([]byte, 0, d.p-start+16)
	buf = append(buf, d.b[start:d.p]...)
	for d.p < len(d.b) {
		c := d.b[d.p]
		switch {
		case c == '"':
			d.p++
			return string(buf), nil
		case c < 0x20:
			return "", d.fail("control character in string")
		case c == '\\':
			if d.p+1 >= len(d.b) {
				return "", d.fail("bad escape")
			}
			e := d.b[d.p+1]
			d.p += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.fail("bad \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.p+1 < len(d.b) && d.b[d.p] == '\\' && d.b[d.p+1] == 'u' {
						save := d.p
						d.p += 2
						var ok2 bool
						if r2, ok2 = d.hex4(); !ok2 {
							return "", d.fail("bad \\u escape")
						}
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							r = dec
							r2 = -2
						} else {
							d.p = save
						}
					}
					if r2 != -2 {
						r = utf8.RuneError // lone surrogate, as encoding/json does
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", d.fail("bad escape")
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			d.p++
		default:
			r, size := utf8.DecodeRune(d.b[d.p:])
			if r == utf8.RuneError && size <= 1 {
				return "", d.fail("invalid UTF-8")
			}
			buf = append(buf, d.b[d.p:d.p+size]...)
			d.p += size
		}
	}
	return "", d.fail("unterminated string")
}

// hasSpecialByte reports whether one of the eight bytes of w is '"', '\\',
// below 0x20 or at least 0x80 (exact as a yes/no answer; see "Determine if
// a word has a byte less than n" in Bit Twiddling Hacks).
func hasSpecialByte(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zeroByte := func(x uint64) uint64 { return (x - ones) & ^x & highs }
	below20 := (w - ones*0x20) & ^w & highs
	return (below20 | w&highs | zeroByte(w^(ones*'"')) | zeroByte(w^(ones*'\\'))) != 0
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.b)-d.p < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.p : d.p+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.p += 4
	return r, true
}
