package oid4vp

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/cairn-id/cairn/internal/jsonx"
)

// Credential formats (Appendix B).
const (
	// FormatSDJWTVC is the IETF SD-JWT VC format identifier (B.3.1), the
	// only one Cairn evaluates.
	FormatSDJWTVC = "dc+sd-jwt"
	// FormatMDoc is ISO mdoc (B.2); parsed, never matched.
	FormatMDoc = "mso_mdoc"
	// FormatJPT is Cairn's experimental JSON Proof Token credential
	// format (internal/jptvc). It is a Cairn-defined identifier, not one
	// of Appendix B: queries for it use meta.vct_values as dc+sd-jwt
	// does, name top-level claims only (one payload slot each), and are
	// answered without holder binding.
	FormatJPT = "jpt"
)

// Size bounds of a DCQL query (§6). They are far above what any real query
// needs and keep the evaluator's work bounded.
const (
	MaxQueryLen          = 64 << 10 // the JSON of one dcql_query
	MaxCredentialQueries = 32
	MaxClaimsPerQuery    = 64
	MaxClaimSets         = 32
	MaxCredentialSets    = 16
	MaxOptions           = 16
	MaxPathLen           = 16 // elements of one claims path pointer
	MaxValues            = 32 // entries of one claim's values
	MaxIDLen             = 64 // credential and claim ids
	MaxStringLen         = 512
	MaxTrustedAuthority  = 16
)

// Query is a DCQL query (§6.1): the dcql_query request parameter.
type Query struct {
	Credentials    []CredentialQuery `json:"credentials"`
	CredentialSets []CredentialSet   `json:"credential_sets,omitempty"`
}

// CredentialQuery is a Credential Query (§6.1).
type CredentialQuery struct {
	ID       string `json:"id"`
	Format   string `json:"format"`
	Multiple bool   `json:"multiple,omitempty"`
	Meta     Meta   `json:"meta"`
	// TrustedAuthorities (§6.1.1) is parsed and validated; the evaluator
	// checks it only through Evaluator.TrustedAuthority.
	TrustedAuthorities []TrustedAuthority `json:"trusted_authorities,omitempty"`
	// RequireCryptographicHolderBinding defaults to true when absent.
	RequireCryptographicHolderBinding *bool        `json:"require_cryptographic_holder_binding,omitempty"`
	Claims                            []ClaimQuery `json:"claims,omitempty"`
	ClaimSets                         [][]string   `json:"claim_sets,omitempty"`
}

// HolderBindingRequired applies the default of
// require_cryptographic_holder_binding (true).
func (c *CredentialQuery) HolderBindingRequired() bool {
	return c.RequireCryptographicHolderBinding == nil || *c.RequireCryptographicHolderBinding
}

// Meta holds the format-specific meta parameters: vct_values for
// dc+sd-jwt (B.3.5), doctype_value for mso_mdoc (B.2.3).
type Meta struct {
	VCTValues    []string `json:"vct_values,omitempty"`
	DoctypeValue string   `json:"doctype_value,omitempty"`
}

// TrustedAuthority is a Trusted Authorities Query (§6.1.1).
type TrustedAuthority struct {
	Type   string   `json:"type"`
	Values []string `json:"values"`
}

// ClaimQuery is a Claims Query (§6.3).
type ClaimQuery struct {
	ID     string    `json:"id,omitempty"`
	Path   ClaimPath `json:"path"`
	Values []any     `json:"values,omitempty"` // strings, json.Number integers, bools
	// IntentToRetain is the mso_mdoc-only parameter (B.2.4); kept for
	// round-tripping.
	IntentToRetain *bool `json:"intent_to_retain,omitempty"`
}

// CredentialSet is a Credential Set Query (§6.2).
type CredentialSet struct {
	Options [][]string `json:"options"`
	// Required defaults to true when absent.
	Required *bool `json:"required,omitempty"`
}

// IsRequired applies the default of required (true).
func (s *CredentialSet) IsRequired() bool { return s.Required == nil || *s.Required }

