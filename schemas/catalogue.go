package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cairn-id/cairn/internal/claimpath"
)

//go:embed catalogue
var catalogueFS embed.FS

// Sentinel errors.
var (
	// ErrUnknownType: no type with that vct in the catalogue.
	ErrUnknownType = errors.New("schemas: unknown credential type")
	// ErrCatalogue: the embedded catalogue is inconsistent (a build defect).
	ErrCatalogue = errors.New("schemas: invalid catalogue")
	// ErrInvalidClaims: claims do not match the type's schema.
	ErrInvalidClaims = errors.New("schemas: claims do not match the credential type")
	// ErrClaimsTooLarge: the claims exceed MaxClaimsSize.
	ErrClaimsTooLarge = errors.New("schemas: claims too large")
)

// Limits.
const (
	// MaxClaimsSize bounds the JSON encoding of the claims Validate accepts.
	MaxClaimsSize = 64 << 10
	// maxCatalogueFile bounds each embedded file (they are ours, but a
	// mistake should fail loudly, not slowly).
	maxCatalogueFile = 1 << 20
	// maxRefDepth bounds $ref/allOf chasing when resolving claim paths.
	maxRefDepth = 16
)

const (
	vctPrefix      = "urn:cairn:vct:"
	commonSchemaID = "urn:cairn:schema:common:1"
	evidenceID     = "urn:cairn:schema:evidence:1"
	draft202012    = "https://json-schema.org/draft/2020-12/schema"
)

// Evidence is the GPG 45-style evidence claim every credential type carries
// (DESIGN.md §3). It is never selectively disclosable: a verifier needs it
// to weigh the credential. Scores are strength 1–4, validity 1–4,
// verification 1–4 and identity_fraud 1–3; zero means absent.
type Evidence struct {
	Strength      int    `json:"strength"`
	Validity      int    `json:"validity"`
	Verification  int    `json:"verification,omitempty"`
	IdentityFraud int    `json:"identity_fraud,omitempty"`
	KnownSince    string `json:"known_since,omitempty"` // YYYY-MM-DD
	Method        string `json:"method,omitempty"`      // e.g. document_check, in_person, vouching, records_check
}

// Type is one credential type of the catalogue.
type Type struct {
	VCT     string // urn:cairn:vct:<name>:<major>, or an external type's own vct
	Name    string // short name, e.g. "humanitarian-registration"
	Version int    // major version, part of the vct
	// External marks a type issued outside Cairn (the EU PID,
	// urn:eudi:pid:1): verifiers and wallets read it, Cairn issuers never
	// issue it (issuer.New refuses it). It carries no evidence claim, so it
	// has no default evidence, caps or presets: what it is worth is the
	// assurance policy's decision (internal/assurance, Policy.PID).
	External bool
	// Metadata is the resolved SD-JWT VC Type Metadata: shared labels
	// filled in, the evidence claims added, mandatory taken from the schema.
	Metadata TypeMetadata
	// DefaultEvidence is what an issuer of this type claims unless it says
	// otherwise; the registry may cap it further.
	DefaultEvidence Evidence
	// MaxEvidence caps the scores a credential of this type may carry
	// (zero fields are not capped beyond the shared ranges). The schema
	// enforces the same caps.
	MaxEvidence Evidence
	// MaxTTL is the longest lifetime (exp - iat) of a credential of this
	// type; zero means the type sets no limit.
	MaxTTL time.Duration
	// EvidencePresets are the named evidence an issuing desk chooses from
	// per credential ("document-seen", "declared-only"), each within
	// MaxEvidence; the default evidence is one of them. Types that define
	// none have the single preset "default" (EvidencePresetNames).
	EvidencePresets []EvidencePreset

	// The schema is compiled on first use (compile), not by Load: most
	// commands never validate, and compiling the catalogue costs more
	// than everything else Load does.
	compileOnce  sync.Once
	compiled     *jsonschema.Schema
	compileErr   error
	compiler     *lockedCompiler
	schemaID     string
	fieldsOnce   sync.Once
	fields       []Field        // ClaimFields for typing (inputFieldTree)
	schemaDoc    any            // raw schema, for path checks
	docs         map[string]any // raw schema documents by $id, for ClaimFields
	metadataJSON []byte
	claimIndex   map[string]*ClaimMetadata // by claimpath.FromPath(path)
	localesOnce  sync.Once
	locales      *locales // parsedLocales
	disclosable  []string
}

