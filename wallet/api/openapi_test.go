package api_test

import (
	"bytes"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cairn-id/cairn/wallet/api"
)

// responseSchemas validates the agent's answers against the response
// schemas of docs/wallet-api.json: every JSON answer a test receives is
// checked (see agent.do), so the document's bodies stay the API's.
type responseSchemas struct {
	comp     *jsonschema.Compiler
	doc      map[string]any
	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
	paths    []pathPattern
}

type pathPattern struct {
	tmpl string
	re   *regexp.Regexp
}

const docURL = "mem:///wallet-api.json"

var loadResponseSchemas = sync.OnceValues(func() (*responseSchemas, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(api.OpenAPI()))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, doc); err != nil {
		return nil, err
	}
	rs := &responseSchemas{comp: c, doc: doc.(map[string]any), compiled: map[string]*jsonschema.Schema{}}
	for p := range rs.doc["paths"].(map[string]any) {
		re := "^" + regexp.MustCompile(`\\{[a-z_]+\\}`).ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$"
		rs.paths = append(rs.paths, pathPattern{tmpl: p, re: regexp.MustCompile(re)})
	}
	return rs, nil
})

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// check validates body, the answer to method path with status, against
// the document: the operation must list the status and, for a JSON
// answer, its schema must accept the body.
func (rs *responseSchemas) check(t testing.TB, method, path string, status int, contentType string, body []byte) {
	t.Helper()
	path, _, _ = strings.Cut(path, "?")
	var tmpl string
	for _, p := range rs.paths {
		if p.re.MatchString(path) {
			if tmpl == "" || !strings.Contains(p.tmpl, "{") { // a literal path wins over a template
				tmpl = p.tmpl
			}
		}
	}
	if tmpl == "" || status == http.StatusMethodNotAllowed || method == http.MethodHead {
		return // not a route (the router's own 404 and 405)
	}
	op, _ := rs.doc["paths"].(map[string]any)[tmpl].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return
	}
	resp, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		t.Errorf("docs/wallet-api.json: %s %s does not list status %d (body %s)", method, tmpl, status, body)
		return
	}
	if !strings.HasPrefix(contentType, "application/json") {
		return
	}
	if _, ok := resp["content"].(map[string]any)["application/json"]; !ok {
		t.Errorf("docs/wallet-api.json: %s %s %d has no JSON body, got %s", method, tmpl, status, body)
		return
	}
	loc := docURL + "#/paths/" + pointerEscape(tmpl) + "/" + strings.ToLower(method) + "/responses/" + strconv.Itoa(status) + "/content/application~1json/schema"
	rs.mu.Lock()
	sch := rs.compiled[loc]
	var err error
	if sch == nil {
		sch, err = rs.comp.Compile(loc)
		rs.compiled[loc] = sch
	}
	rs.mu.Unlock()
	if err != nil {
		t.Fatalf("compile %s: %v", loc, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Errorf("%s %s %d: not JSON: %v", method, path, status, err)
		return
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s %s %d: the answer does not match docs/wallet-api.json: %v\n%s", method, tmpl, status, err, body)
	}
}
