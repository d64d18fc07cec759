package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/issuerdir"
)

const (
	vctHumanitarian = "urn:cairn:vct:humanitarian-registration:1"
	vctIdentity     = "urn:cairn:vct:identity-attestation:1"
)

// promptCLI runs the CLI with stdin.
func promptCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: time.Now})
	return code, out.String(), errb.String()
}

// promptIssuer makes an issuer directory offering both test types.
func promptIssuer(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ngo")
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://"+freeAddr(t), "--dev",
		"--type", vctHumanitarian, "--type", vctIdentity); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	return dir
}

// storedClaims reads the claims of offer id from the store.
func storedClaims(t *testing.T, dir, id string) map[string]any {
	t.Helper()
	svc, err := issuerdir.Open(dir) // claims are sealed at rest: open them with the directory's key
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	o, err := svc.GetOffer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	claims, _, err := svc.OfferContent(o)
	if err != nil {
		t.Fatal(err)
	}
	return claims
}

// storeDigest fingerprints the store file ("" when there is none).
func storeDigest(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, issuer.DirStoreFile))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return string(s[:])
}

func jsonMap(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// TestIssuerOfferPromptHappyPaths: a whole session per type stores
// exactly the claims typed, typed by their kind.
func TestIssuerOfferPromptHappyPaths(t *testing.T) {
	dir := promptIssuer(t)
	for _, tc := range []struct {
		name, vct, input, want string
	}{
		{"humanitarian registration", vctHumanitarian, lines(
			"REG-2025-0042", // registration number
			"2025-03-02",    // date of registration
			"lb",            // place › country (any case)
			"Bekaa",         // place › region
			"",              // place › locality: skipped
			"Site 4",        // place › site
			"Haddad",        // family name
			"Amina",         // given name
			"1991-04-12",    // birthdate
			"4",             // household size
			"",              // case id: skipped
			"y",             // confirm
		), `{"registration_id":"REG-2025-0042","registration_date":"2025-03-02","registration_place":{"country":"LB","region":"Bekaa","site":"Site 4"},
			"family_name":"Haddad","given_name":"Amina","birthdate":"1991-04-12","household_size":4}`},
		{"identity attestation", vctIdentity, lines(
			"Kovalenko",      // family name
			"Olena",          // given name
			"1987-02-28",     // birthdate
			"1",              // precision: choice 1 = day
			"UA",             // place of birth › country
			"Kharkiv Oblast", // › region
			"Kharkiv",        // › locality
			"UA; pl ;",       // nationalities
			"2",              // sex (the value, not a choice number)
			"oui",            // add a name variant #1
			"Cyrl",           // script
			"identity_document",
			"Коваленко",
			"Олена",
			"так", // add #2
			"Latn",
			"5", // transliteration
			"Kovalenko",
			"",
			"ні", // no #3
			"نعم",
		), `{"family_name":"Kovalenko","given_name":"Olena","birthdate":"1987-02-28","birthdate_precision":"day",
			"place_of_birth":{"country":"UA","region":"Kharkiv Oblast","locality":"Kharkiv"},"nationalities":["UA","PL"],"sex":2,
			"name_variants":[{"script":"Cyrl","source":"identity_document","family_name":"Коваленко","given_name":"Олена"},
			{"script":"Latn","source":"transliteration","family_name":"Kovalenko"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := promptCLI(t, tc.input, "issuer", "offer", "--dir", dir, "--type", tc.vct, "--prompt", "--no-png", "--json")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			off := jsonMap(t, stdout)
			got := storedClaims(t, dir, off["id"].(string))
			if want := jsonMap(t, tc.want); !reflect.DeepEqual(got, want) {
				t.Errorf("stored claims\n got %v\nwant %v", got, want)
			}
			if !strings.Contains(stderr, "The credential will say:") || !strings.Contains(stderr, "Create the offer? [y/N]") {
				t.Errorf("no summary or confirmation:\n%s", stderr)
			}
		})
	}
}

// TestIssuerOfferPromptAsksAgain: an empty required answer and a bad
// date are asked again at once; after the last question, claims the
// schema refuses (an empty required place, a name variant without a name)
// are listed by path, without values, and only they are asked again.
func TestIssuerOfferPromptAsksAgain(t *testing.T) {
	dir := promptIssuer(t)
	input := lines(
		"",           // registration number: required
		"REG 1",      // not in the identifier's form
		"REG-1",      //
		"2025-13-45", // not a date
		"02/03/2025", // not YYYY-MM-DD
		"2025-03-02",
		"", "", "", "", // every member of the place skipped
		"", "", "", "", "", // optional claims skipped
		// validation: /registration_place is asked again
		"SY", "", "Amman?", "",
		"y",
	)
	code, stdout, stderr := promptCLI(t, input, "issuer", "offer", "--dir", dir, "--type", vctHumanitarian, "--prompt", "--no-png", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"required: please answer", "not in the expected form", "must be a date YYYY-MM-DD", "Place of registration (/registration_place): is required"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, bad := range []string{"2025-13-45", "02/03/2025", "REG 1"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("a refused answer %q was echoed", bad)
		}
	}
	if n := strings.Count(stderr, "Date of registration * [YYYY-MM-DD]: "); n != 3 {
		t.Errorf("date asked %d times, want 3", n)
	}
	if n := strings.Count(stderr, "Family name:"); n != 1 { // skipped once, not asked again
		t.Errorf("family name asked %d times, want once", n)
	}
	got := storedClaims(t, dir, jsonMap(t, stdout)["id"].(string))
	want := jsonMap(t, `{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"SY","locality":"Amman?"}}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}

	// An array entry the schema refuses: a name variant with no name.
	input = lines("Kovalenko", "Olena", "1987-02-28", "", "", "", "", "", "", "y", "Cyrl", "3", "", "", "n",
		// validation: /name_variants/0 needs a family or given name: both asked again
		"", "Олена", "y")
	code, stdout, stderr = promptCLI(t, input, "issuer", "offer", "--dir", dir, "--type", vctIdentity, "--prompt", "--no-png", "--json")
	if code != 0 {
		t.Fatalf("identity: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "Other spellings of the name #1 › Family name (/name_variants/0/family_name): is required") {
		t.Errorf("the failing entry is not named:\n%s", stderr)
	}
	got = storedClaims(t, dir, jsonMap(t, stdout)["id"].(string))
	want = jsonMap(t, `{"family_name":"Kovalenko","given_name":"Olena","birthdate":"1987-02-28","name_variants":[{"script":"Cyrl","source":"registration","given_name":"Олена"}]}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}

// TestIssuerOfferPromptNothingStored: declining, or input ending before
// the confirmation, stores nothing and prints no offer.
func TestIssuerOfferPromptNothingStored(t *testing.T) {
	dir := promptIssuer(t)
	full := []string{"REG-1", "2025-03-02", "LB", "", "", "", "Haddad", "Amina", "", "", ""}
	// One offer first, so the store exists and must stay byte for byte.
	if code, _, stderr := promptCLI(t, lines(append(full, "y")...), "issuer", "offer", "--dir", dir, "--type", vctHumanitarian, "--prompt", "--no-png"); code != 0 {
		t.Fatalf("first offer: %d %s", code, stderr)
	}
	before := storeDigest(t, dir)
	if before == "" {
		t.Fatal("no store after an offer")
	}
	for _, tc := range []struct {
		name  string
		input string
		code  int
		want  string
	}{
		{"declined", lines(append(full, "n")...), ExitFailure, "not confirmed"},
		{"anything but yes declines", lines(append(full, "")...), ExitFailure, "not confirmed"},
		{"EOF at the confirmation", lines(full...), ExitUsage, "input ended"},
		{"EOF halfway", "REG-1\n2025-03-02\nLB", ExitUsage, "input ended"},
		{"EOF at once", "", ExitUsage, "input ended"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := promptCLI(t, tc.input, "issuer", "offer", "--dir", dir, "--type", vctHumanitarian, "--prompt", "--no-png")
			if code != tc.code || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "nothing was stored") {
				t.Errorf("exit %d, want %d and %q:\n%s", code, tc.code, tc.want, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			if storeDigest(t, dir) != before {
				t.Error("the store changed")
			}
		})
	}
	// Without any earlier offer, no store is even created.
	fresh := promptIssuer(t)
	if code, _, _ := promptCLI(t, lines(append(full, "n")...), "issuer", "offer", "--dir", fresh, "--type", vctHumanitarian, "--prompt", "--no-png"); code != ExitFailure {
		t.Errorf("decline: exit %d", code)
	}
	if storeDigest(t, fresh) != "" {
		t.Error("a declined prompt created the store")
	}
}

// TestIssuerOfferPromptUsage: flag combinations and checks made before
// any question.
func TestIssuerOfferPromptUsage(t *testing.T) {
	dir := promptIssuer(t)
	claims := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(claims, []byte(`{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"--prompt with --claims", []string{"--type", vctHumanitarian, "--prompt", "--claims", claims}, "none of the others"},
		{"neither", []string{"--type", vctHumanitarian}, "at least one of the flags"},
		{"type not offered", []string{"--type", "urn:cairn:vct:language-skills:1", "--prompt"}, "not offered"},
		{"bad language", []string{"--type", vctHumanitarian, "--prompt", "--lang", "not a tag"}, "--lang"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := promptCLI(t, lines("REG-1"), append([]string{"issuer", "offer", "--no-png", "--dir", dir}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d %q, want 2 and %q", code, stderr, tc.want)
			}
			if strings.Contains(stderr, "Registration number") {
				t.Error("asked a question before refusing")
			}
		})
	}
	if code, _, stderr := promptCLI(t, "", "issuer", "offer", "--dir", filepath.Join(t.TempDir(), "none"), "--type", vctHumanitarian, "--prompt"); code != ExitUsage {
		t.Errorf("no issuer directory: exit %d %s", code, stderr)
	}
}

// TestIssuerOfferPromptArabic: --lang ar shows the Arabic type name and
// labels.
func TestIssuerOfferPromptArabic(t *testing.T) {
	dir := promptIssuer(t)
	code, _, stderr := promptCLI(t, lines("REG-1", "2025-03-02", "LB", "", "", "", "", "", "", "", "", "لا"),
		"issuer", "offer", "--dir", dir, "--type", vctHumanitarian, "--prompt", "--lang", "ar", "--no-png")
	if code != ExitFailure {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"التسجيل الإنساني", "رقم التسجيل *", "تاريخ التسجيل", "مكان التسجيل › البلد"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "Registration number") {
		t.Error("English label shown with --lang ar")
	}
}

// TestIssuerOfferPromptWhileServing: with serve running the offer goes
// through the admin socket; a wallet takes it, and no typed value reaches
// the server's log.
func TestIssuerOfferPromptWhileServing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	addr := freeAddr(t)
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://"+addr, "--dev", "--type", vctHumanitarian); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	logs, stop := serveInProcess(t, dir, addr)
	code, stdout, stderr := promptCLI(t, lines("REG-77", "2025-03-02", "LB", "Zahle", "", "", "Haddad", "Amina", "1991-04-12", "", "", "y"),
		"issuer", "offer", "--dir", dir, "--type", vctHumanitarian, "--prompt", "--no-png", "--tx-code", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	off := jsonMap(t, stdout)
	walletRun(t, "http://"+addr, off["uri"].(string), off["tx_code"].(string))
	stop()
	if !strings.Contains(logs.String(), `"route":"admin_offer"`) {
		t.Errorf("the offer did not go through the admin socket:\n%s", logs.String())
	}
	for _, v := range []string{"REG-77", "Zahle", "Haddad", "Amina", "1991-04-12"} {
		if strings.Contains(logs.String(), v) {
			t.Errorf("%q reached the server log", v)
		}
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", maxPromptLine+1)
	r := newLineReader(strings.NewReader(" a \r\n" + long + "\nb\nlast"))
	for _, want := range []struct {
		line    string
		tooLong bool
	}{{"a", false}, {"", true}, {"b", false}, {"last", false}} {
		line, tooLong, err := r.next()
		if err != nil || line != want.line || tooLong != want.tooLong {
			t.Fatalf("got %q %v %v, want %q %v", line, tooLong, err, want.line, want.tooLong)
		}
	}
	if _, _, err := r.next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last line: %v", err)
	}
}
