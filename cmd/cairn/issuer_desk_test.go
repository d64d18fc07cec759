package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/batch"
	"github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/issuer/issuerdir"
)

// Issue 8, issuer desk: each test fails on the main of before the fix.

func writeDeskFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeskShortTypeName: the short name of a type works wherever a type
// is named, and the full vct is what gets stored and offered.
func TestDeskShortTypeName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://"+freeAddr(t), "--dev",
		"--type", "humanitarian-registration", "--type", "identity-attestation"); code != 0 {
		t.Fatalf("init --type short name: %d %s", code, stderr)
	}
	claims := writeDeskFile(t, "c.json", `{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`)
	code, stdout, stderr := promptCLI(t, "", "issuer", "offer", "--dir", dir, "--type", "humanitarian-registration", "--claims", claims, "--no-png", "--json")
	if code != 0 {
		t.Fatalf("offer --type short name: %d %s", code, stderr)
	}
	if id, _ := jsonMap(t, stdout)["id"].(string); id == "" {
		t.Fatalf("no offer id: %s", stdout)
	}
	code, _, stderr = promptCLI(t, lines("REG-1", "2025-03-02", "LB", "", "", "", "", "", "", "", "", "y"),
		"issuer", "offer", "--dir", dir, "--type", "humanitarian-registration", "--prompt", "--no-png")
	if code != 0 {
		t.Fatalf("offer --prompt --type short name: %d %s", code, stderr)
	}
	csv := writeDeskFile(t, "d.csv", "reference,vct,registration_id,registration_date,registration_place.country\n"+
		"A,,REG-2,2025-03-02,LB\nB,identity-attestation,,,\n")
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr = batchCLI(t, "issuer", "offer-batch", "--dir", dir, "--csv", csv, "--out", out, "--type", "humanitarian-registration")
	if code != ExitInvalid { // B lacks its required claims
		t.Fatalf("offer-batch --type short name: %d %s", code, stderr)
	}
	if strings.Contains(stderr, "unknown credential type") || !strings.Contains(stderr, "line 3 (B): claims:") {
		t.Errorf("short name in the vct column not resolved:\n%s", stderr)
	}
}

// TestDeskSingleOfferPerFieldReasons: a single offer's refusal says why
// each claim fails, as the batch and the prompt do.
func TestDeskSingleOfferPerFieldReasons(t *testing.T) {
	dir := promptIssuer(t)
	claims := writeDeskFile(t, "c.json", `{"registration_id":"REG-1","registration_date":"2/3/2025","registration_place":{"country":"LB"},"household_size":4.5}`)
	code, _, stderr := promptCLI(t, "", "issuer", "offer", "--dir", dir, "--type", vctHumanitarian, "--claims", claims, "--no-png")
	if code != ExitInvalid {
		t.Fatalf("exit %d %s", code, stderr)
	}
	for _, want := range []string{"/household_size must be a whole number", "/registration_date must be a date YYYY-MM-DD"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "2/3/2025") {
		t.Error("a claim value in the message")
	}
}