// ParseQuery decodes and validates a dcql_query (§6): duplicate JSON
// members are refused, member names are matched exactly, every bound above
// holds and Validate passes. Unknown members are ignored (§6: extensions).
func ParseQuery(b []byte) (*Query, error) {
	if len(b) > MaxQueryLen {
		return nil, fmt.Errorf("%w: dcql_query of %d bytes, limit %d", ErrTooLarge, len(b), MaxQueryLen)
	}
	tree, err := jsonx.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: dcql_query: %v", ErrInvalidQuery, err)
	}
	return QueryFromJSON(tree)
}

// QueryFromJSON builds a Query from an already decoded JSON value (as
// jsonx or a request object payload gives it) and validates it.
func QueryFromJSON(v any) (*Query, error) {
	d := &dec{}
	q := d.query(v)
	if d.err != nil {
		return nil, d.err
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return q, nil
}

// dec reads a decoded JSON tree into the DCQL types, keeping the first
// error with the JSON path where it happened.
type dec struct{ err error }

func (d *dec) fail(where, format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s: %s", ErrInvalidQuery, where, fmt.Sprintf(format, a...))
	}
}

func (d *dec) object(v any, where string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		d.fail(where, "must be an object")
	}
	return m
}

func (d *dec) array(v any, where string, max int, nonEmpty bool) []any {
	a, ok := v.([]any)
	switch {
	case !ok:
		d.fail(where, "must be an array")
	case nonEmpty && len(a) == 0:
		d.fail(where, "must not be empty")
	case len(a) > max:
		d.fail(where, "has %d entries, limit %d", len(a), max)
	}
	return a
}

func (d *dec) str(v any, where string) string {
	s, ok := v.(string)
	switch {
	case !ok:
		d.fail(where, "must be a string")
	case len(s) > MaxStringLen:
		d.fail(where, "longer than %d bytes", MaxStringLen)
	}
	return s
}

func (d *dec) boolean(v any, where string) *bool {
	b, ok := v.(bool)
	if !ok {
		d.fail(where, "must be a boolean")
		return nil
	}
	return &b
}

func (d *dec) strings(v any, where string, max int) []string {
	a := d.array(v, where, max, true)
	out := make([]string, 0, len(a))
	for i, e := range a {
		out = append(out, d.str(e, where+"["+strconv.Itoa(i)+"]"))
	}
	return out
}

func (d *dec) query(v any) *Query {
	m := d.object(v, "dcql_query")
	q := &Query{}
	if m == nil {
		return q
	}
	creds, present := m["credentials"]
	if !present {
		d.fail("dcql_query", "credentials is required")
		return q
	}
	for i, c := range d.array(creds, "credentials", MaxCredentialQueries, true) {
		q.Credentials = append(q.Credentials, d.credential(c, "credentials["+strconv.Itoa(i)+"]"))
	}
	if sets, present := m["credential_sets"]; present {
		for i, s := range d.array(sets, "credential_sets", MaxCredentialSets, true) {
			q.CredentialSets = append(q.CredentialSets, d.credentialSet(s, "credential_sets["+strconv.Itoa(i)+"]"))
		}
	}
	return q
}

