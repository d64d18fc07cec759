package verifier

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/assurance"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/schemas"
)

func TestMessagesInEveryLanguage(t *testing.T) {
	all := append(Codes(), Code(vccheck.CodeInvalid), "some_sdjwt_code")
	for _, c := range all {
		seen := map[string]string{}
		for _, l := range Languages {
			m := Message(c, l)
			if strings.TrimSpace(m) == "" {
				t.Errorf("%s/%s: empty message", c, l)
			}
			if prev, dup := seen[m]; dup {
				t.Errorf("%s: %s and %s share the message %q (untranslated?)", c, prev, l, m)
			}
			seen[m] = l
		}
		if Message(c, "de") != Message(c, "en") {
			t.Errorf("%s: an unknown language does not fall back to English", c)
		}
	}
}

// TestEveryVCCheckCodeHasItsOwnMessage: each code vccheck can return
// (vccheck.AllCodes, which its own test keeps complete) has a message of
// its own in every language, not the "damaged" fallback.
func TestEveryVCCheckCodeHasItsOwnMessage(t *testing.T) {
	for _, vc := range vccheck.AllCodes() {
		c := Code(vc)
		m, own := messages[c]
		if !own {
			t.Errorf("%s: no message of its own (add one in every language to messages)", c)
			continue
		}
		if c != Code(vccheck.CodeInvalid) && m == malformed {
			t.Errorf("%s: shares the \"damaged\" message", c)
		}
		for _, l := range Languages {
			if strings.TrimSpace(Message(c, l)) == "" {
				t.Errorf("%s/%s: empty message", c, l)
			}
		}
	}
}

func TestOutcomes(t *testing.T) {
	for c, want := range map[Code]string{
		CodeValid: OutcomeValid, Code(vccheck.CodeStatusUnavailable): OutcomeUndetermined, CodeIdentityMismatch: OutcomeReview,
		Code(vccheck.CodeRevoked): OutcomeInvalid, CodeHolderMismatch: OutcomeInvalid, "nonce_mismatch": OutcomeInvalid,
	} {
		if got := OutcomeOf(c); got != want {
			t.Errorf("OutcomeOf(%s) = %s, want %s", c, got, want)
		}
	}
}

func TestDefaultPurposes(t *testing.T) {
	ps, err := DefaultPurposes()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"bank-account", "cash-assistance", "clinic-access", "eu-pid-identity", "language-check", "school-enrolment"}
	if got := ps.IDs(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("purposes %v, want %v", got, want)
	}
	for _, p := range ps {
		for _, l := range Languages {
			if p.Names[l] == "" {
				t.Errorf("%s: no name in %s", p.ID, l)
			}
		}
		if p.Policy == "" || p.Retention <= 0 || p.Query() == nil {
			t.Errorf("%s: %+v", p.ID, p)
		}
	}
	if got := ps["clinic-access"].Claims(); strings.Join(got, ",") != "/birthdate,/family_name,/given_name" {
		t.Errorf("clinic-access claims %v", got)
	}
	// The EU PID purpose asks a PID for the claims the PID identity
	// mapping reads (assurance.PIDIdentity), with Cairn identity
	// credentials optional beside it, under the policy with the eu-pid
	// profile.
	pid := ps["eu-pid-identity"]
	if got := pid.Claims(); strings.Join(got, ",") != "/birth_family_name,/birth_given_name,/birthdate,/family_name,/given_name,/nationalities,/place_of_birth" || pid.Policy != "bank-account" {
		t.Errorf("eu-pid-identity claims %v, policy %s", got, pid.Policy)
	}
	if q := pid.Query(); len(q.Credentials) != 2 || q.Credentials[0].Meta.VCTValues[0] != "urn:eudi:pid:1" || len(q.CredentialSets) != 2 || q.CredentialSets[1].IsRequired() {
		t.Errorf("eu-pid-identity query %+v", q)
	}
}

