package oid4vp

import (
	"reflect"
	"testing"
)

// ParsePointer reads pointers with internal/claimpath: RFC 6901 escapes
// are checked and indices must be canonical (before, "01" and "+1" were
// read as 1 and "~2" was kept as written).
func TestParsePointer(t *testing.T) {
	root := map[string]any{"list": []any{"a", map[string]any{"m~n": "t", "a/b": "s"}}}
	tests := []struct {
		ptr  string
		want ClaimPath
		err  bool
	}{
		{ptr: "", want: ClaimPath{}},
		{ptr: "/list/0", want: ClaimPath{"list", 0}},
		{ptr: "/list/1/m~0n", want: ClaimPath{"list", 1, "m~n"}},
		{ptr: "/list/1/a~1b", want: ClaimPath{"list", 1, "a/b"}},
		{ptr: "/list/01", err: true},
		{ptr: "/list/+1", err: true},
		{ptr: "/list/2", err: true},
		{ptr: "/list/1/m~2n", err: true},
		{ptr: "/list/0/x", err: true},
		{ptr: "list", err: true},
	}
	for _, tt := range tests {
		got, err := ParsePointer(tt.ptr, root)
		if tt.err {
			if err == nil {
				t.Errorf("ParsePointer(%q) = %v, want an error", tt.ptr, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParsePointer(%q) = %v, %v; want %v", tt.ptr, got, err, tt.want)
			continue
		}
		if len(got) > 0 && got.Pointer() != tt.ptr {
			t.Errorf("ParsePointer(%q).Pointer() = %q", tt.ptr, got.Pointer())
		}
	}
	if p := (ClaimPath{"a", nil, 2}).Pointer(); p != "/a/*/2" {
		t.Errorf("Pointer = %q", p)
	}
}
