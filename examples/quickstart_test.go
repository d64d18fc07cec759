package examples

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/schemas"
)

// TestQuickstart builds cairn and runs quickstart.sh (what `make demo`
// runs), checking that each step happened and the replay was refused.
func TestQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "cairn")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/cairn")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, "bash", "quickstart.sh")
	cmd.Env = append(os.Environ(), "CAIRN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quickstart.sh: %v\n%s", err, out)
	}
	for _, want := range []string{"== 6.", "\nVALID — Humanitarian registration\n", "Helping Hands (registry: issuer is active now)", "Given names: Amina", "Family name: Yusuf",
		// only the name was disclosed: the verifier shows two claims and
		// lists the rest of the type's claims as not disclosed
		"claims (2):", "not disclosed (withheld, or not in the credential): Date of birth, Registration number, Date of registration, People in the household",
		"evidence: strength 2, validity 2, verification 2; method in_person",
		"audience_mismatch", "the presentation was made for another desk", "refused with exit code 3"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "cairn: ") {
		t.Errorf("a verification result was repeated on standard error:\n%s", out)
	}
	for _, hidden := range []string{"1994-07-02", "KEN-KAK-2026-004512", "Kakuma"} {
		if strings.Contains(string(out), hidden) {
			t.Errorf("undisclosed value %q appeared in the verifier's output", hidden)
		}
	}
}

// TestQuickstartClaimsMatchCatalogue: the claims the quickstart issues are
// valid for the type it names, and it makes disclosable exactly the
// claims the catalogue says are (sd "always"), so the story it tells is
// the catalogue's.
func TestQuickstartClaimsMatchCatalogue(t *testing.T) {
	b, err := os.ReadFile("quickstart.sh")
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	_, rest, ok := strings.Cut(script, "cat > claims.json <<'JSON'\n")
	if !ok {
		t.Fatal("no claims.json here-document")
	}
	body, _, ok := strings.Cut(rest, "\nJSON\n")
	if !ok {
		t.Fatal("unterminated claims.json here-document")
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		t.Fatalf("claims.json: %v", err)
	}
	vct := regexp.MustCompile(`credential issue [^\n]*--vct (\S+)`).FindStringSubmatch(script)
	if vct == nil {
		t.Fatal("no credential issue --vct")
	}
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	typ, err := cat.Lookup(vct[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := typ.Validate(claims); err != nil {
		t.Errorf("the quickstart's claims are refused by the catalogue for %s: %v", vct[1], err)
	}
	var sd []string
	for _, m := range regexp.MustCompile(`--sd '?(/[^\s']+)`).FindAllStringSubmatch(script, -1) {
		sd = append(sd, m[1])
	}
	want := map[string]bool{}
	for _, p := range typ.DisclosablePaths() {
		name, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		if _, present := claims[name]; present {
			want["/"+name] = true
		}
	}
	got := map[string]bool{}
	for _, p := range sd {
		got[p] = true
		if !want[p] {
			t.Errorf("--sd %s: not a disclosable claim of %s present in the claims", p, vct[1])
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("%s is disclosable in the catalogue but the quickstart makes it always visible", p)
		}
	}
}
