package testkit

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cairn-id/cairn/internal/claimpath"
)

// OpenAPI is an OpenAPI 3.1 document that tests hold an API to: its
// operations must be the API's routes, both ways (MatchRoutes), and every
// answer a test receives must be listed for its operation and, when JSON,
// match the response schema there (Check, or Handler around the API).
type OpenAPI struct {
	name     string // the document's file, in messages
	url      string
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

// LoadOpenAPI reads doc, the document of file name (such as
// "docs/wallet-api.json", for messages).
func LoadOpenAPI(name string, doc []byte) (*OpenAPI, error) {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	o := &OpenAPI{name: name, url: "mem:///" + strings.ReplaceAll(name, "/", "_"), compiled: map[string]*jsonschema.Schema{}}
	o.comp = jsonschema.NewCompiler()
	o.comp.DefaultDraft(jsonschema.Draft2020)
	if err := o.comp.AddResource(o.url, inst); err != nil {
		return nil, err
	}
	o.doc, _ = inst.(map[string]any)
	paths, _ := o.doc["paths"].(map[string]any)
	for p := range paths {
		re := "^" + regexp.MustCompile(`\\{[a-z_]+\\}`).ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$"
		o.paths = append(o.paths, pathPattern{tmpl: p, re: regexp.MustCompile(re)})
	}
	return o, nil
}

// Version is the document's openapi field.
func (o *OpenAPI) Version() string { s, _ := o.doc["openapi"].(string); return s }

// Operations lists the document's operations as "METHOD /path", sorted.
func (o *OpenAPI) Operations() []string {
	var out []string
	paths, _ := o.doc["paths"].(map[string]any)
	for p, ops := range paths {
		m, _ := ops.(map[string]any)
		for method := range m {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			out = append(out, strings.ToUpper(method)+" "+p)
		}
	}
	sort.Strings(out)
	return out
}

// MatchRoutes reports, on t, every route ("METHOD /path") the document
// lacks, every operation that is not a route, and every operation without
// an operationId or responses.
func (o *OpenAPI) MatchRoutes(t testing.TB, routes []string) {
	t.Helper()
	inDoc := map[string]bool{}
	for _, k := range o.Operations() {
		inDoc[k] = true
		method, path, _ := strings.Cut(k, " ")
		op, _ := o.doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		if op["operationId"] == nil || op["responses"] == nil {
			t.Errorf("%s: %s has no operationId or responses", o.name, k)
		}
	}
	registered := map[string]bool{}
	for _, k := range routes {
		registered[k] = true
		if !inDoc[k] {
			t.Errorf("route %s is not in %s", k, o.name)
		}
	}
	for k := range inDoc {
		if !registered[k] {
			t.Errorf("%s has %s, which is not a route", o.name, k)
		}
	}
}

// Check validates body, the answer to method path with status, against
// the document: the operation must list the status and, for a JSON
// answer, its schema must accept the body. Paths that are no operation
// (the router's own 404), 405s and HEAD are not checked.
func (o *OpenAPI) Check(t testing.TB, method, path string, status int, contentType string, body []byte) {
	t.Helper()
	path, _, _ = strings.Cut(path, "?")
	var tmpl string
	for _, p := range o.paths {
		if p.re.MatchString(path) {
			if tmpl == "" || !strings.Contains(p.tmpl, "{") { // a literal path wins over a template
				tmpl = p.tmpl
			}
		}
	}
	if tmpl == "" || status == http.StatusMethodNotAllowed || method == http.MethodHead {
		return
	}
	op, _ := o.doc["paths"].(map[string]any)[tmpl].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return
	}
	resp, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		t.Errorf("%s: %s %s does not list status %d (body %s)", o.name, method, tmpl, status, body)
		return
	}
	if !strings.HasPrefix(contentType, "application/json") {
		return
	}
	if _, ok := resp["content"].(map[string]any)["application/json"]; !ok {
		t.Errorf("%s: %s %s %d has no JSON body, got %s", o.name, method, tmpl, status, body)
		return
	}
	loc := o.url + "#/paths/" + claimpath.Escape(tmpl) + "/" + strings.ToLower(method) + "/responses/" + strconv.Itoa(status) + "/content/application~1json/schema"
	o.mu.Lock()
	sch := o.compiled[loc]
	var err error
	if sch == nil {
		sch, err = o.comp.Compile(loc)
		o.compiled[loc] = sch
	}
	o.mu.Unlock()
	if err != nil {
		t.Fatalf("compile %s: %v", loc, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Errorf("%s %s %d: not JSON: %v", method, path, status, err)
		return
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s %s %d: the answer does not match %s: %v\n%s", method, tmpl, status, o.name, err, body)
	}
}

// Handler serves h and Checks each of its answers; prefix is stripped
// from request paths first (an API mounted below a path).
func (o *OpenAPI) Handler(t testing.TB, prefix string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		o.Check(t, r.Method, strings.TrimPrefix(r.URL.Path, prefix), rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	})
}
