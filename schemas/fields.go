package schemas

import (
	"fmt"
	"slices"
	"sort"

	"github.com/cairn-id/cairn/internal/claimpath"
)

// FieldKind says how the value of a claim is typed by a person (and how a
// form or a prompt should read it).
type FieldKind string

// Field kinds.
const (
	KindString        FieldKind = "string"
	KindInteger       FieldKind = "integer"
	KindNumber        FieldKind = "number"
	KindBoolean       FieldKind = "boolean"
	KindDate          FieldKind = "date" // a string in YYYY-MM-DD form (RFC 3339 full-date)
	KindObject        FieldKind = "object"
	KindStringArray   FieldKind = "array-of-string" // strings or dates; Enum and Pattern apply to each element
	KindObjectArray   FieldKind = "array-of-object" // Fields describe each element
	KindUnsupported   FieldKind = "unsupported"     // a shape none of the above describes; no catalogue type has one
	maxFieldTreeDepth           = 8
)

// Field describes one claim an issuing operator fills in, derived from the
// type's schema and metadata. It is a description for forms and prompts:
// the schema (Validate) stays the judge of what is acceptable.
type Field struct {
	// Pointer is the claim's JSON Pointer (RFC 6901) with "*" for every
	// element of an array, as in DisclosablePaths: "/registration_place/country",
	// "/name_variants/*/script".
	Pointer string
	// Path is the metadata claim path (nil for every array element).
	Path []any
	// Label is the claim's label in the requested language (Label's
	// fallback chain).
	Label string
	Kind  FieldKind
	// Required: the claim must be present whenever its parent is (at the
	// top level: always).
	Required bool
	// Enum lists the allowed values as text (for KindStringArray, of each
	// element), in schema order; nil when any value of the kind goes.
	Enum []string
	// Pattern is the schema's regular expression (ECMA-262) for the value
	// or, for KindStringArray, each element; "" when none.
	Pattern string
	// Elem is the kind of each element of a KindStringArray: KindString
	// or KindDate ("" for other kinds).
	Elem FieldKind
	// MaxItems bounds the entries of an array (0: no bound in the schema).
	MaxItems int
	// Precision names the sibling claim that says how much of a
	// KindDate is known ("birthdate_precision": day, month or year): the
	// date may then be typed as YYYY or YYYY-MM (ParseText fills in the
	// first day; DatePrecision says which precision was typed). "" when
	// the date has no precision claim.
	Precision string
	// Derived: the claim is set from another one as typed (the schema
	// marks it readOnly, as the precision of a birthdate typed YYYY):
	// forms and prompts do not ask for it, though a CSV column may give it.
	Derived bool
	// Fields are the members of a KindObject, or of each element of a
	// KindObjectArray, in the same order as ClaimFields.
	Fields []Field
}

// ClaimFields describes the claims of the type an issuing operator types
// in, with labels in lang: required claims first, then in the order of
// the type metadata. The evidence claim is left out (the issuer sets it,
// from the type's defaults or its own scores), as are the claims the
// credential layer adds (iss, iat, cnf, vct, status, …). The result is a
// fresh copy.
func (t *Type) ClaimFields(lang string) []Field {
	rank := make(map[string]int, len(t.Metadata.Claims))
	for i, cm := range t.Metadata.Claims {
		rank[claimpath.FromPath(cm.Path)] = i
	}
	b := fieldBuilder{t: t, lang: lang, rank: rank}
	return b.members(expand(t.schemaDoc, t.docs, "", 0), nil)
}

type fieldBuilder struct {
	t    *Type
	lang string
	rank map[string]int // metadata order by claimKey
}

