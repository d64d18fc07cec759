package server

import (
	"github.com/cairn-id/cairn/internal/jsonx"

	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeJSON: any body and Content-Type never panic; DecodeJSON
// answers nil or an *Error of its three kinds (415 for a type other than
// application/json, 413 over the bound, else 400), and what it accepts is
// one valid UTF-8 JSON value within the bound, with no member names equal
// ignoring case, whose re-encoding it accepts again.
func FuzzDecodeJSON(f *testing.F) {
	const max = 256
	for _, s := range []struct{ ct, body string }{
		{"application/json", `{"a":1,"b":[true,null,"x"]}`},
		{"application/json; charset=utf-8", `[]`},
		{"application/json", `{"a":1,"A":2}`},
		{"application/json", `{"a":1,"a":2}`},
		{"application/json", `{"a":1} {"b":2}`},
		{"application/json", "\"\xff\""},
		{"text/plain", `{}`},
		{"", `{}`},
		{"application/json-patch+json", `[]`},
		{"application/json", strings.Repeat("[", 300)},
		{"application/json", `{"k":"` + strings.Repeat("v", max) + `"}`},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		var v any
		err := DecodeJSON(httptest.NewRecorder(), r, max, &v)
		mediaOK := checkMediaType(ct) == nil
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			want := map[int]string{400: CodeInvalidRequest, 413: CodeTooLarge, 415: CodeMediaType}[se.Status]
			if want == "" || se.Code != want {
				t.Fatalf("error %d %q", se.Status, se.Code)
			}
			if (se.Status == 415) == mediaOK {
				t.Fatalf("415 is %v for Content-Type %q", se.Status == 415, ct)
			}
			if se.Status == 413 && len(body) <= max {
				t.Fatalf("413 for %d bytes (bound %d)", len(body), max)
			}
			return
		}
		if !mediaOK || len(body) > max || !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("accepted %q (Content-Type %q, %d bytes)", body, ct, len(body))
		}
		if jsonx.NoFoldedDuplicates(v) != nil {
			t.Fatalf("accepted member names equal ignoring case: %q", body)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var w any
		if err := DecodeJSONBytes(again, &w); err != nil {
			t.Fatalf("re-encoding %s refused: %v", again, err)
		}
	})
}