// TestDeskBatchAllRefused: when every row fails nothing is printed as
// ready; the exit code says nothing was created.
func TestDeskBatchAllRefused(t *testing.T) {
	dir := promptIssuer(t)
	csv := writeDeskFile(t, "bad.csv", "reference,registration_id\nA,REG 1\nB,\n")
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := batchCLI(t, "issuer", "offer-batch", "--dir", dir, "--csv", csv, "--out", out, "--type", vctHumanitarian)
	if code != ExitNothingOffered {
		t.Errorf("exit %d, want %d", code, ExitNothingOffered)
	}
	if strings.Contains(stdout+stderr, "print ") || strings.Contains(stderr, "offers are ready") {
		t.Errorf("tells to print a sheet without offers:\n%s\n%s", stdout, stderr)
	}
	if !strings.Contains(stderr, "no offer was created") {
		t.Errorf("does not say nothing was created:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(out, batch.SummaryFile)); err != nil {
		t.Errorf("summary not written: %v", err)
	}
}

// deskOffer is a stored offer opened with the directory's key.
type deskOffer struct {
	claims   map[string]any
	evidence map[string]any
}

// offersByReference reads every stored offer of dir, by its reference.
func offersByReference(t *testing.T, dir string) map[string]deskOffer {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(dir, issuer.DirStoreFile))
	if err != nil {
		t.Fatal(err)
	}
	var all []*issuer.StoredOffer
	err = st.View(context.Background(), func(tx issuer.Tx) error {
		return tx.ForEachOffer(func(o *issuer.StoredOffer) error { all = append(all, o); return nil })
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := issuerdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	out := map[string]deskOffer{}
	for _, o := range all {
		claims, ref, err := svc.OfferContent(o)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(o.Evidence)
		var ev map[string]any
		_ = json.Unmarshal(b, &ev)
		out[ref] = deskOffer{claims: claims, evidence: ev}
	}
	return out
}

// TestDeskPromptLanguages: with --lang fr, ar or uk the prompt's own words
// (instructions, kinds, refusals, confirmation) are in that language, not
// only the labels.
func TestDeskPromptLanguages(t *testing.T) {
	dir := promptIssuer(t)
	english := []string{"Fields marked", "required: please answer", "must be a date", "Create the offer?", "The credential will say", "whole number", "[YYYY-MM-DD]", "nothing was stored"}
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"fr", []string{"Les champs marqués * sont obligatoires", "obligatoire : veuillez répondre", "doit être une date AAAA-MM-JJ", "Créer l'offre ? [o/N]", "L'attestation dira :", "[nombre entier]", "rien n'a été enregistré"}},
		{"ar", []string{"الحقول المعلَّمة بـ * إلزامية", "إلزامي: يرجى الإجابة", "يجب أن يكون تاريخًا", "إنشاء العرض؟", "ستتضمن الوثيقة:", "[عدد صحيح]", "لم يُحفظ شيء"}},
		{"uk", []string{"Поля з позначкою * обов'язкові", "обов'язково: дайте відповідь", "має бути датою", "Створити пропозицію? [т/Н]", "У посвідченні буде зазначено:", "[ціле число]", "нічого не збережено"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			code, _, stderr := promptCLI(t, lines("", "REG-1", "2/3/2025", "2025-03-02", "LB", "", "", "", "", "", "", "", "", "no"),
				"issuer", "offer", "--dir", dir, "--type", vctHumanitarian, "--prompt", "--lang", tc.lang, "--no-png")
			if code != ExitFailure {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("no %q in:\n%s", w, stderr)
				}
			}
			for _, en := range english {
				if strings.Contains(stderr, en) {
					t.Errorf("English %q with --lang %s:\n%s", en, tc.lang, stderr)
				}
			}
		})
	}
}

