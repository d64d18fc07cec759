package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/verifier/api"
)

// TestOpenAPIMatchesRoutes: every route of the public and console APIs is
// in docs/verifier-api.json with its method, every operation there is a
// route of one of them, and both serve the document. (Every answer the
// tests' servers give is checked against the document: see world.start.)
func TestOpenAPIMatchesRoutes(t *testing.T) {
	w := newWorld(t)
	doc := openAPIDoc(t)
	for _, base := range []string{w.public.URL, w.console.URL} {
		resp, err := http.Get(base + "/openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != string(api.OpenAPI()) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s/openapi.json: %d %.80s", base, resp.StatusCode, b)
		}
	}
	if doc.Version() != "3.1.0" {
		t.Errorf("openapi %q", doc.Version())
	}
	seen := map[string]bool{}
	var routes []string
	for _, rt := range w.routes {
		k := rt.Method + " " + rt.Path
		if !seen[k] {
			seen[k] = true
			routes = append(routes, k)
		}
	}
	doc.MatchRoutes(t, routes)
	// Each route answers on its server (not the router's 404), and that
	// answer is one the document lists (checked by the servers' wrapper).
	for _, rt := range w.routes {
		base := w.public.URL
		if strings.HasPrefix(rt.Path, "/console/") {
			base = w.console.URL
		}
		req, _ := http.NewRequest(rt.Method, base+strings.ReplaceAll(rt.Path, "{id}", "abcdefgh"), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 404 && strings.Contains(string(b), `"code":"`+server.CodeNotFound+`"`) || resp.StatusCode == 405 {
			t.Errorf("route %s %s: %d %s", rt.Method, rt.Path, resp.StatusCode, b)
		}
	}
}