func (d *dec) credential(v any, where string) CredentialQuery {
	var c CredentialQuery
	m := d.object(v, where)
	if m == nil {
		return c
	}
	c.ID = d.str(m["id"], where+".id")
	c.Format = d.str(m["format"], where+".format")
	if mv, ok := m["multiple"]; ok {
		if b := d.boolean(mv, where+".multiple"); b != nil {
			c.Multiple = *b
		}
	}
	meta, ok := m["meta"]
	if !ok {
		d.fail(where, "meta is required")
	} else if mm := d.object(meta, where+".meta"); mm != nil {
		if vv, ok := mm["vct_values"]; ok {
			c.Meta.VCTValues = d.strings(vv, where+".meta.vct_values", MaxValues)
		}
		if dt, ok := mm["doctype_value"]; ok {
			c.Meta.DoctypeValue = d.str(dt, where+".meta.doctype_value")
		}
	}
	if ta, ok := m["trusted_authorities"]; ok {
		for i, t := range d.array(ta, where+".trusted_authorities", MaxTrustedAuthority, true) {
			tw := where + ".trusted_authorities[" + strconv.Itoa(i) + "]"
			if tm := d.object(t, tw); tm != nil {
				c.TrustedAuthorities = append(c.TrustedAuthorities, TrustedAuthority{
					Type:   d.str(tm["type"], tw+".type"),
					Values: d.strings(tm["values"], tw+".values", MaxValues),
				})
			}
		}
	}
	if hb, ok := m["require_cryptographic_holder_binding"]; ok {
		c.RequireCryptographicHolderBinding = d.boolean(hb, where+".require_cryptographic_holder_binding")
	}
	if cl, ok := m["claims"]; ok {
		for i, e := range d.array(cl, where+".claims", MaxClaimsPerQuery, true) {
			c.Claims = append(c.Claims, d.claim(e, where+".claims["+strconv.Itoa(i)+"]"))
		}
	}
	if cs, ok := m["claim_sets"]; ok {
		for i, set := range d.array(cs, where+".claim_sets", MaxClaimSets, true) {
			c.ClaimSets = append(c.ClaimSets, d.strings(set, where+".claim_sets["+strconv.Itoa(i)+"]", MaxClaimsPerQuery))
		}
	}
	return c
}

func (d *dec) claim(v any, where string) ClaimQuery {
	var c ClaimQuery
	m := d.object(v, where)
	if m == nil {
		return c
	}
	if id, ok := m["id"]; ok {
		c.ID = d.str(id, where+".id")
	}
	p, ok := m["path"]
	if !ok {
		d.fail(where, "path is required")
		return c
	}
	path, err := pathFromJSON(p)
	if err != nil {
		d.fail(where+".path", "%v", err)
	}
	c.Path = path
	if vals, ok := m["values"]; ok {
		for i, e := range d.array(vals, where+".values", MaxValues, true) {
			switch x := e.(type) {
			case string:
				c.Values = append(c.Values, d.str(x, where+".values["+strconv.Itoa(i)+"]"))
			case bool:
				c.Values = append(c.Values, x)
			case json.Number:
				if _, err := strconv.ParseInt(string(x), 10, 64); err != nil {
					d.fail(where+".values["+strconv.Itoa(i)+"]", "numbers must be integers")
				}
				c.Values = append(c.Values, x)
			default:
				d.fail(where+".values["+strconv.Itoa(i)+"]", "must be a string, an integer or a boolean")
			}
		}
	}
	if r, ok := m["intent_to_retain"]; ok {
		c.IntentToRetain = d.boolean(r, where+".intent_to_retain")
	}
	return c
}

func (d *dec) credentialSet(v any, where string) CredentialSet {
	var s CredentialSet
	m := d.object(v, where)
	if m == nil {
		return s
	}
	opts, ok := m["options"]
	if !ok {
		d.fail(where, "options is required")
		return s
	}
	for i, o := range d.array(opts, where+".options", MaxOptions, true) {
		s.Options = append(s.Options, d.strings(o, where+".options["+strconv.Itoa(i)+"]", MaxCredentialQueries))
	}
	if r, ok := m["required"]; ok {
		s.Required = d.boolean(r, where+".required")
	}
	return s
}

