package claimpath

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplitJoin(t *testing.T) {
	tests := []struct {
		ptr  string
		toks []string
		err  bool
	}{
		{ptr: "", toks: nil},
		{ptr: "/", toks: []string{""}},
		{ptr: "/a/b", toks: []string{"a", "b"}},
		{ptr: "/a~1b", toks: []string{"a/b"}},
		{ptr: "/m~0n", toks: []string{"m~n"}},
		{ptr: "/~01", toks: []string{"~1"}}, // not "/": ~1 is unescaped first
		{ptr: "/~10", toks: []string{"/0"}},
		{ptr: "/x/*/0", toks: []string{"x", "*", "0"}},
		{ptr: "a/b", err: true},
		{ptr: "/a~", err: true},
		{ptr: "/a~2", err: true},
		{ptr: "/~x/b", err: true},
	}
	for _, tt := range tests {
		got, err := Split(tt.ptr)
		if tt.err {
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("Split(%q) error = %v, want ErrSyntax", tt.ptr, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.toks) {
			t.Errorf("Split(%q) = %q, %v; want %q", tt.ptr, got, err, tt.toks)
			continue
		}
		if back := Join(got...); back != tt.ptr {
			t.Errorf("Join(Split(%q)) = %q", tt.ptr, back)
		}
	}
}

func TestTokensLenient(t *testing.T) {
	tests := []struct {
		ptr  string
		toks []string
	}{
		{"", nil},
		{"/a~1b/c", []string{"a/b", "c"}},
		{"a/b", []string{"a", "b"}},      // no leading slash
		{"/a~2/b", []string{"a~2", "b"}}, // bad escape kept
	}
	for _, tt := range tests {
		if got := Tokens(tt.ptr); !slices.Equal(got, tt.toks) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.ptr, got, tt.toks)
		}
	}
}

func TestFromPath(t *testing.T) {
	tests := []struct {
		path []any
		want string
	}{
		{nil, ""},
		{[]any{"a", "b"}, "/a/b"},
		{[]any{"a/b", "m~n"}, "/a~1b/m~0n"},
		{[]any{"list", nil, "x"}, "/list/*/x"},
		{[]any{"list", 3}, "/list/3"},
		{[]any{"list", float64(2)}, "/list/2"}, // metadata decoded by encoding/json
	}
	for _, tt := range tests {
		if got := FromPath(tt.path); got != tt.want {
			t.Errorf("FromPath(%v) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestIndex(t *testing.T) {
	tests := []struct {
		tok string
		n   int
		ok  bool
	}{
		{"0", 0, true},
		{"7", 7, true},
		{"10", 10, true},
		{"", 0, false},
		{"01", 0, false},
		{"+1", 0, false},
		{"-1", 0, false},
		{" 1", 0, false},
		{"1e2", 0, false},
		{"*", 0, false},
		{"99999999999999999999999", 0, false},
	}
	for _, tt := range tests {
		n, ok := Index(tt.tok)
		if ok != tt.ok || (ok && n != tt.n) {
			t.Errorf("Index(%q) = %d, %v; want %d, %v", tt.tok, n, ok, tt.n, tt.ok)
		}
	}
}

func TestPresent(t *testing.T) {
	claims := map[string]any{
		"name":   "A",
		"a/b":    "slash",
		"m~n":    "tilde",
		"empty":  []any{},
		"nulls":  []any{nil},
		"addr":   []any{map[string]any{"city": "X"}, map[string]any{"city": "Y", "zip": "1"}},
		"nested": map[string]any{"*": "star member"},
	}
	tests := []struct {
		ptr  string
		want bool
	}{
		{"", true},
		{"/name", true},
		{"/missing", false},
		{"/a~1b", true},
		{"/a/b", false},
		{"/m~0n", true},
		{"/m~1n", false},
		{"/empty", true},
		{"/empty/*", false}, // an empty array selects nothing
		{"/empty/0", false},
		{"/nulls/*", true},
		{"/nulls/0", true},
		{"/addr/*/city", true},
		{"/addr/*/zip", false}, // not in every element
		{"/addr/1/zip", true},
		{"/addr/01/zip", false}, // not a canonical index
		{"/addr/+1/zip", false},
		{"/addr/2", false},
		{"/addr/-1", false},
		{"/nested/*", true}, // on an object "*" is a member name
		{"/name/x", false},  // below a leaf
	}
	for _, tt := range tests {
		toks, err := Split(tt.ptr)
		if err != nil {
			t.Fatalf("Split(%q): %v", tt.ptr, err)
		}
		if got := Present(claims, toks); got != tt.want {
			t.Errorf("Present(%q) = %v, want %v", tt.ptr, got, tt.want)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"", "/", "/a/b", "/a~1b", "/~01", "/a~", "a", "/x/*/0", "/~~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ptr string) {
		toks, err := Split(ptr)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Split(%q): error %v is not ErrSyntax", ptr, err)
			}
			return
		}
		if back := Join(toks...); back != ptr {
			t.Fatalf("Join(Split(%q)) = %q", ptr, back)
		}
		if !slices.Equal(Tokens(ptr), toks) {
			t.Fatalf("Tokens(%q) = %q, Split gave %q", ptr, Tokens(ptr), toks)
		}
		for _, tok := range toks {
			if u, err := Unescape(Escape(tok)); err != nil || u != tok {
				t.Fatalf("Unescape(Escape(%q)) = %q, %v", tok, u, err)
			}
			if strings.Contains(Escape(tok), "/") {
				t.Fatalf("Escape(%q) keeps a /", tok)
			}
		}
	})
}