// members describes the properties declared by nodes (one object schema
// and the subschemas it $refs or allOfs).
func (b *fieldBuilder) members(nodes []scoped, prefix []any) []Field {
	if len(prefix) >= maxFieldTreeDepth {
		return nil
	}
	type prop struct {
		schema any
		base   string
	}
	props := map[string]prop{}
	required := map[string]bool{}
	for _, s := range nodes {
		if m, ok := s.m["properties"].(map[string]any); ok {
			for k, v := range m {
				if _, seen := props[k]; !seen {
					props[k] = prop{v, s.base}
				}
			}
		}
		if req, ok := s.m["required"].([]any); ok {
			for _, r := range req {
				if name, ok := r.(string); ok {
					required[name] = true
				}
			}
		}
	}
	var out []Field
	for name, p := range props {
		if len(prefix) == 0 && (isLayerClaim(name) || name == "evidence") {
			continue
		}
		path := append(append([]any(nil), prefix...), name)
		f := b.describe(expand(p.schema, b.t.docs, p.base, 0), path)
		f.Required = required[name]
		out = append(out, f)
	}
	for i := range out {
		if out[i].Kind != KindDate {
			continue
		}
		name, _ := out[i].Path[len(out[i].Path)-1].(string)
		for _, f := range out {
			if memberIs(f, name+"_precision") && f.Kind == KindString && slices.Contains(f.Enum, "year") && slices.Contains(f.Enum, "month") {
				out[i].Precision = name + "_precision"
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Required != out[j].Required {
			return out[i].Required
		}
		ri, iok := b.rank[out[i].Pointer]
		rj, jok := b.rank[out[j].Pointer]
		switch {
		case iok && jok && ri != rj:
			return ri < rj
		case iok != jok:
			return iok // claims the metadata lists come before the others
		}
		return out[i].Pointer < out[j].Pointer
	})
	return out
}

// describe makes the Field of the claim at path, whose schema is nodes.
func (b *fieldBuilder) describe(nodes []scoped, path []any) Field {
	f := Field{Pointer: claimpath.FromPath(path), Path: path, Label: b.t.Label(path, b.lang)}
	var typ, format, pattern string
	var enum []any
	var items []scoped
	hasProps := false
	for _, s := range nodes {
		if typ == "" {
			switch v := s.m["type"].(type) {
			case string:
				typ = v
			case []any:
				for _, e := range v {
					if str, ok := e.(string); ok && str != "null" {
						typ = str
						break
					}
				}
			}
		}
		if format == "" {
			format, _ = s.m["format"].(string)
		}
		if pattern == "" {
			pattern, _ = s.m["pattern"].(string)
		}
		if enum == nil {
			enum, _ = s.m["enum"].([]any)
		}
		if it, ok := s.m["items"]; ok && items == nil {
			items = expand(it, b.t.docs, s.base, 0)
		}
		if _, ok := s.m["properties"]; ok {
			hasProps = true
		}
		if f.MaxItems == 0 {
			f.MaxItems = intOf(s.m["maxItems"])
		}
		if ro, _ := s.m["readOnly"].(bool); ro {
			f.Derived = true
		}
	}
	if typ == "" && len(enum) > 0 {
		if _, ok := enum[0].(string); ok {
			typ = "string"
		} else {
			typ = "integer"
		}
	}
	if typ == "" && hasProps {
		typ = "object"
	}
	switch typ {
	case "string":
		f.Kind = KindString
		if format == "date" {
			f.Kind = KindDate
		}
		f.Pattern = pattern
		f.Enum = enumText(enum)
	case "integer":
		f.Kind = KindInteger
		f.Enum = enumText(enum)
	case "number":
		f.Kind = KindNumber
		f.Enum = enumText(enum)
	case "boolean":
		f.Kind = KindBoolean
	case "object":
		f.Kind = KindObject
		f.Fields = b.members(nodes, path)
	case "array":
		elem := b.describe(items, append(append([]any(nil), path...), nil))
		switch elem.Kind {
		case KindString, KindDate:
			f.Kind, f.Elem, f.Enum, f.Pattern = KindStringArray, elem.Kind, elem.Enum, elem.Pattern
		case KindObject:
			f.Kind, f.Fields = KindObjectArray, elem.Fields
		default:
			f.Kind = KindUnsupported
		}
	default:
		f.Kind = KindUnsupported
	}
	return f
}

func memberIs(f Field, name string) bool {
	s, _ := f.Path[len(f.Path)-1].(string)
	return s == name
}

func enumText(enum []any) []string {
	if len(enum) == 0 {
		return nil
	}
	out := make([]string, len(enum))
	for i, e := range enum {
		out[i] = fmt.Sprint(e)
	}
	return out
}

func intOf(v any) int {
	var n int
	if v != nil {
		fmt.Sscan(fmt.Sprint(v), &n)
	}
	return n
}