// Catalogue is the loaded, checked set of credential types. It is immutable
// (but for each type's schema, compiled once on first use) and safe for
// concurrent use.
type Catalogue struct {
	types []*Type
	byVCT map[string]*Type
	docs  map[string]any // raw schema documents by $id
}

// lockedCompiler is the catalogue's one schema compiler, shared by its
// types (they $ref the common and evidence schemas); the compiler is not
// safe for concurrent use, hence the lock.
type lockedCompiler struct {
	mu   sync.Mutex
	comp *jsonschema.Compiler
}

// compile returns the type's compiled schema, compiling it (and checking
// the type's default evidence against it) on the first call. A schema
// that does not compile is a build defect: every call then returns an
// error wrapping ErrCatalogue.
func (t *Type) compile() (*jsonschema.Schema, error) {
	t.compileOnce.Do(func() {
		t.compiler.mu.Lock()
		sch, err := t.compiler.comp.Compile(t.schemaID)
		t.compiler.mu.Unlock()
		if err != nil {
			t.compileErr = fmt.Errorf("%w: %s: schema.json: %v", ErrCatalogue, t.VCT, err)
			return
		}
		t.compiled = sch
		if t.External {
			return // no evidence claim, no defaults
		}
		// The defaults must themselves be acceptable evidence for this type.
		if err := t.validateWith(sch, map[string]any{"evidence": t.DefaultEvidence}); err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.compileErr = fmt.Errorf("%w: %s: type.json: default_evidence: %w", ErrCatalogue, t.VCT, err)
				return
			}
			for _, p := range ve.Problems {
				if strings.HasPrefix(p.Pointer, "/evidence") {
					t.compileErr = fmt.Errorf("%w: %s: type.json: default_evidence: %s %s", ErrCatalogue, t.VCT, p.Pointer, p.Message)
					return
				}
			}
		}
	})
	return t.compiled, t.compileErr
}

// Compile compiles the schema of every type now rather than on first use
// and returns the first failure (wrapping ErrCatalogue). A service that
// wants a broken catalogue to stop it at start-up, not at its first
// request, calls it after Load; tests of the embedded catalogue do.
func (c *Catalogue) Compile() error {
	for _, t := range c.types {
		if _, err := t.compile(); err != nil {
			return err
		}
	}
	return nil
}

// typePolicy is the content of a type.json file.
type typePolicy struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// VCT and External: a type issued outside Cairn keeps its own vct
	// (e.g. urn:eudi:pid:1) and sets external; Cairn's types leave both
	// out (their vct is urn:cairn:vct:<name>:<version>).
	VCT      string `json:"vct,omitempty"`
	External bool   `json:"external,omitempty"`
	// Note says where an external type's definition comes from.
	Note            string   `json:"note,omitempty"`
	DefaultEvidence Evidence `json:"default_evidence"`
	MaxEvidence     Evidence `json:"max_evidence"`
	MaxTTL          string   `json:"max_ttl"` // ISO 8601 days, "P90D"; empty: none
	// EvidencePresets: the evidence an issuing desk may choose per
	// credential (what was seen of the person); the default is one of them.
	EvidencePresets []EvidencePreset `json:"evidence_presets"`
}

