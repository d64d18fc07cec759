package sdjwt

// A reader for the small YAML subset used by the sd-jwt-python test cases
// (block mappings and sequences, flow collections, plain and quoted
// scalars, comments, and the custom !sd tag). No YAML module is available,
// and the files are fixed test data, so this is deliberately small.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// yEntry is one mapping member; sd is set when the key carries !sd.
type yEntry struct {
	key string
	sd  bool
	val any
}

// yMap is an ordered mapping.
type yMap []yEntry

// sdVal is a value (array element) tagged !sd.
type sdVal struct{ v any }

type yLine struct {
	indent  int
	content string
	no      int
}

type yReader struct {
	lines []yLine
	i     int
}

func parseYAML(src string) (any, error) {
	r := &yReader{}
	for no, l := range strings.Split(src, "\n") {
		l = stripComment(strings.TrimRight(l, " \t\r"))
		if strings.TrimSpace(l) == "" {
			continue
		}
		content := strings.TrimLeft(l, " ")
		r.lines = append(r.lines, yLine{indent: len(l) - len(content), content: strings.TrimRight(content, " "), no: no + 1})
	}
	if len(r.lines) == 0 {
		return yMap{}, nil
	}
	v, err := r.block(r.lines[0].indent)
	if err != nil {
		return nil, err
	}
	if r.i != len(r.lines) {
		return nil, fmt.Errorf("line %d: unexpected content", r.lines[r.i].no)
	}
	return v, nil
}

func stripComment(l string) string {
	var quote byte
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || l[i-1] == ' '):
			return l[:i]
		}
	}
	return l
}

func (r *yReader) block(indent int) (any, error) {
	if strings.HasPrefix(r.lines[r.i].content, "-") {
		return r.seq(indent)
	}
	return r.mapping(indent)
}

func isSeqItem(c string) bool { return c == "-" || strings.HasPrefix(c, "- ") }

func (r *yReader) seq(indent int) (any, error) {
	var out []any
	for r.i < len(r.lines) && r.lines[r.i].indent == indent && isSeqItem(r.lines[r.i].content) {
		l := r.lines[r.i]
		rest := strings.TrimLeft(strings.TrimPrefix(l.content, "-"), " ")
		col := indent + len(l.content) - len(rest)
		if _, _, ok := mappingKey(rest); ok {
			// A mapping that starts on the item's line: re-read the line
			// as the first member of a mapping at the item's column.
			r.lines[r.i] = yLine{indent: col, content: rest, no: l.no}
			v, err := r.mapping(col)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		sd := false
		if rest == "!sd" || strings.HasPrefix(rest, "!sd ") {
			sd, rest = true, strings.TrimSpace(rest[3:])
		}
		var v any
		var err error
		if rest == "" {
			r.i++
			if r.i >= len(r.lines) || r.lines[r.i].indent <= indent {
				v = nil
			} else if v, err = r.block(r.lines[r.i].indent); err != nil {
				return nil, err
			}
		} else {
			r.i++
			if v, err = flowValue(rest, l.no); err != nil {
				return nil, err
			}
		}
		if sd {
			v = sdVal{v}
		}
		out = append(out, v)
	}
	return out, nil
}

// mappingKey splits "[!sd ]key: rest" and reports whether s is a member.
func mappingKey(s string) (key string, rest string, ok bool) {
	tagged := false
	if strings.HasPrefix(s, "!sd ") {
		tagged, s = true, strings.TrimSpace(s[4:])
	}
	if s == "" || s[0] == '[' || s[0] == '{' {
		return "", "", false
	}
	var k string
	switch s[0] {
	case '"', '\'':
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", "", false
		}
		k, s = s[1:end+1], s[end+2:]
		if !strings.HasPrefix(s, ":") {
			return "", "", false
		}
		s = s[1:]
	default:
		j := strings.Index(s, ": ")
		if j < 0 {
			if !strings.HasSuffix(s, ":") {
				return "", "", false
			}
			j = len(s) - 1
		}
		k, s = s[:j], s[j+1:]
	}
	if tagged {
		k = "\x00sd" + k
	}
	return k, strings.TrimSpace(s), true
}

