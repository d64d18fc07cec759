package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
	"unicode"

	"github.com/cairn-id/cairn/internal/claimpath"
)

func mustLoad(t testing.TB) *Catalogue {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestLoadCatalogue(t *testing.T) {
	c := mustLoad(t)
	types := c.Types()
	want := []string{
		"accommodation", "cash-assistance", "community-vouching", "education-qualification",
		"employment", "guardianship", "health-attestation", "humanitarian-registration",
		"identity-attestation", "language-skills", "residence-status", "eu-pid",
	}
	var got []string
	for i, ty := range types {
		got = append(got, ty.Name)
		if i > 0 && types[i-1].VCT >= ty.VCT {
			t.Errorf("Types not sorted by vct: %s before %s", types[i-1].VCT, ty.VCT)
		}
		if ty.External {
			if ty.VCT != "urn:eudi:pid:1" || ty.DefaultEvidence != (Evidence{}) || ty.MaxEvidence != (Evidence{}) || len(ty.EvidencePresets) > 0 {
				t.Errorf("external %s: vct %q, evidence %+v %+v", ty.Name, ty.VCT, ty.DefaultEvidence, ty.MaxEvidence)
			}
			continue
		}
		if ty.VCT != "urn:cairn:vct:"+ty.Name+":1" || ty.Version != 1 {
			t.Errorf("%s: vct %q version %d", ty.Name, ty.VCT, ty.Version)
		}
		if ty.DefaultEvidence.Strength < 1 || ty.DefaultEvidence.Validity < 1 || ty.DefaultEvidence.Method == "" {
			t.Errorf("%s: default evidence %+v incomplete", ty.Name, ty.DefaultEvidence)
		}
		back, err := c.Lookup(ty.VCT)
		if err != nil || back != ty {
			t.Errorf("Lookup(%s) = %v, %v", ty.VCT, back, err)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("types = %v, want %v", got, want)
	}
	for _, vct := range []string{"", "urn:cairn:vct:identity-attestation:2", "urn:cairn:vct:identity-attestation", strings.Repeat("x", 1000)} {
		if _, err := c.Lookup(vct); !errors.Is(err, ErrUnknownType) {
			t.Errorf("Lookup(%.20q): err = %v, want ErrUnknownType", vct, err)
		} else if len(err.Error()) > 300 {
			t.Errorf("Lookup error not bounded: %d bytes", len(err.Error()))
		}
	}
	// Types returns a copy.
	types[0] = nil
	if c.Types()[0] == nil {
		t.Error("Types exposes the catalogue's slice")
	}
}

func TestPolicies(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		vct     string
		ttl     time.Duration
		maxStr  int
		defEvid Evidence
	}{
		{"urn:cairn:vct:community-vouching:1", 90 * 24 * time.Hour, 1, Evidence{Strength: 1, Validity: 1, Method: "vouching"}},
		{"urn:cairn:vct:identity-attestation:1", 1825 * 24 * time.Hour, 0, Evidence{Strength: 3, Validity: 3, Verification: 3, IdentityFraud: 2, Method: "document_check"}},
		{"urn:cairn:vct:humanitarian-registration:1", 0, 0, Evidence{Strength: 2, Validity: 2, Verification: 2, Method: "in_person"}},
		{"urn:cairn:vct:health-attestation:1", 365 * 24 * time.Hour, 0, Evidence{Strength: 1, Validity: 1, Method: "in_person"}},
	}
	for _, tt := range tests {
		ty, err := c.Lookup(tt.vct)
		if err != nil {
			t.Fatal(err)
		}
		if ty.MaxTTL != tt.ttl || ty.MaxEvidence.Strength != tt.maxStr || ty.DefaultEvidence != tt.defEvid {
			t.Errorf("%s: ttl %v cap %d default %+v", tt.vct, ty.MaxTTL, ty.MaxEvidence.Strength, ty.DefaultEvidence)
		}
	}
	vouch, _ := c.Lookup("urn:cairn:vct:community-vouching:1")
	got := vouch.CapEvidence(Evidence{Strength: 4, Validity: 3, Verification: 2, IdentityFraud: 3, Method: "in_person"})
	if want := (Evidence{Strength: 1, Validity: 1, Verification: 1, IdentityFraud: 1, Method: "in_person"}); got != want {
		t.Errorf("CapEvidence = %+v, want %+v", got, want)
	}
	id, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
	if e := (Evidence{Strength: 4, Validity: 4}); id.CapEvidence(e) != e {
		t.Error("CapEvidence lowered scores of an uncapped type")
	}
}

func TestEvidenceJSONShape(t *testing.T) {
	b, err := json.Marshal(Evidence{Strength: 2, Validity: 3})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"strength":2,"validity":3}` {
		t.Errorf("minimal evidence = %s", b)
	}
	b, _ = json.Marshal(Evidence{Strength: 2, Validity: 3, Verification: 1, IdentityFraud: 2, KnownSince: "2020-01-31", Method: "records_check"})
	want := `{"strength":2,"validity":3,"verification":1,"identity_fraud":2,"known_since":"2020-01-31","method":"records_check"}`
	if string(b) != want {
		t.Errorf("full evidence = %s, want %s", b, want)
	}
}

// Every type validates its realistic example and rejects its broken one,
// at the expected claim, without echoing any claim value.
func TestExamples(t *testing.T) {
	c := mustLoad(t)
	breakages := map[string]string{}
	for _, ty := range c.Types() {
		t.Run(ty.Name, func(t *testing.T) {
			var valid map[string]any
			readJSON(t, filepath.Join("testdata", "valid", ty.Name+".json"), &valid)
			if err := ty.Validate(valid); err != nil {
				t.Fatalf("valid example rejected: %v", err)
			}

			var bad struct {
				Breakage    string         `json:"breakage"`
				WantPointer string         `json:"want_pointer"`
				Claims      map[string]any `json:"claims"`
			}
			readJSON(t, filepath.Join("testdata", "invalid", ty.Name+".json"), &bad)
			if prev, dup := breakages[bad.Breakage]; dup {
				t.Errorf("breakage %q already used by %s", bad.Breakage, prev)
			}
			breakages[bad.Breakage] = ty.Name
			err := ty.Validate(bad.Claims)
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidClaims) {
				t.Fatalf("%s: err = %v, want *ValidationError", bad.Breakage, err)
			}
			var ptrs []string
			for _, p := range ve.Problems {
				ptrs = append(ptrs, p.Pointer)
				if p.Message == "" {
					t.Errorf("empty message at %s", p.Pointer)
				}
			}
			if !slices.Contains(ptrs, bad.WantPointer) {
				t.Errorf("%s: problems at %v, want one at %s", bad.Breakage, ptrs, bad.WantPointer)
			}
			assertNoValues(t, err.Error(), bad.Claims, ty.VCT)
		})
	}
}

// assertNoValues fails if msg contains a string or number value of claims
// (other than the vct, which the message names anyway).
func assertNoValues(t *testing.T, msg string, claims any, vct string) {
	t.Helper()
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			if !strings.Contains(vct, v) && len(v) >= 2 && strings.Contains(msg, v) {
				t.Errorf("error message leaks a claim value %q: %s", v, msg)
			}
		}
	}
	walk(claims)
}

func TestValidateCases(t *testing.T) {
	c := mustLoad(t)
	id, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
	base := func() map[string]any {
		return map[string]any{"family_name": "Doe", "given_name": "Jan", "birthdate": "1990-05-01"}
	}
	with := func(k string, v any) map[string]any { m := base(); m[k] = v; return m }
	without := func(k string) map[string]any { m := base(); delete(m, k); return m }
	tests := []struct {
		name    string
		claims  map[string]any
		wantPtr string // "" means valid
	}{
		{"minimal", base(), ""},
		{"unknown nationality QU", with("nationalities", []string{"QU"}), ""},
		{"stateless QS", with("nationalities", []any{"QS"}), ""},
		{"Go int and []string values", with("sex", 9), ""},
		{"registered claims present", func() map[string]any {
			m := base()
			m["iss"], m["iat"], m["nbf"], m["exp"], m["vct"] = "did:jwk:x", 1, 1, 2, "urn:cairn:vct:identity-attestation:1"
			m["cnf"], m["status"] = map[string]any{"jwk": map[string]any{}}, map[string]any{"status_list": map[string]any{}}
			return m
		}(), ""},
		{"XX refused", with("nationalities", []string{"XX"}), "/nationalities/0"},
		{"withdrawn code YU refused", with("nationalities", []string{"YU"}), "/nationalities/0"},
		{"lower case code refused", with("nationalities", []string{"ua"}), "/nationalities/0"},
		{"duplicate nationality", with("nationalities", []string{"SY", "SY"}), "/nationalities"},
		{"empty nationalities", with("nationalities", []string{}), "/nationalities"},
		{"precision decade", with("birthdate_precision", "decade"), "/birthdate_precision"},
		{"datetime is not a date", with("birthdate", "1990-05-01T00:00:00Z"), "/birthdate"},
		{"month 13", with("birthdate", "1990-13-01"), "/birthdate"},
		{"sex as text", with("sex", "female"), "/sex"},
		{"sex code 7", with("sex", 7), "/sex"},
		{"missing family_name", without("family_name"), "/family_name"},
		{"empty given_name", with("given_name", ""), "/given_name"},
		{"unknown claim", with("religion", "x"), "/religion"},
		{"script not ISO 15924", with("name_variants", []any{map[string]any{"family_name": "Doe", "script": "latin", "source": "registration"}}), "/name_variants/0/script"},
		{"variant without a name", with("name_variants", []any{map[string]any{"script": "Latn", "source": "registration"}}), "/name_variants/0/family_name"},
		{"place of birth empty", with("place_of_birth", map[string]any{}), "/place_of_birth"},
		{"iat as string", with("iat", "yesterday"), "/iat"},
		{"evidence missing validity", with("evidence", map[string]any{"strength": 2}), "/evidence/validity"},
		{"evidence fraud 4", with("evidence", map[string]any{"strength": 2, "validity": 2, "identity_fraud": 4}), "/evidence/identity_fraud"},
		{"evidence strength 0", with("evidence", Evidence{Validity: 1}), "/evidence/strength"},
		{"evidence bad known_since", with("evidence", map[string]any{"strength": 2, "validity": 2, "known_since": "2020-02-30"}), "/evidence/known_since"},
		{"evidence method with spaces", with("evidence", map[string]any{"strength": 2, "validity": 2, "method": "looked at it"}), "/evidence/method"},
		{"evidence unknown member", with("evidence", map[string]any{"strength": 2, "validity": 2, "score": 9}), "/evidence/score"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := id.Validate(tt.claims)
			if tt.wantPtr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			found := false
			for _, p := range ve.Problems {
				found = found || p.Pointer == tt.wantPtr
			}
			if !found {
				t.Errorf("problems %+v, want one at %s", ve.Problems, tt.wantPtr)
			}
			assertNoValues(t, err.Error(), tt.claims, id.VCT)
		})
	}

	t.Run("nil claims", func(t *testing.T) {
		var ve *ValidationError
		if err := id.Validate(nil); !errors.As(err, &ve) || len(ve.Problems) != 3 {
			t.Errorf("Validate(nil) = %v, want the 3 missing required claims", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		err := id.Validate(with("given_name", strings.Repeat("a", MaxClaimsSize)))
		if !errors.Is(err, ErrClaimsTooLarge) {
			t.Errorf("err = %v, want ErrClaimsTooLarge", err)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		if err := id.Validate(with("given_name", func() {})); !errors.Is(err, ErrInvalidClaims) {
			t.Errorf("err = %v, want ErrInvalidClaims", err)
		}
	})
	t.Run("health needs a fact", func(t *testing.T) {
		h, _ := c.Lookup("urn:cairn:vct:health-attestation:1")
		if err := h.Validate(map[string]any{"assessed_on": "2025-01-01"}); err == nil {
			t.Error("a health attestation with neither vaccinations nor fit_to_travel was accepted")
		}
	})
}

func hasScript(s string, table *unicode.RangeTable) bool {
	for _, r := range s {
		if unicode.Is(table, r) {
			return true
		}
	}
	return false
}

// Every claim the schema describes, and the type itself, is labelled in
// en, fr, ar and uk, in the right script.
func TestLabelsEveryClaim(t *testing.T) {
	c := mustLoad(t)
	scripts := map[string]*unicode.RangeTable{"en": unicode.Latin, "fr": unicode.Latin, "ar": unicode.Arabic, "uk": unicode.Cyrillic}
	for _, ty := range c.Types() {
		paths := schemaClaimPaths(ty.schemaDoc, c.docs)
		if len(paths) < 4 {
			t.Fatalf("%s: schema walk found only %v", ty.Name, paths)
		}
		for _, p := range paths {
			cm := ty.claimIndex[claimpath.FromPath(p)]
			if cm == nil {
				t.Errorf("%s: claim %s has no metadata", ty.Name, claimpath.FromPath(p))
				continue
			}
			for _, loc := range RequiredLocales() {
				i := slices.IndexFunc(cm.Display, func(d ClaimDisplay) bool { return d.Locale == loc })
				if i < 0 {
					t.Errorf("%s: claim %s has no %s label", ty.Name, claimpath.FromPath(p), loc)
					continue
				}
				if l := cm.Display[i].Label; !hasScript(l, scripts[loc]) {
					t.Errorf("%s: %s label of %s %q is not in the expected script", ty.Name, loc, claimpath.FromPath(p), l)
				}
				if got := ty.Label(p, loc); got != cm.Display[i].Label {
					t.Errorf("%s: Label(%v, %s) = %q", ty.Name, p, loc, got)
				}
			}
		}
		for _, loc := range RequiredLocales() {
			i := slices.IndexFunc(ty.Metadata.Display, func(d TypeDisplay) bool { return d.Locale == loc })
			if i < 0 || !hasScript(ty.Metadata.Display[i].Name, scripts[loc]) || !hasScript(ty.Metadata.Display[i].Description, scripts[loc]) {
				t.Errorf("%s: no proper %s display name and description", ty.Name, loc)
			}
		}
		if ty.DisplayName("uk") == ty.DisplayName("en") || ty.DisplayName("ar") == ty.DisplayName("fr") {
			t.Errorf("%s: display names not translated", ty.Name)
		}
	}
}

// Every claim path in the metadata exists in the schema, and registered
// JWT claims are not described by types.
func TestMetadataPathsInSchema(t *testing.T) {
	c := mustLoad(t)
	for _, ty := range c.Types() {
		for _, cm := range ty.Metadata.Claims {
			if _, ok := schemaAt(ty.schemaDoc, cm.Path, c.docs); !ok {
				t.Errorf("%s: metadata path %v not in schema", ty.Name, cm.Path)
			}
			if s, _ := cm.Path[0].(string); isLayerClaim(s) {
				t.Errorf("%s: metadata describes %s", ty.Name, s)
			}
		}
		if _, ok := schemaAt(ty.schemaDoc, []any{"no_such_claim"}, c.docs); ok {
			t.Errorf("%s: schemaAt found a claim that does not exist", ty.Name)
		}
		if _, ok := schemaAt(ty.schemaDoc, []any{"evidence", "strength"}, c.docs); !ok && !ty.External {
			t.Errorf("%s: schemaAt does not follow $ref to the evidence schema", ty.Name)
		}
	}
}

func TestLabelFallback(t *testing.T) {
	c := mustLoad(t)
	id, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
	tests := []struct {
		path []any
		lang string
		want string
	}{
		{[]any{"family_name"}, "fr", "Nom de famille"},
		{[]any{"family_name"}, "fr-CA", "Nom de famille"},
		{[]any{"family_name"}, "FR-ca", "Nom de famille"},
		{[]any{"family_name"}, "uk-UA", "Прізвище"},
		{[]any{"family_name"}, "ar-SY", "اسم العائلة"},
		{[]any{"family_name"}, "de", "Family name"},
		{[]any{"family_name"}, "", "Family name"},
		{[]any{"family_name"}, "not a tag!!", "Family name"},
		{[]any{"family_name"}, "de-DE,uk;q=0.8,fr;q=0.5", "Прізвище"},
		{[]any{"family_name"}, "en-GB", "Family name"},
		{[]any{"nationalities", 0}, "fr", "Nationalités"},
		{[]any{"name_variants", 1, "script"}, "fr", "Système d'écriture"},
		{[]any{"name_variants", nil, "script"}, "ar", "نظام الكتابة"},
		{[]any{"evidence", "strength"}, "uk", "Вагомість доказу (1–4)"},
		{[]any{"favourite_colour"}, "fr", "favourite_colour"},
		{[]any{"name_variants", 0, "mystery"}, "fr", "mystery"},
		{[]any{"tags", 3}, "fr", "tags"},
		{nil, "fr", ""},
	}
	for _, tt := range tests {
		if got := id.Label(tt.path, tt.lang); got != tt.want {
			t.Errorf("Label(%v, %q) = %q, want %q", tt.path, tt.lang, got, tt.want)
		}
	}
	if got := id.DisplayName("fr-BE"); got != "Attestation d'identité" {
		t.Errorf("DisplayName(fr-BE) = %q", got)
	}
	if got := id.DisplayName("sw"); got != "Identity attestation" {
		t.Errorf("DisplayName(sw) = %q", got)
	}
	if got := id.Description("ar"); !hasScript(got, unicode.Arabic) {
		t.Errorf("Description(ar) = %q", got)
	}
}

func TestChooseLocaleRegional(t *testing.T) {
	// Only regional entries: a base-language request still finds them.
	avail := []string{"en-US", "fr-FR"}
	tests := map[string]int{"fr": 1, "fr-CA": 1, "fr-FR": 1, "en": 0, "de": 0, "": 0}
	for lang, want := range tests {
		if got := chooseLocale(avail, lang); got != want {
			t.Errorf("chooseLocale(%v, %q) = %d, want %d", avail, lang, got, want)
		}
	}
	if got := chooseLocale([]string{"fr"}, "de"); got != -1 {
		t.Errorf("no English and no match: got %d, want -1", got)
	}
}

func TestSDPolicyAndDisclosablePaths(t *testing.T) {
	c := mustLoad(t)
	for _, ty := range c.Types() {
		dp := ty.DisclosablePaths()
		if len(dp) == 0 {
			t.Errorf("%s: nothing selectively disclosable", ty.Name)
		}
		for _, p := range dp {
			if strings.HasPrefix(p, "/evidence") {
				t.Errorf("%s: evidence is disclosable: %s", ty.Name, p)
			}
			cm := ty.claimIndex[p]
			if cm == nil || cm.SD != SDAlways || ty.SDPolicy(cm.Path) != SDAlways {
				t.Errorf("%s: %s listed but its policy is not always", ty.Name, p)
			}
		}
		for _, cm := range ty.Metadata.Claims {
			if cm.SD == SDNever && slices.Contains(dp, claimpath.FromPath(cm.Path)) {
				t.Errorf("%s: never-SD claim %v listed", ty.Name, cm.Path)
			}
			if cm.SD == SDAlways && !slices.Contains(dp, claimpath.FromPath(cm.Path)) {
				t.Errorf("%s: always-SD claim %v missing", ty.Name, cm.Path)
			}
		}
		for _, p := range [][]any{{"evidence"}, {"evidence", "strength"}, {"iss"}, {"vct"}, {"cnf", "jwk"}, {"status"}, {"exp"}, {"nbf"}} {
			if p[0] == "evidence" && ty.External {
				continue // an external type has no evidence claim
			}
			if got := ty.SDPolicy(p); got != SDNever {
				t.Errorf("%s: SDPolicy(%v) = %s, want never", ty.Name, p, got)
			}
		}
		if got := ty.SDPolicy([]any{"unlisted"}); got != SDAllowed {
			t.Errorf("%s: SDPolicy(unlisted) = %s, want allowed", ty.Name, got)
		}
		if got := ty.SDPolicy([]any{"family_name"}); got != SDAlways {
			t.Errorf("%s: SDPolicy(family_name) = %s, want always", ty.Name, got)
		}
		dp[0] = "mutated"
		if ty.DisclosablePaths()[0] == "mutated" {
			t.Errorf("%s: DisclosablePaths exposes internal state", ty.Name)
		}
	}
	id, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
	if dp := id.DisclosablePaths(); !slices.Contains(dp, "/nationalities/*") || !slices.Contains(dp, "/name_variants/*") {
		t.Errorf("identity DisclosablePaths = %v, want array elements as /x/*", dp)
	}
	if got := id.SDPolicy([]any{"nationalities", 2}); got != SDAlways {
		t.Errorf("SDPolicy(nationalities[2]) = %s", got)
	}
}

func TestMetadataJSON(t *testing.T) {
	c := mustLoad(t)
	for _, ty := range c.Types() {
		raw := ty.MetadataJSON()
		var doc struct {
			VCT     string `json:"vct"`
			Name    string `json:"name"`
			Display []map[string]string
			Claims  []struct {
				Path      []any            `json:"path"`
				Display   []map[string]any `json:"display"`
				SD        string           `json:"sd"`
				Mandatory bool             `json:"mandatory"`
			} `json:"claims"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s: %v", ty.Name, err)
		}
		if doc.VCT != ty.VCT || doc.Name == "" || len(doc.Display) < 4 {
			t.Errorf("%s: metadata head %q %q %d", ty.Name, doc.VCT, doc.Name, len(doc.Display))
		}
		mandatory := 0
		var sawEvidence bool
		for _, cl := range doc.Claims {
			if len(cl.Path) == 0 || len(cl.Display) < 4 || (cl.SD != SDAlways && cl.SD != SDAllowed && cl.SD != SDNever) {
				t.Errorf("%s: claim %v incomplete", ty.Name, cl.Path)
			}
			for _, d := range cl.Display {
				if d["locale"] == nil || d["label"] == nil || d["lang"] != nil {
					t.Errorf("%s: claim %v display %v not in draft-25 form", ty.Name, cl.Path, d)
				}
			}
			if cl.Mandatory {
				mandatory++
			}
			if len(cl.Path) == 1 && cl.Path[0] == "evidence" {
				sawEvidence = cl.SD == SDNever
			}
		}
		if mandatory == 0 || !sawEvidence && !ty.External {
			t.Errorf("%s: mandatory claims %d, evidence never-SD %v", ty.Name, mandatory, sawEvidence)
		}
		raw[0] = 'X'
		if ty.MetadataJSON()[0] == 'X' {
			t.Errorf("%s: MetadataJSON exposes internal bytes", ty.Name)
		}
	}
}

