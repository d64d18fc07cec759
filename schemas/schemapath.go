package schemas

import (
	"sort"
	"strings"

	"github.com/cairn-id/cairn/internal/claimpath"
)

// This file reads the raw schema documents (not the compiled form) to check
// that metadata claim paths exist. It understands the subset of JSON Schema
// the catalogue uses to describe structure: properties, items, $ref (to a
// catalogue $id or a local #/...) and allOf.

// expand returns node and every subschema reachable from it through $ref
// and allOf: the places where its properties and items may be declared.
func expand(node any, docs map[string]any, base string, depth int) []scoped {
	m, ok := node.(map[string]any)
	if !ok || depth > maxRefDepth {
		return nil
	}
	if id, ok := m["$id"].(string); ok {
		base = id
	}
	out := []scoped{{m, base}}
	if ref, ok := m["$ref"].(string); ok {
		if target, tbase, ok := deref(ref, base, docs); ok {
			out = append(out, expand(target, docs, tbase, depth+1)...)
		}
	}
	if all, ok := m["allOf"].([]any); ok {
		for _, sub := range all {
			out = append(out, expand(sub, docs, base, depth+1)...)
		}
	}
	return out
}

// scoped is a schema object with the $id its relative $refs resolve against.
type scoped struct {
	m    map[string]any
	base string
}

// deref resolves "<id>#/json/pointer" or "#/json/pointer" among docs.
func deref(ref, base string, docs map[string]any) (any, string, bool) {
	id, frag, _ := strings.Cut(ref, "#")
	if id == "" {
		id = base
	}
	doc, ok := docs[id]
	if !ok {
		return nil, "", false
	}
	if frag == "" {
		return doc, id, true
	}
	if !strings.HasPrefix(frag, "/") {
		return nil, "", false
	}
	cur := doc
	for _, tok := range claimpath.Tokens(frag) {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, "", false
		}
		if cur, ok = m[tok]; !ok {
			return nil, "", false
		}
	}
	return cur, id, true
}

// schemaAt returns the subschema a claim path points to in the type schema
// doc (whose $id is in docs).
func schemaAt(doc any, p []any, docs map[string]any) (any, bool) {
	cur := expand(doc, docs, "", 0)
	for _, e := range p {
		var next []scoped
		for _, s := range cur {
			var sub any
			switch v := e.(type) {
			case string:
				props, _ := s.m["properties"].(map[string]any)
				sub = props[v]
			default: // nil or index: the array items
				sub = s.m["items"]
			}
			if sub != nil {
				next = append(next, expand(sub, docs, s.base, 0)...)
			}
		}
		if len(next) == 0 {
			return nil, false
		}
		cur = next
	}
	return cur[0].m, true
}

// requiredOf returns the top-level required claim names of a type schema.
func requiredOf(doc any, docs map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, s := range expand(doc, docs, "", 0) {
		if req, ok := s.m["required"].([]any); ok {
			for _, r := range req {
				if name, ok := r.(string); ok {
					out[name] = true
				}
			}
		}
	}
	return out
}

// schemaClaimPaths lists every claim the schema describes, as metadata
// paths (nil for array elements), skipping the registered JWT claims. Array
// item schemas without properties are not claims of their own. Used by
// tests to check that every claim is labelled.
func schemaClaimPaths(doc any, docs map[string]any) [][]any {
	var out [][]any
	var walk func(node []scoped, prefix []any, depth int)
	walk = func(node []scoped, prefix []any, depth int) {
		if depth > 8 {
			return
		}
		type prop struct {
			schema any
			base   string
		}
		props := map[string]prop{}
		var items []scoped
		for _, s := range node {
			if m, ok := s.m["properties"].(map[string]any); ok {
				for k, v := range m {
					props[k] = prop{v, s.base}
				}
			}
			if it, ok := s.m["items"]; ok {
				items = append(items, expand(it, docs, s.base, 0)...)
			}
		}
		names := make([]string, 0, len(props))
		for k := range props {
			if len(prefix) == 0 && isLayerClaim(k) {
				continue
			}
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			p := append(append([]any(nil), prefix...), k)
			out = append(out, p)
			walk(expand(props[k].schema, docs, props[k].base, 0), p, depth+1)
		}
		if len(items) > 0 {
			walk(items, append(append([]any(nil), prefix...), nil), depth+1)
		}
	}
	walk(expand(doc, docs, "", 0), nil, 0)
	return out
}
