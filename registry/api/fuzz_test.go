package api_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/registry/api"
)

// FuzzTRQPQuery: any body sent to the TRQP endpoints never panics nor
// answers 500; a refusal is a {code, message} object; and only a query
// naming entity, authority, action and resource gets past decoding (to
// 503 not_published: the store holds no snapshot).
func FuzzTRQPQuery(f *testing.F) {
	// No per-client limit: the fuzzer's requests all come from one address.
	h, err := api.New(newMemStore(), api.Options{ClientRate: server.RateLimit{Off: true}})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{"entity_id":"did:web:ngo.example","authority_id":"did:web:auth.example","action":"issue","resource":"urn:t:1"}`,
		`{"entity_id":"e","authority_id":"a","action":"verify","resource":"p","context":{"time":"2026-05-01T09:00:00Z","claims":["/a"]}}`,
		`{"entity_id":"e","authority_id":"a","action":"issue","resource":"r","context":{"time":"yesterday"}}`,
		`{"entity_id":"e","Entity_ID":"f","authority_id":"a","action":"issue","resource":"r"}`,
		`{"entity_id":1}`,
		`[]`,
		`{"entity_id":"e"} trailing`,
		`{"entity_id":"` + strings.Repeat("e", api.MaxQueryBody) + `"}`,
	} {
		f.Add("/trqp/authorization", []byte(s))
		f.Add("/trqp/recognition", []byte(s))
	}
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		if path != "/trqp/authorization" {
			path = "/trqp/recognition"
		}
		r := httptest.NewRequest("POST", path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var e struct{ Code, Message string }
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("%d answer is not {code, message}: %q", rec.Code, rec.Body.String())
		}
		switch rec.Code {
		case 400, 413:
			if rec.Code == 413 && len(body) <= api.MaxQueryBody {
				t.Fatalf("413 for %d bytes", len(body))
			}
		case 503:
			var q map[string]any
			if err := json.Unmarshal(body, &q); err != nil {
				t.Fatalf("a body encoding/json refuses got past decoding: %q", body)
			}
			// Member names match without regard to case (encoding/json),
			// and DecodeJSON refuses two that fold equal: one at most.
			named := map[string]string{}
			for k, v := range q {
				s, _ := v.(string)
				named[strings.ToLower(k)] = s
			}
			for _, k := range []string{"entity_id", "authority_id", "action", "resource"} {
				if named[k] == "" {
					t.Fatalf("a query without %s got past decoding: %q", k, body)
				}
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}
