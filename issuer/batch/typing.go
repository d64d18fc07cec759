package batch

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-id/cairn/schemas"
)

// Claim kinds a cell can be typed as.
const (
	kindString  = ""
	kindInteger = "integer"
	kindNumber  = "number"
	kindBoolean = "boolean"
	kindArray   = "array"
)

// maxTypingRounds bounds the validate-and-retype loop: one round per
// nesting of typed values (an array of integers needs two).
const maxTypingRounds = 4

// maxListedProblems bounds how many failing claims a refusal names.
const maxListedProblems = 6

// tnode is the claim tree of one row before typing.
type tnode struct {
	children map[string]*tnode
	items    map[int]*tnode
	value    string
	leaf     bool
}

// typeClaims builds the claims of one row and types its cells by the
// schema of typ. The schemas package exposes validation, not the schema
// tree, so types come from the validator: every cell starts as a string,
// and a cell the validator says "must be of type integer" (or number,
// boolean, array) is parsed as that and the claims validated again.
func typeClaims(typ *schemas.Type, cols []column, cells []string) (map[string]any, string) {
	root := &tnode{children: map[string]*tnode{}}
	for _, c := range cols {
		if cells[c.index] == "" {
			continue
		}
		root.insert(c.path, cells[c.index])
	}
	kinds := map[string]string{} // JSON Pointer → kind
	for range maxTypingRounds {
		r := renderer{kinds: kinds, strings: map[string]bool{}}
		claims, _ := r.render(root, "").(map[string]any)
		if len(r.problems) > 0 {
			return nil, listProblems(r.problems)
		}
		err := typ.Validate(claims)
		if err == nil {
			return claims, ""
		}
		var verr *schemas.ValidationError
		if !errors.As(err, &verr) {
			if errors.Is(err, schemas.ErrClaimsTooLarge) {
				return nil, "claims are too large"
			}
			return nil, "claims cannot be validated"
		}
		retyped := false
		for _, p := range verr.Problems {
			want, ok := wantedKind(p.Message)
			if ok && r.strings[p.Pointer] && kinds[p.Pointer] == kindString {
				kinds[p.Pointer] = want
				retyped = true
			}
		}
		if !retyped {
			var list []string
			for _, p := range verr.Problems {
				ptr := p.Pointer
				if ptr == "" {
					ptr = "(claims)"
				}
				list = append(list, ptr+" "+p.Message)
			}
			return nil, listProblems(list)
		}
	}
	return nil, "claims cannot be typed"
}

func listProblems(list []string) string {
	extra := 0
	if len(list) > maxListedProblems {
		extra = len(list) - maxListedProblems
		list = list[:maxListedProblems]
	}
	s := "claims: " + strings.Join(list, "; ")
	if extra > 0 {
		s += fmt.Sprintf("; and %d more", extra)
	}
	return s
}

// wantedKind reads the kind a type-mismatch message of package schemas
// asks for ("must be of type integer, not string").
func wantedKind(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "must be of type ")
	if !ok {
		return "", false
	}
	want, got, ok := strings.Cut(rest, ", not ")
	if !ok || got != "string" {
		return "", false
	}
	for _, w := range strings.Split(want, " or ") {
		switch w {
		case kindInteger, kindNumber, kindBoolean, kindArray:
			return w, true
		}
	}
	return "", false
}

func (n *tnode) insert(path []segment, value string) {
	cur := n
	for _, s := range path {
		var next *tnode
		if s.isIndex {
			if cur.items == nil {
				cur.items = map[int]*tnode{}
			}
			next = cur.items[s.index]
			if next == nil {
				next = &tnode{}
				cur.items[s.index] = next
			}
		} else {
			if cur.children == nil {
				cur.children = map[string]*tnode{}
			}
			next = cur.children[s.key]
			if next == nil {
				next = &tnode{}
				cur.children[s.key] = next
			}
		}
		cur = next
	}
	cur.leaf, cur.value = true, value
}

// renderer turns a claim tree into JSON values, typing cells by kinds.
type renderer struct {
	kinds    map[string]string
	strings  map[string]bool // pointers rendered as strings (retypable)
	problems []string
}

func escapeToken(s string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }

func (r *renderer) render(n *tnode, ptr string) any {
	switch {
	case n.leaf:
		return r.cell(n.value, ptr)
	case n.items != nil:
		idx := make([]int, 0, len(n.items))
		for i := range n.items {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		out := make([]any, 0, len(idx))
		for _, i := range idx {
			out = append(out, r.render(n.items[i], ptr+"/"+strconv.Itoa(len(out))))
		}
		return out
	default:
		out := make(map[string]any, len(n.children))
		for k, c := range n.children {
			out[k] = r.render(c, ptr+"/"+escapeToken(k))
		}
		return out
	}
}

// cell types one cell value. Problems name the claim, never the value.
func (r *renderer) cell(v, ptr string) any {
	switch r.kinds[ptr] {
	case kindInteger:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			r.problems = append(r.problems, ptr+" must be a whole number")
			return nil
		}
		return n
	case kindNumber:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			r.problems = append(r.problems, ptr+" must be a number")
			return nil
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f)
		}
		return f
	case kindBoolean:
		b, ok := parseBool(v)
		if !ok {
			r.problems = append(r.problems, ptr+" must be yes or no")
			return nil
		}
		return b
	case kindArray:
		out := []any{}
		for _, part := range strings.Split(v, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			out = append(out, r.cell(part, ptr+"/"+strconv.Itoa(len(out))))
		}
		return out
	}
	r.strings[ptr] = true
	return v
}