// validTypeName: lower-case ASCII words joined by single hyphens, as in a vct.
func validTypeName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// parseDays parses an ISO 8601 duration in whole days ("P90D"), the only
// form max_ttl uses.
func parseDays(s string) (time.Duration, error) {
	n, ok := strings.CutPrefix(s, "P")
	if ok {
		n, ok = strings.CutSuffix(n, "D")
	}
	days, err := strconv.Atoi(n)
	if !ok || err != nil || days < 1 || days > 36500 || n[0] == '0' || n[0] == '+' {
		return 0, fmt.Errorf("max_ttl %q: want whole days like P90D", s)
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// Load reads and checks the embedded catalogue: every file parses, claim
// paths exist in their schemas, labels and policies are complete. It does
// not compile the schemas: each is compiled on its type's first Validate
// (Compile does them all at once). Call it once and share the result.
func Load() (*Catalogue, error) {
	return loadFS(catalogueFS, "catalogue")
}

func loadFS(fsys fs.FS, root string) (*Catalogue, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrCatalogue}, args...)...)
	}
	docs := map[string]any{} // schema $id -> raw document
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	comp.AssertFormat()
	// Only our own resources resolve: no file or network loading.
	comp.UseLoader(jsonschema.SchemeURLLoader{})

	for _, name := range []string{"common.schema.json", "evidence.schema.json"} {
		doc, id, err := readSchema(fsys, path.Join(root, name))
		if err != nil {
			return nil, fail("%s: %v", name, err)
		}
		if err := comp.AddResource(id, doc); err != nil {
			return nil, fail("%s: %v", name, err)
		}
		docs[id] = doc
	}
	if docs[commonSchemaID] == nil || docs[evidenceID] == nil {
		return nil, fail("common.schema.json and evidence.schema.json must have $id %s and %s", commonSchemaID, evidenceID)
	}
	var labels map[string][]ClaimDisplay
	if err := readStrict(fsys, path.Join(root, "labels.json"), &labels); err != nil {
		return nil, fail("labels.json: %v", err)
	}

	policyFiles, err := fs.Glob(fsys, path.Join(root, "types", "*", "*", "type.json"))
	if err != nil {
		return nil, fail("%v", err)
	}
	if len(policyFiles) == 0 {
		return nil, fail("no types")
	}
	c := &Catalogue{byVCT: map[string]*Type{}, docs: docs}
	lc := &lockedCompiler{comp: comp}
	for _, pf := range policyFiles {
		dir := path.Dir(pf)
		t, err := loadType(fsys, dir, lc, docs, labels)
		if err != nil {
			return nil, fail("%s: %v", dir, err)
		}
		if c.byVCT[t.VCT] != nil {
			return nil, fail("%s: duplicate vct %s", dir, t.VCT)
		}
		c.byVCT[t.VCT] = t
		c.types = append(c.types, t)
	}
	sort.Slice(c.types, func(i, j int) bool { return c.types[i].VCT < c.types[j].VCT })
	return c, nil
}

func loadType(fsys fs.FS, dir string, lc *lockedCompiler, docs map[string]any, labels map[string][]ClaimDisplay) (*Type, error) {
	var pol typePolicy
	if err := readStrict(fsys, path.Join(dir, "type.json"), &pol); err != nil {
		return nil, fmt.Errorf("type.json: %w", err)
	}
	if !validTypeName(pol.Name) || pol.Version < 1 {
		return nil, fmt.Errorf("type.json: bad name or version")
	}
	if want := path.Join(pol.Name, strconv.Itoa(pol.Version)); !strings.HasSuffix(dir, "/"+want) {
		return nil, fmt.Errorf("type.json: name and version must match the directory %s", want)
	}
	t := &Type{
		VCT:             vctPrefix + pol.Name + ":" + strconv.Itoa(pol.Version),
		Name:            pol.Name,
		Version:         pol.Version,
		External:        pol.External,
		DefaultEvidence: pol.DefaultEvidence,
		MaxEvidence:     pol.MaxEvidence,
	}
	if err := checkExternal(pol); err != nil {
		return nil, fmt.Errorf("type.json: %w", err)
	}
	if pol.External {
		t.VCT = pol.VCT
	}
	if pol.MaxTTL != "" {
		ttl, err := parseDays(pol.MaxTTL)
		if err != nil {
			return nil, fmt.Errorf("type.json: %w", err)
		}
		t.MaxTTL = ttl
	}

	doc, id, err := readSchema(fsys, path.Join(dir, "schema.json"))
	if err != nil {
		return nil, fmt.Errorf("schema.json: %w", err)
	}
	if want := "urn:cairn:schema:" + pol.Name + ":" + strconv.Itoa(pol.Version); id != want {
		return nil, fmt.Errorf("schema.json: $id must be %s", want)
	}
	if err := lc.comp.AddResource(id, doc); err != nil {
		return nil, fmt.Errorf("schema.json: %w", err)
	}
	docs[id] = doc
	t.schemaDoc = doc
	t.docs = docs
	t.compiler, t.schemaID = lc, id

	var md TypeMetadata
	if err := readStrict(fsys, path.Join(dir, "metadata.json"), &md); err != nil {
		return nil, fmt.Errorf("metadata.json: %w", err)
	}
	if md.VCT != t.VCT {
		return nil, fmt.Errorf("metadata.json: vct %q, want %q", md.VCT, t.VCT)
	}
	if err := t.resolveMetadata(md, doc, docs, labels); err != nil {
		return nil, fmt.Errorf("metadata.json: %w", err)
	}
	if err := checkCaps(pol.DefaultEvidence, pol.MaxEvidence); err != nil {
		return nil, fmt.Errorf("type.json: %w", err)
	}
	if err := checkPresets(pol); err != nil {
		return nil, fmt.Errorf("type.json: %w", err)
	}
	t.EvidencePresets = pol.EvidencePresets
	return t, nil
}

