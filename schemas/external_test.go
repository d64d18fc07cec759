package schemas

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cairn-id/cairn/internal/claimpath"
)

// TestEUPIDType: the EU PID is in the catalogue under its own vct, as an
// external type; its claims and sd rules are the reference type metadata's
// (pid_v1.4, without the registered JWT claims); its main claims are
// labelled in en, fr, ar and uk; the values of the reference PID
// (expected.json) validate, including the test issuing country "FC".
func TestEUPIDType(t *testing.T) {
	c := mustLoad(t)
	ty, err := c.Lookup("urn:eudi:pid:1")
	if err != nil {
		t.Fatal(err)
	}
	if !ty.External || ty.Name != "eu-pid" || ty.DisplayName("fr") == ty.DisplayName("en") {
		t.Fatalf("type %s external %v, names %q %q", ty.VCT, ty.External, ty.DisplayName("en"), ty.DisplayName("fr"))
	}
	var ref TypeMetadata
	readJSON(t, filepath.Join("..", "testdata", "eudi", "type-metadata", "urn-eudi-pid-1.v1.4.json"), &ref)
	n := 0
	for _, cm := range ref.Claims {
		if s, _ := cm.Path[0].(string); isLayerClaim(s) {
			continue
		}
		n++
		p, err := checkPath(cm.Path)
		if err != nil {
			t.Fatal(err)
		}
		got := ty.claimIndex[claimpath.FromPath(p)]
		if got == nil || got.SD != cm.SD {
			t.Errorf("%v: metadata %+v, reference sd %q", cm.Path, got, cm.SD)
		}
	}
	if n != len(ty.Metadata.Claims) || n < 30 {
		t.Errorf("%d claims, reference %d", len(ty.Metadata.Claims), n)
	}
	for _, p := range [][]any{{"family_name"}, {"given_name"}, {"birthdate"}, {"place_of_birth"}, {"nationalities"}, {"birth_family_name"}, {"sex"}, {"date_of_expiry"}, {"issuing_authority"}} {
		seen := map[string]bool{}
		for _, l := range RequiredLocales() {
			lb := ty.Label(p, l)
			if lb == "" || seen[lb] && l != "en" {
				t.Errorf("%v: %s label %q", p, l, lb)
			}
			seen[lb] = true
		}
	}
	values := map[string]any{
		"family_name": "Tester", "given_name": "Test", "birthdate": "1990-06-12", "nationalities": []any{"PT"},
		"place_of_birth": map[string]any{"country": "PT", "locality": "Porto"}, "issuing_country": "FC",
		"issuing_authority": "Test PID issuer", "date_of_issuance": "2026-08-10", "date_of_expiry": "2026-11-08",
	}
	if err := ty.Validate(values); err != nil {
		t.Fatalf("reference PID values: %v", err)
	}
	values["birthdate"] = "12/06/1990"
	if err := ty.Validate(values); !errors.Is(err, ErrInvalidClaims) {
		t.Fatalf("a malformed birthdate: %v", err)
	}
}

// TestExternalTypeRules: only an external type names its vct; it names
// one outside urn:cairn:, claims no evidence and says where it comes from.
func TestExternalTypeRules(t *testing.T) {
	const pidDir = "catalogue/types/eu-pid/1/"
	const idDir = "catalogue/types/identity-attestation/1/"
	edit := func(file, old, new string) func(fstest.MapFS) {
		return func(m fstest.MapFS) {
			s := string(m[file].Data)
			if !strings.Contains(s, old) {
				panic("test edit does not apply: " + old)
			}
			m[file] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
		}
	}
	for _, tc := range []struct {
		name   string
		break_ func(fstest.MapFS)
		want   string
	}{
		{"a Cairn type naming a vct", edit(idDir+"type.json", `"version": 1,`, `"version": 1, "vct": "urn:eudi:pid:1",`), "only for an external type"},
		{"external in Cairn's namespace", edit(pidDir+"type.json", `"vct": "urn:eudi:pid:1"`, `"vct": "urn:cairn:vct:eu-pid:1"`), "outside the urn:cairn: namespace"},
		{"external with a wildcard", edit(pidDir+"type.json", `"vct": "urn:eudi:pid:1"`, `"vct": "urn:eudi:pid:*"`), "outside the urn:cairn: namespace"},
		{"external with evidence", edit(pidDir+"type.json", `"external": true,`, `"external": true, "default_evidence": {"strength": 4, "validity": 3},`), "no default_evidence"},
		{"external without a note", func(m fstest.MapFS) {
			m[pidDir+"type.json"] = &fstest.MapFile{Data: []byte(`{"name": "eu-pid", "version": 1, "vct": "urn:eudi:pid:1", "external": true}`)}
		}, "a note"},
		{"metadata of another vct", edit(pidDir+"metadata.json", `"vct": "urn:eudi:pid:1"`, `"vct": "urn:eudi:pid:2"`), "vct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := catalogueCopy(t)
			tc.break_(m)
			if _, err := loadFS(m, "catalogue"); !errors.Is(err, ErrCatalogue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrCatalogue mentioning %q", err, tc.want)
			}
		})
	}
	c := mustLoad(t)
	var ext []string
	for _, ty := range c.Types() {
		if ty.External {
			ext = append(ext, ty.VCT)
		}
	}
	if !slices.Equal(ext, []string{"urn:eudi:pid:1"}) {
		t.Errorf("external types %v", ext)
	}
}