// TestDeskPartialBirthdate: "1990" and "1990-05" are taken at the prompt
// and in a CSV row, stored as the first day with the precision claim.
func TestDeskPartialBirthdate(t *testing.T) {
	dir := promptIssuer(t)
	code, _, stderr := promptCLI(t, lines("REG-1", "2025-03-02", "Liban", "", "", "", "Haddad", "Amina", "1990", "", "", "y"),
		"issuer", "offer", "--dir", dir, "--type", "humanitarian-registration", "--prompt", "--no-png", "--json", "--reference", "P-1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := offersByReference(t, dir)["P-1"].claims
	if got["birthdate"] != "1990-01-01" || got["birthdate_precision"] != "year" || got["registration_place"].(map[string]any)["country"] != "LB" {
		t.Errorf("stored %v", got)
	}
	csv := writeDeskFile(t, "d.csv", "reference,family_name,given_name,birthdate\nA,Yusuf,Amina,1990-05\nB,Tesfaye,Dawit,1979\n")
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := batchCLI(t, "issuer", "offer-batch", "--dir", dir, "--csv", csv, "--out", out, "--type", "identity-attestation"); code != 0 {
		t.Fatalf("offer-batch: %d %s", code, stderr)
	}
	stored := offersByReference(t, dir)
	for ref, want := range map[string][2]string{"A": {"1990-05-01", "month"}, "B": {"1979-01-01", "year"}} {
		c := stored[ref].claims
		if c["birthdate"] != want[0] || c["birthdate_precision"] != want[1] {
			t.Errorf("row %s stored %v", ref, c)
		}
	}
}

// TestDeskEvidencePresets: a walk-in whose document was not seen gets the
// declared-only evidence, at the prompt (--evidence) and per CSV row
// (column evidence); an unknown preset is refused by name.
func TestDeskEvidencePresets(t *testing.T) {
	dir := promptIssuer(t)
	code, _, stderr := promptCLI(t, lines("REG-1", "2025-03-02", "LB", "", "", "", "", "", "", "", "", "y"),
		"issuer", "offer", "--dir", dir, "--type", "humanitarian-registration", "--prompt", "--evidence", "declared-only", "--no-png", "--json", "--reference", "P-1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "Evidence: declared-only (strength 1, validity 1, verification 1, method self_declared)") {
		t.Errorf("evidence not shown:\n%s", stderr)
	}
	if ev := offersByReference(t, dir)["P-1"].evidence; ev["verification"] != 1.0 || ev["method"] != "self_declared" {
		t.Errorf("stored evidence %v", ev)
	}
	csv := writeDeskFile(t, "d.csv", "reference,evidence,registration_id,registration_date,registration_place.country\n"+
		"A,declared-only,REG-1,2025-03-02,LB\nB,,REG-2,2025-03-02,LB\nC,anything,REG-3,2025-03-02,LB\n")
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr = batchCLI(t, "issuer", "offer-batch", "--dir", dir, "--csv", csv, "--out", out, "--type", "humanitarian-registration")
	if code != ExitInvalid || !strings.Contains(stderr, "line 4 (C): unknown evidence preset") {
		t.Fatalf("offer-batch: %d %s", code, stderr)
	}
	stored := offersByReference(t, dir)
	if ev := stored["A"].evidence; ev["verification"] != 1.0 {
		t.Errorf("row A evidence %v", ev)
	}
	if ev := stored["B"].evidence; ev["verification"] != 2.0 {
		t.Errorf("row B evidence %v", ev)
	}
}

// TestDeskSchemasShowValues: schemas show lists each claim's format and
// allowed values, with labels in --lang, and the type's evidence presets;
// --values lists every allowed value of one claim.
func TestDeskSchemasShowValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"show", "identity-attestation"}, []string{
			"CLAIM", "FORMAT", "ALLOWED VALUES",
			"/birthdate", "date YYYY-MM-DD, or YYYY-MM or YYYY (sets /birthdate_precision)",
			"/sex", "whole number", "0 (Not known), 1 (Male), 2 (Female)",
			"/birthdate_precision", "day (Exact date), month (Month and year only), year (Year only)",
			"/nationalities", "ISO 3166-1 alpha-2 country code or the country's name in English, French, Arabic or Ukrainian (251 codes",
			"/name_variants/*/script", "text in the form ^[A-Z][a-z]{3}$",
			"Evidence presets:", "document-seen (default)", "declared-only: strength 1, validity 1, verification 1, method self_declared",
		}},
		{[]string{"show", "identity-attestation", "--lang", "fr"}, []string{"2 (Féminin)", "year (Année seulement)"}},
		{[]string{"show", "identity-attestation", "--lang", "ar", "--values", "/nationalities"}, []string{"UA  أوكرانيا", "SY  سوريا", "QS  عديم الجنسية"}},
	} {
		code, out, stderr := runSchemasCLI(t, tc.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", tc.args, code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: no %q in:\n%s", tc.args, w, out)
			}
		}
	}
	if code, _, stderr := runSchemasCLI(t, "show", "identity-attestation", "--values", "/nope"); code != ExitUsage || !strings.Contains(stderr, "/nope") {
		t.Errorf("--values of no claim: %d %s", code, stderr)
	}
}