// A copy of the embedded catalogue, to break on purpose.
func catalogueCopy(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(catalogueFS, "catalogue", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(catalogueFS, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoadRejectsBrokenCatalogue(t *testing.T) {
	const dir = "catalogue/types/identity-attestation/1/"
	edit := func(file, old, new string) func(fstest.MapFS) {
		return func(m fstest.MapFS) {
			s := string(m[dir+file].Data)
			if !strings.Contains(s, old) {
				panic("test edit does not apply: " + old)
			}
			m[dir+file] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
		}
	}
	tests := []struct {
		name   string
		break_ func(fstest.MapFS)
		want   string
		// lazy: caught when the schema is compiled (first Validate, or
		// Compile), not by Load.
		lazy bool
	}{
		{"unchanged", func(fstest.MapFS) {}, "", false},
		{"path not in schema", edit("metadata.json", `["sex"]`, `["gender"]`), "not in the schema", false},
		{"nested path not in schema", edit("metadata.json", `["place_of_birth", "region"]`, `["place_of_birth", "county"]`), "not in the schema", false},
		{"bad sd value", edit("metadata.json", `"sd": "always"`, `"sd": "sometimes"`), "sd", false},
		{"evidence made disclosable", edit("metadata.json", `{"path": ["sex"], "sd": "always"}`, `{"path": ["sex"], "sd": "always"}, {"path": ["evidence"], "sd": "always"}`), "evidence", false},
		{"registered claim described", edit("metadata.json", `{"path": ["sex"], "sd": "always"}`, `{"path": ["sex"], "sd": "always"}, {"path": ["iss"], "sd": "always"}`), "credential layer", false},
		{"duplicate claim", edit("metadata.json", `{"path": ["sex"], "sd": "always"}`, `{"path": ["sex"], "sd": "always"}, {"path": ["sex"], "sd": "never"}`), "twice", false},
		{"wrong vct", edit("metadata.json", `"urn:cairn:vct:identity-attestation:1"`, `"urn:cairn:vct:identity:1"`), "vct", false},
		{"unknown metadata member", edit("metadata.json", `"claims": [`, `"schema_uri": "x", "claims": [`), "unknown field", false},
		{"no English", edit("metadata.json", `"locale": "en"`, `"locale": "de"`), "English", false},
		{"default above cap", edit("type.json", `"version": 1,`, `"version": 1, "max_evidence": {"strength": 2, "validity": 4},`), "exceeds", false},
		{"default out of range", edit("type.json", `"strength": 3`, `"strength": 7`), "default_evidence", true},
		{"bad ttl", edit("type.json", `"P1825D"`, `"5y"`), "max_ttl", false},
		{"version mismatch", edit("type.json", `"version": 1`, `"version": 2`), "directory", false},
		{"schema not 2020-12", edit("schema.json", `draft/2020-12`, `draft-07`), "$schema", false},
		{"schema does not compile", edit("schema.json", `"minItems": 1`, `"minItems": "one"`), "schema.json", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := catalogueCopy(t)
			tt.break_(m)
			c, err := loadFS(m, "catalogue")
			if tt.want == "" || tt.lazy {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if err := c.Compile(); tt.want == "" && err != nil {
					t.Fatalf("unbroken copy: %v", err)
				}
				if tt.want == "" {
					return
				}
				broken, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
				// Loudly, on every use: Compile, then each Validate.
				for i := range 2 {
					if i == 0 {
						err = c.Compile()
					} else {
						err = broken.Validate(map[string]any{"given_name": "A"})
					}
					if !errors.Is(err, ErrCatalogue) || !strings.Contains(err.Error(), tt.want) {
						t.Errorf("use %d: err = %v, want ErrCatalogue mentioning %q", i, err, tt.want)
					}
				}
				// The other types are not affected.
				other, _ := c.Lookup("urn:cairn:vct:community-vouching:1")
				if err := other.Validate(map[string]any{}); errors.Is(err, ErrCatalogue) {
					t.Errorf("another type: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrCatalogue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrCatalogue mentioning %q", err, tt.want)
			}
		})
	}
}

func FuzzValidate(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"nationalities":[null,1.5e308,"QS"],"evidence":{"strength":1e400}}`))
	f.Add([]byte(`{"name_variants":[{"script":"Latn","source":"registration","family_name":"\u0000"}]}`))
	c, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	types := c.Types()
	f.Fuzz(func(t *testing.T, data []byte) {
		var claims map[string]any
		if json.Unmarshal(data, &claims) != nil {
			return
		}
		if inner, ok := claims["claims"].(map[string]any); ok {
			claims = inner
		}
		for _, ty := range types {
			err := ty.Validate(claims)
			var ve *ValidationError
			if err != nil && !errors.As(err, &ve) && !errors.Is(err, ErrClaimsTooLarge) {
				t.Fatalf("%s: unexpected error kind %T: %v", ty.Name, err, err)
			}
			if ve != nil && len(ve.Problems) == 0 {
				t.Fatalf("%s: ValidationError without problems", ty.Name)
			}
		}
	})
}

func FuzzLabel(f *testing.F) {
	for _, s := range []string{"fr-CA", "uk;q=0.5,ar", "", "*", "x-private", "zh-Hant-TW", "en-u-ca-buddhist"} {
		f.Add(s, "family_name")
	}
	c, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	id, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
	f.Fuzz(func(t *testing.T, lang, claim string) {
		if got := id.Label([]any{claim}, lang); got == "" && claim != "" {
			t.Fatalf("Label(%q, %q) is empty", claim, lang)
		}
		if id.DisplayName(lang) == "" {
			t.Fatal("empty display name")
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	c := mustLoad(b)
	ty, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
	var claims map[string]any
	readJSON(b, filepath.Join("testdata", "valid", "identity-attestation.json"), &claims)
	b.ReportAllocs()
	for b.Loop() {
		if err := ty.Validate(claims); err != nil {
			b.Fatal(err)
		}
	}
}

// Concurrent first uses of one type (and of several types sharing the
// catalogue's compiler) compile once and agree; run with -race.
func TestConcurrentFirstValidate(t *testing.T) {
	c := mustLoad(t)
	types := c.Types()
	var valid map[string]any
	readJSON(t, filepath.Join("testdata", "valid", "identity-attestation.json"), &valid)
	id, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
	var wg sync.WaitGroup
	errs := make([]error, 4*len(types))
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				errs[i] = id.Validate(valid)
				return
			}
			if err := types[i%len(types)].Validate(map[string]any{}); errors.Is(err, ErrCatalogue) {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
}

// BenchmarkLoadCompile is Load followed by compiling every schema: what
// Load alone cost before schemas were compiled on first use.
func BenchmarkLoadCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c, err := Load()
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Compile(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}

// Load no longer compiles the schemas: the embedded catalogue must still
// compile as a whole (every type, default evidence included).
func TestEmbeddedCatalogueCompiles(t *testing.T) {
	if err := mustLoad(t).Compile(); err != nil {
		t.Fatal(err)
	}
}