// validID reports whether s is a credential or claim id: a non-empty
// string of ASCII alphanumerics, underscores and hyphens (§6.1, §6.3).
func validID(s string) bool {
	if s == "" || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Validate checks the rules of §6 that go beyond types: id syntax and
// uniqueness, format and meta present (vct_values for dc+sd-jwt),
// claim_sets only with claims whose ids it references, every claim with an
// id when claim_sets is present, credential_sets options referencing
// existing credential ids, and the size bounds. A Query built in Go (by a
// verifier) should be validated before use.
func (q *Query) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidQuery, fmt.Sprintf(format, a...))
	}
	if len(q.Credentials) == 0 || len(q.Credentials) > MaxCredentialQueries {
		return bad("credentials must have 1 to %d entries", MaxCredentialQueries)
	}
	ids := make(map[string]bool, len(q.Credentials))
	for i := range q.Credentials {
		c := &q.Credentials[i]
		if !validID(c.ID) {
			return bad("credentials[%d].id %q is not [A-Za-z0-9_-]{1,%d}", i, c.ID, MaxIDLen)
		}
		if ids[c.ID] {
			return bad("credential id %q is not unique", c.ID)
		}
		ids[c.ID] = true
		if c.Format == "" {
			return bad("credential %q: format is required", c.ID)
		}
		if (c.Format == FormatSDJWTVC || c.Format == FormatJPT) && len(c.Meta.VCTValues) == 0 {
			return bad("credential %q: meta.vct_values is required for %s", c.ID, c.Format)
		}
		if len(c.Meta.VCTValues) > MaxValues {
			return bad("credential %q: too many vct_values", c.ID)
		}
		for _, ta := range c.TrustedAuthorities {
			if ta.Type == "" || len(ta.Values) == 0 {
				return bad("credential %q: a trusted authority needs a type and values", c.ID)
			}
		}
		if len(c.Claims) > MaxClaimsPerQuery || len(c.ClaimSets) > MaxClaimSets {
			return bad("credential %q: too many claims or claim sets", c.ID)
		}
		claimIDs := make(map[string]bool, len(c.Claims))
		for j := range c.Claims {
			cl := &c.Claims[j]
			if err := cl.Path.Validate(); err != nil {
				return bad("credential %q claim %d: %v", c.ID, j, err)
			}
			if _, top := cl.Path[0].(string); c.Format == FormatJPT && (len(cl.Path) != 1 || !top) {
				return bad("credential %q claim %d: a %s query names top-level claims only (a path of one name)", c.ID, j, FormatJPT)
			}
			if len(cl.Values) > MaxValues {
				return bad("credential %q claim %d: too many values", c.ID, j)
			}
			if cl.ID == "" {
				if len(c.ClaimSets) > 0 {
					return bad("credential %q: with claim_sets every claim needs an id", c.ID)
				}
				continue
			}
			if !validID(cl.ID) {
				return bad("credential %q: claim id %q is not [A-Za-z0-9_-]{1,%d}", c.ID, cl.ID, MaxIDLen)
			}
			if claimIDs[cl.ID] {
				return bad("credential %q: claim id %q is not unique", c.ID, cl.ID)
			}
			claimIDs[cl.ID] = true
		}
		if len(c.ClaimSets) > 0 && len(c.Claims) == 0 {
			return bad("credential %q: claim_sets without claims", c.ID)
		}
		for k, set := range c.ClaimSets {
			if len(set) == 0 {
				return bad("credential %q: claim_sets[%d] is empty", c.ID, k)
			}
			for _, id := range set {
				if !claimIDs[id] {
					return bad("credential %q: claim_sets[%d] names unknown claim %q", c.ID, k, id)
				}
			}
		}
	}
	if len(q.CredentialSets) > MaxCredentialSets {
		return bad("too many credential_sets")
	}
	for i, s := range q.CredentialSets {
		if len(s.Options) == 0 || len(s.Options) > MaxOptions {
			return bad("credential_sets[%d].options must have 1 to %d entries", i, MaxOptions)
		}
		for j, o := range s.Options {
			if len(o) == 0 {
				return bad("credential_sets[%d].options[%d] is empty", i, j)
			}
			for _, id := range o {
				if !ids[id] {
					return bad("credential_sets[%d].options[%d] names unknown credential %q", i, j, id)
				}
			}
		}
	}
	return nil
}

// Marshal returns the JSON of q (for a request object).
func (q *Query) Marshal() ([]byte, error) { return json.Marshal(q) }

// credential returns the credential query with id, or nil.
func (q *Query) credential(id string) *CredentialQuery {
	for i := range q.Credentials {
		if q.Credentials[i].ID == id {
			return &q.Credentials[i]
		}
	}
	return nil
}