func (r *yReader) mapping(indent int) (any, error) {
	out := yMap{}
	for r.i < len(r.lines) && r.lines[r.i].indent == indent {
		l := r.lines[r.i]
		key, rest, ok := mappingKey(l.content)
		if !ok {
			return nil, fmt.Errorf("line %d: expected a mapping member: %q", l.no, l.content)
		}
		e := yEntry{key: key}
		if strings.HasPrefix(key, "\x00sd") {
			e.key, e.sd = key[3:], true
		}
		r.i++
		if rest != "" {
			v, err := flowValue(rest, l.no)
			if err != nil {
				return nil, err
			}
			e.val = v
		} else if r.i < len(r.lines) && (r.lines[r.i].indent > indent || (r.lines[r.i].indent == indent && isSeqItem(r.lines[r.i].content))) {
			v, err := r.block(r.lines[r.i].indent)
			if err != nil {
				return nil, err
			}
			e.val = v
		}
		out = append(out, e)
	}
	return out, nil
}

// flowValue parses an inline value: a scalar or a flow collection.
func flowValue(s string, no int) (any, error) {
	f := &flow{s: s}
	v, err := f.value(false)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", no, err)
	}
	f.space()
	if f.p != len(f.s) {
		return nil, fmt.Errorf("line %d: trailing %q", no, f.s[f.p:])
	}
	return v, nil
}

type flow struct {
	s string
	p int
}

func (f *flow) space() {
	for f.p < len(f.s) && f.s[f.p] == ' ' {
		f.p++
	}
}

func (f *flow) value(inFlow bool) (any, error) {
	f.space()
	if strings.HasPrefix(f.s[f.p:], "!sd ") {
		f.p += 4
		v, err := f.value(inFlow)
		return sdVal{v}, err
	}
	if f.p >= len(f.s) {
		return nil, fmt.Errorf("missing value")
	}
	switch f.s[f.p] {
	case '[':
		f.p++
		var out []any
		for {
			f.space()
			if f.p < len(f.s) && f.s[f.p] == ']' {
				f.p++
				return out, nil
			}
			v, err := f.value(true)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			f.space()
			if f.p < len(f.s) && f.s[f.p] == ',' {
				f.p++
			}
		}
	case '{':
		f.p++
		out := yMap{}
		for {
			f.space()
			if f.p < len(f.s) && f.s[f.p] == '}' {
				f.p++
				return out, nil
			}
			k, err := f.value(true)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("non-string flow key %v", k)
			}
			f.space()
			if f.p >= len(f.s) || f.s[f.p] != ':' {
				return nil, fmt.Errorf("expected ':' in flow mapping")
			}
			f.p++
			v, err := f.value(true)
			if err != nil {
				return nil, err
			}
			out = append(out, yEntry{key: ks, val: v})
			f.space()
			if f.p < len(f.s) && f.s[f.p] == ',' {
				f.p++
			}
		}
	case '"':
		end := strings.IndexByte(f.s[f.p+1:], '"')
		if end < 0 {
			return nil, fmt.Errorf("unterminated string")
		}
		v, err := strconv.Unquote(f.s[f.p : f.p+end+2])
		f.p += end + 2
		return v, err
	case '\'':
		end := strings.IndexByte(f.s[f.p+1:], '\'')
		if end < 0 {
			return nil, fmt.Errorf("unterminated string")
		}
		v := f.s[f.p+1 : f.p+1+end]
		f.p += end + 2
		return v, nil
	}
	start := f.p
	for f.p < len(f.s) {
		c := f.s[f.p]
		if inFlow && (c == ',' || c == ']' || c == '}' || (c == ':' && (f.p+1 == len(f.s) || f.s[f.p+1] == ' '))) {
			break
		}
		f.p++
	}
	return plainScalar(strings.TrimSpace(f.s[start:f.p])), nil
}

var (
	yInt   = regexp.MustCompile(`^[-+]?[0-9]+$`)
	yFloat = regexp.MustCompile(`^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$`)
)

func plainScalar(s string) any {
	switch s {
	case "null", "Null", "NULL", "~", "":
		return nil
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	}
	if yInt.MatchString(s) || yFloat.MatchString(s) {
		return json.Number(strings.TrimPrefix(s, "+"))
	}
	return s
}

// get returns the member key of a yMap, or nil.
func (m yMap) get(key string) any {
	for _, e := range m {
		if e.key == key {
			return e.val
		}
	}
	return nil
}
