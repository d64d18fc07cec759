package jsonx

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAtEOF(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`{}`, true},
		{"{} \n\t", true},
		{`{} {}`, false},
		{`{}}`, false},
		{`{}]`, false},
		{`{} x`, false},
		{`{},`, false},
	}
	for _, tc := range tests {
		dec := json.NewDecoder(strings.NewReader(tc.in))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if got := AtEOF(dec); got != tc.want {
			t.Errorf("AtEOF after %q = %v, want %v", tc.in, got, tc.want)
		}
	}
}
