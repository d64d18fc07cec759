package layering

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/cairn-id/cairn"

// TestModuleLayering checks the rules on the module's real package graph.
func TestModuleLayering(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-json", "./...")
	cmd.Dir = "../.."      // the module root
	cmd.Env = os.Environ() // GOTOOLCHAIN, GOFLAGS as the test runs with
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs, err := Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	// The records carry what the rules read (else they could pass on
	// nothing): cmd/cairn, of this module, importing cobra.
	i := slices.IndexFunc(pkgs, func(p Package) bool { return p.ImportPath == mod+"/cmd/cairn" })
	if i < 0 || pkgs[i].Module == nil || pkgs[i].Module.Path != mod ||
		!slices.Contains(pkgs[i].Imports, "github.com/spf13/cobra") || !slices.Contains(pkgs[i].Deps, mod+"/issuer") {
		t.Fatalf("go list did not describe the module's packages (%d packages)", len(pkgs))
	}
	r := Check(mod, pkgs)
	for _, n := range r.NotApplied {
		t.Log(n) // only the wallet rule, while the wallet package does not exist
	}
	for _, v := range r.Violations {
		t.Error(v)
	}
}

// TestCheck shows that each rule fires on a synthetic graph.
func TestCheck(t *testing.T) {
	pkg := func(path string, imports []string, deps ...string) Package {
		p := Package{ImportPath: path, Imports: imports, Deps: append(append([]string(nil), imports...), deps...)}
		p.Module = &struct{ Path string }{mod}
		return p
	}
	std := Package{ImportPath: "net/http", Standard: true}
	cobra := "github.com/spf13/cobra"
	clean := []Package{
		std,
		pkg(mod+"/internal/sdjwt", []string{"crypto/sha256", mod + "/internal/jose"}),
		pkg(mod+"/internal/jose", nil),
		pkg(mod+"/issuer", []string{mod + "/internal/sdjwt", mod + "/schemas"}),
		pkg(mod+"/issuer/api", []string{mod + "/issuer", "net/http"}),
		pkg(mod+"/registry", nil),
		pkg(mod+"/wallet", []string{"net/http", mod + "/internal/sdjwt"}),
		pkg(mod+"/cmd/cairn", []string{cobra, cobra + "/doc", mod + "/issuer/api"}),
		pkg(mod+"/internalx", []string{mod + "/issuer"}), // not under internal/
		// another module's packages are not ours to judge
		{ImportPath: "example.com/other/internal/x", Imports: []string{cobra}, Deps: []string{cobra, "example.com/other/issuer"}, Module: &struct{ Path string }{"example.com/other"}},
	}
	with := func(extra ...Package) []Package { return append(append([]Package(nil), clean...), extra...) }
	without := func(path string) []Package {
		return slices.DeleteFunc(slices.Clone(clean), func(p Package) bool { return p.ImportPath == path })
	}
	tests := []struct {
		name       string
		pkgs       []Package
		want       []Violation
		notApplied bool
	}{
		{"clean", clean, nil, false},
		{"internal imports a role", with(pkg(mod+"/internal/trust", []string{mod + "/registry"})),
			[]Violation{{RuleInternalNoRoles, mod + "/internal/trust", mod + "/registry"}}, false},
		{"internal depends on a role subpackage through another package", with(pkg(mod+"/internal/store", []string{mod + "/internal/x"}, mod+"/verifier/oid4vp")),
			[]Violation{{RuleInternalNoRoles, mod + "/internal/store", mod + "/verifier/oid4vp"}}, false},
		{"internal imports the stack", with(pkg(mod+"/internal/a/b", []string{mod + "/stack"})),
			[]Violation{{RuleInternalNoRoles, mod + "/internal/a/b", mod + "/stack"}}, false},
		{"wallet imports the server", with(pkg(mod+"/wallet", []string{mod + "/internal/server/mux"})),
			[]Violation{{RuleWalletNoServer, mod + "/wallet", mod + "/internal/server/mux"}}, false},
		{"wallet depends on an api package", with(pkg(mod+"/wallet", []string{mod + "/wallet/store"}, mod+"/issuer/api")),
			[]Violation{{RuleWalletNoServer, mod + "/wallet", mod + "/issuer/api"}}, false},
		{"no wallet yet", without(mod + "/wallet"), nil, true},
		{"a library imports cobra", with(pkg(mod+"/issuer/batch", []string{cobra})),
			[]Violation{{RuleCobraOnlyInCmd, mod + "/issuer/batch", cobra}}, false},
		{"a second command imports cobra", with(pkg(mod+"/cmd/other", []string{cobra + "/doc"})),
			[]Violation{{RuleCobraOnlyInCmd, mod + "/cmd/other", cobra + "/doc"}}, false},
		{"issuer depends on its api", with(pkg(mod+"/issuer", []string{mod + "/internal/httpx"}, mod+"/issuer/api")),
			[]Violation{{RuleRoleCoreNoAPI, mod + "/issuer", mod + "/issuer/api"}}, false},
		{"registry imports an api package", with(pkg(mod+"/registry", []string{mod + "/api/v1"})),
			[]Violation{{RuleRoleCoreNoAPI, mod + "/registry", mod + "/api/v1"}}, false},
		{"issuer depends on the server kit", with(pkg(mod+"/issuer", []string{mod + "/internal/jose"}, mod+"/internal/server")),
			[]Violation{{RuleRoleCoreNoAPI, mod + "/issuer", mod + "/internal/server"}}, false},
		{"a library depends on the test kit", with(pkg(mod+"/issuer/api", []string{mod + "/internal/x"}, mod+"/internal/testkit")),
			[]Violation{{RuleTestkitInTests, mod + "/issuer/api", mod + "/internal/testkit"}}, false},
		{"a library depends on the browser kit", with(pkg(mod+"/web", []string{mod + "/internal/x"}, mod+"/internal/browsertest")),
			[]Violation{{RuleTestkitInTests, mod + "/web", mod + "/internal/browsertest"}}, false},
		{"registry imports a server subpackage", with(pkg(mod+"/registry", []string{mod + "/internal/server/mux"})),
			[]Violation{{RuleRoleCoreNoAPI, mod + "/registry", mod + "/internal/server/mux"}}, false},
		{"issuer's api and boltstore may use the server kit", with(pkg(mod+"/issuer/api", []string{mod + "/internal/server", mod + "/issuer"})), nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Check(mod, tc.pkgs)
			if !slices.Equal(r.Violations, tc.want) {
				t.Errorf("violations %v, want %v", r.Violations, tc.want)
			}
			if got := len(r.NotApplied) > 0; got != tc.notApplied || (got && !strings.Contains(r.NotApplied[0], "wallet")) {
				t.Errorf("not applied: %v", r.NotApplied)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	in := `{"ImportPath":"a","Standard":true}
{"ImportPath":"m/b","Imports":["a"],"Deps":["a"],"Module":{"Path":"m"}}`
	pkgs, err := Decode(strings.NewReader(in))
	if err != nil || len(pkgs) != 2 || pkgs[1].Module.Path != "m" || pkgs[1].Deps[0] != "a" {
		t.Fatalf("%+v, %v", pkgs, err)
	}
	if _, err := Decode(strings.NewReader(`{"ImportPath":`)); err == nil {
		t.Fatal("truncated input decoded")
	}
}