// checkExternal: an external type names its own vct (a URN outside
// Cairn's urn:cairn: namespace) and claims no evidence (no defaults, caps,
// presets or lifetime of Cairn's); a Cairn type names no vct.
func checkExternal(pol typePolicy) error {
	if !pol.External {
		if pol.VCT != "" {
			return errors.New("vct is set only for an external type (Cairn's are urn:cairn:vct:<name>:<version>)")
		}
		return nil
	}
	if !strings.HasPrefix(pol.VCT, "urn:") || strings.HasPrefix(pol.VCT, "urn:cairn:") || len(pol.VCT) > 200 || strings.ContainsAny(pol.VCT, " \t\n*") {
		return fmt.Errorf("external type: vct %q must be a URN outside the urn:cairn: namespace", pol.VCT)
	}
	if pol.DefaultEvidence != (Evidence{}) || pol.MaxEvidence != (Evidence{}) || len(pol.EvidencePresets) > 0 || pol.MaxTTL != "" {
		return errors.New("external type: no default_evidence, max_evidence, evidence_presets or max_ttl (Cairn does not issue it)")
	}
	if pol.Note == "" {
		return errors.New("external type: a note says where its definition comes from")
	}
	return nil
}

// checkCaps refuses defaults above the type's own caps.
func checkCaps(def, max Evidence) error {
	over := func(v, m int) bool { return m != 0 && v > m }
	if over(def.Strength, max.Strength) || over(def.Validity, max.Validity) ||
		over(def.Verification, max.Verification) || over(def.IdentityFraud, max.IdentityFraud) {
		return errors.New("default_evidence exceeds max_evidence")
	}
	return nil
}

// resolveMetadata completes md (shared labels, evidence claims, mandatory
// flags), checks every claim path against the schema and indexes it.
func (t *Type) resolveMetadata(md TypeMetadata, schemaDoc any, docs map[string]any, labels map[string][]ClaimDisplay) error {
	if md.Name == "" || !hasLocale(typeLocales(md.Display), "en") {
		return errors.New("needs a name and an English display entry")
	}
	for _, d := range md.Display {
		if d.Name == "" || !validLocale(d.Locale) {
			return fmt.Errorf("display entry %q: needs a valid locale and a name", d.Locale)
		}
	}
	// The evidence claim and its members are shared and never SD: add them
	// unless the type lists them (to override labels), and force "never".
	if _, ok := schemaAt(schemaDoc, []any{"evidence"}, docs); ok {
		listed := map[string]bool{}
		for _, cm := range md.Claims {
			listed[claimpath.FromPath(normPath(cm.Path))] = true
		}
		for _, p := range [][]any{{"evidence"}, {"evidence", "strength"}, {"evidence", "validity"},
			{"evidence", "verification"}, {"evidence", "identity_fraud"}, {"evidence", "known_since"}, {"evidence", "method"}} {
			if !listed[claimpath.FromPath(p)] {
				md.Claims = append(md.Claims, ClaimMetadata{Path: p, SD: SDNever})
			}
		}
	}
	required := requiredOf(schemaDoc, docs)
	t.claimIndex = map[string]*ClaimMetadata{}
	for i := range md.Claims {
		cm := &md.Claims[i]
		p, err := checkPath(cm.Path)
		if err != nil {
			return err
		}
		cm.Path = p
		key := claimpath.FromPath(p)
		if t.claimIndex[key] != nil {
			return fmt.Errorf("claim %s listed twice", key)
		}
		if s, ok := p[0].(string); ok && isLayerClaim(s) {
			return fmt.Errorf("claim %s is added by the credential layer, not the type", key)
		}
		if _, ok := schemaAt(schemaDoc, p, docs); !ok {
			return fmt.Errorf("claim path %s is not in the schema", key)
		}
		switch cm.SD {
		case "":
			cm.SD = SDAllowed
		case SDAlways, SDAllowed, SDNever:
		default:
			return fmt.Errorf("claim %s: sd %q", key, cm.SD)
		}
		if p[0] == "evidence" && cm.SD != SDNever {
			return fmt.Errorf("claim %s: evidence is never selectively disclosable", key)
		}
		if len(cm.Display) == 0 {
			cm.Display = sharedLabels(labels, p)
		}
		if !hasLocale(claimLocales(cm.Display), "en") {
			return fmt.Errorf("claim %s has no English label", key)
		}
		for _, d := range cm.Display {
			if d.Label == "" || !validLocale(d.Locale) {
				return fmt.Errorf("claim %s: label %q: needs a valid locale and text", key, d.Locale)
			}
		}
		if len(p) == 1 && required[p[0].(string)] {
			cm.Mandatory = true
		}
		t.claimIndex[key] = cm
		if cm.SD == SDAlways {
			t.disclosable = append(t.disclosable, key)
		}
	}
	t.Metadata = md
	b, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return err
	}
	t.metadataJSON = b
	return nil
}