func TestParsePurposeRefusals(t *testing.T) {
	good := `{"id":"p","names":{"en":"P"},"assurance_policy":"x","retention":"1h","dcql_query":{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{"vct_values":["urn:x"]}}]}}`
	if _, err := ParsePurpose([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"no en name":               strings.Replace(good, `"en":"P"`, `"fr":"P"`, 1),
		"unknown language":         strings.Replace(good, `"en":"P"`, `"en":"P","de":"P"`, 1),
		"bad id":                   strings.Replace(good, `"id":"p"`, `"id":"P Q"`, 1),
		"no policy":                strings.Replace(good, `"assurance_policy":"x"`, `"assurance_policy":""`, 1),
		"retention too long":       strings.Replace(good, `"1h"`, `"9000h"`, 1),
		"retention not a duration": strings.Replace(good, `"1h"`, `"soon"`, 1),
		"bad query":                strings.Replace(good, `"format":"dc+sd-jwt",`, ``, 1),
		"unknown member":           strings.Replace(good, `"id":"p"`, `"id":"p","extra":1`, 1),
	} {
		if _, err := ParsePurpose([]byte(bad)); !errors.Is(err, ErrPurpose) {
			t.Errorf("%s: got %v, want ErrPurpose", name, err)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine.json"), []byte(good), 0o600)
	ps, err := LoadPurposes(dir)
	if err != nil || ps["p"] == nil || ps["clinic-access"] == nil {
		t.Errorf("LoadPurposes: %v %v", ps.IDs(), err)
	}
}

func TestSealer(t *testing.T) {
	s, err := NewSealer(bytes.Repeat([]byte{1}, ResultKeyLen), nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := s.Seal([]byte("Haddad"), "result:a")
	if bytes.Contains(sealed, []byte("Haddad")) {
		t.Fatal("plaintext visible")
	}
	if p, err := s.Open(sealed, "result:a"); err != nil || string(p) != "Haddad" {
		t.Fatalf("%q %v", p, err)
	}
	if _, err := s.Open(sealed, "result:b"); !errors.Is(err, ErrSealed) {
		t.Errorf("other session's ad: %v", err)
	}
	other, _ := NewSealer(bytes.Repeat([]byte{2}, ResultKeyLen), nil)
	if _, err := other.Open(sealed, "result:a"); !errors.Is(err, ErrSealed) {
		t.Errorf("other key: %v", err)
	}
	path := filepath.Join(t.TempDir(), "results.key")
	if err := GenerateResultKey(path, nil); err != nil {
		t.Fatal(err)
	}
	if err := GenerateResultKey(path, nil); !errors.Is(err, ErrExists) {
		t.Errorf("overwrote: %v", err)
	}
	if _, err := LoadResultKey(path); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadResultKey(path); err == nil {
		t.Error("a world-readable results key was accepted")
	}
}

// TestConsistency: the verifier's identity findings are
// internal/assurance's disagreements (one source of truth): the last
// cases are those the verifier's former rules judged otherwise.
func TestConsistency(t *testing.T) {
	f := func(id, fam, giv, bd string, variants ...map[string]any) Facts {
		return Facts{ID: id, FamilyName: fam, GivenName: giv, Birthdate: bd, NameVariants: variants}
	}
	year := func(ff Facts) Facts { ff.BirthdatePrecision = "year"; return ff }
	for _, c := range []struct {
		name string
		fs   []Facts
		want int
	}{
		{"same", []Facts{f("a", "Haddad", "Amina", "1990-04-02"), f("b", "HADDAD", "Amina", "1990-04-02")}, 0},
		{"undisclosed is not compared", []Facts{f("a", "Haddad", "Amina", ""), f("b", "", "", "1991-01-01")}, 0},
		{"coarser birthdate agrees", []Facts{f("a", "Haddad", "Amina", "1990"), f("b", "Haddad", "Amina", "1990-04-02")}, 0},
		{"family name differs", []Facts{f("a", "Haddad", "Amina", ""), f("b", "Hadad", "Amina", "")}, 1},
		{"declared variant", []Facts{f("a", "حداد", "أمينة", "", map[string]any{"family_name": "Haddad", "given_name": "Amina"}), f("b", "Haddad", "Amina", "")}, 0},
		{"birthdate differs", []Facts{f("a", "", "", "1990-04-02"), f("b", "", "", "1990-05-02")}, 1},
		{"NFC and NFD", []Facts{f("a", "Müller", "", ""), f("b", "Mu\u0308ller", "", "")}, 0},
		{"variants both declare agree", []Facts{f("a", "حداد", "", "", map[string]any{"family_name": "Haddad", "script": "Latn"}), f("b", "Хаддад", "", "", map[string]any{"family_name": "Haddad", "script": "Latn"})}, 0},
		{"birthdate precision narrows", []Facts{year(f("a", "", "", "1990-01-01")), f("b", "", "", "1990-06-15")}, 0},
		{"a birthdate that is no date", []Facts{f("a", "", "", "1990-04-02"), f("b", "", "", "1990-04-0")}, 1},
	} {
		got := identityFindings(c.fs, nil)
		if len(got) != c.want {
			t.Errorf("%s: %d findings %v, want %d", c.name, len(got), got, c.want)
		}
		for _, fd := range got {
			if fd.Outcome != assurance.Disagree || fd.Message == "" {
				t.Errorf("%s: finding %+v", c.name, fd)
			}
		}
	}
}

// TestTypeOfPID: a credential of urn:eudi:pid:1 is read as the
// catalogue's EU PID type; a domestic urn:eudi:pid:… type too, but only
// when the registry names it in an issuer authorization (the
// urn:eudi:pid:* pattern registers no type); other types are their own.
func TestTypeOfPID(t *testing.T) {
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{cfg: Config{Catalogue: cat}}
	reg := &trust.Registry{Entities: []trust.Entity{{IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: "urn:eudi:pid:*"}, {VCT: "urn:eudi:pid:de:1"}}}}}
	for _, tc := range []struct {
		vct  string
		reg  *trust.Registry
		want string // the type's vct, "" for unknown
	}{
		{"urn:eudi:pid:1", nil, "urn:eudi:pid:1"},
		{"urn:eudi:pid:de:1", reg, "urn:eudi:pid:1"},
		{"urn:eudi:pid:de:1", nil, ""},
		{"urn:eudi:pid:fr:1", reg, ""},
		{"urn:eudi:pid:*", reg, ""},
		{"urn:cairn:vct:identity-attestation:1", reg, "urn:cairn:vct:identity-attestation:1"},
	} {
		ty, err := s.typeOf(tc.vct, tc.reg)
		switch {
		case tc.want == "" && !errors.Is(err, schemas.ErrUnknownType):
			t.Errorf("%s: %v, want unknown", tc.vct, err)
		case tc.want != "" && (err != nil || ty.VCT != tc.want):
			t.Errorf("%s: %v %v, want %s", tc.vct, ty, err, tc.want)
		}
	}
}

// TestProvisionalNote: a provisional assessment is said in every language,
// with the profile met or the nearest; nothing when there is no result.
func TestProvisionalNote(t *testing.T) {
	met := []byte(`{"met":{"profile":"eu-pid"},"profiles":[]}`)
	none := []byte(`{"nearest":{"profile":"M1B"},"profiles":[]}`)
	seen := map[string]bool{}
	for _, l := range Languages {
		for _, tc := range []struct {
			a       []byte
			profile string
		}{{met, "eu-pid"}, {none, "M1B"}} {
			n := provisionalNote(tc.a, l)
			if !strings.Contains(n, tc.profile) || seen[n] || strings.Contains(n, "%!") {
				t.Errorf("%s: %q", l, n)
			}
			seen[n] = true
		}
	}
	if n := provisionalNote(nil, "en"); n != "" {
		t.Errorf("no assessment: %q", n)
	}
	r := &Result{Code: Code(vccheck.CodeStatusUnavailable), Assurance: met, AssuranceProvisional: true}
	r.Localize("uk")
	if r.AssuranceProvisionalNote != provisionalNote(met, "uk") {
		t.Errorf("Localize: %q", r.AssuranceProvisionalNote)
	}
}