// sharedLabels finds the labels of a claim in labels.json: by its full key
// first ("evidence/strength"), then by its last member name ("country").
func sharedLabels(labels map[string][]ClaimDisplay, p []any) []ClaimDisplay {
	if l, ok := labels[strings.TrimPrefix(claimpath.FromPath(p), "/")]; ok {
		return append([]ClaimDisplay(nil), l...)
	}
	for i := len(p) - 1; i >= 0; i-- {
		if s, ok := p[i].(string); ok {
			return append([]ClaimDisplay(nil), labels[s]...)
		}
	}
	return nil
}

// checkPath validates a claim path from a metadata document and converts
// JSON numbers to int.
func checkPath(p []any) ([]any, error) {
	if len(p) == 0 || len(p) > 8 {
		return nil, errors.New("claim path must have 1 to 8 elements")
	}
	if _, ok := p[0].(string); !ok {
		return nil, errors.New("claim path must start with a claim name")
	}
	out := make([]any, len(p))
	for i, e := range p {
		switch v := e.(type) {
		case nil:
			out[i] = nil
		case string:
			if v == "" || v == "*" {
				return nil, fmt.Errorf("claim path element %q", v)
			}
			out[i] = v
		case float64:
			if v < 0 || v != float64(int(v)) {
				return nil, fmt.Errorf("claim path element %v", v)
			}
			out[i] = int(v)
		case int:
			if v < 0 {
				return nil, fmt.Errorf("claim path element %v", v)
			}
			out[i] = v
		default:
			return nil, fmt.Errorf("claim path element of type %T", e)
		}
	}
	return out, nil
}

// normPath makes a caller's path comparable with metadata paths: array
// indexes select the metadata of "every element" (nil), since the catalogue
// describes arrays only through nil.
func normPath(p []any) []any {
	out := make([]any, len(p))
	for i, e := range p {
		switch v := e.(type) {
		case string:
			out[i] = v
		default:
			out[i] = nil
		}
	}
	return out
}

func readFile(fsys fs.FS, name string) ([]byte, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	if len(b) > maxCatalogueFile {
		return nil, errors.New("file too large")
	}
	return b, nil
}

func readStrict(fsys fs.FS, name string, v any) error {
	b, err := readFile(fsys, name)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

func readSchema(fsys fs.FS, name string) (doc any, id string, err error) {
	b, err := readFile(fsys, name)
	if err != nil {
		return nil, "", err
	}
	doc, err = jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, "", err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, "", errors.New("not an object")
	}
	if m["$schema"] != draft202012 {
		return nil, "", fmt.Errorf("$schema must be %s", draft202012)
	}
	id, _ = m["$id"].(string)
	if !strings.HasPrefix(id, "urn:cairn:schema:") {
		return nil, "", errors.New("$id must be a urn:cairn:schema: URN")
	}
	return doc, id, nil
}

// Types returns the types sorted by vct.
func (c *Catalogue) Types() []*Type { return append([]*Type(nil), c.types...) }

// Lookup returns the type with the given vct, or an error wrapping
// ErrUnknownType.
func (c *Catalogue) Lookup(vct string) (*Type, error) {
	if t := c.byVCT[vct]; t != nil {
		return t, nil
	}
	if len(vct) > 200 {
		vct = vct[:200] + "…"
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownType, vct)
}

// MetadataJSON returns the SD-JWT VC Type Metadata document as served
// (a fresh copy; callers may keep it).
func (t *Type) MetadataJSON() []byte { return append([]byte(nil), t.metadataJSON...) }

// CapEvidence lowers each score of e to the type's MaxEvidence.
func (t *Type) CapEvidence(e Evidence) Evidence {
	capTo := func(v *int, m int) {
		if m != 0 && *v > m {
			*v = m
		}
	}
	capTo(&e.Strength, t.MaxEvidence.Strength)
	capTo(&e.Validity, t.MaxEvidence.Validity)
	capTo(&e.Verification, t.MaxEvidence.Verification)
	capTo(&e.IdentityFraud, t.MaxEvidence.IdentityFraud)
	return e
}
