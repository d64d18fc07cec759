// Package layering owns the module's import rules (DESIGN.md §5, "layout")
// and checks them on the package graph `go list -deps -json` prints:
//
//   - no package under internal/ depends on a role package (issuer,
//     registry, wallet, verifier, stack, or any package below them);
//   - the wallet core package (wallet) depends on no HTTP server package:
//     not on internal/server, nor on any package of the module with an
//     "api" path element (net/http as a client is fine);
//   - cmd/cairn is the only package of the module importing cobra;
//   - the role core packages (issuer, registry) depend on no package of
//     the module with an "api" path element, nor on internal/server: their
//     HTTP lives in their api packages;
//   - no package's build depends on a test-support package
//     (internal/testkit, internal/browsertest): only _test.go files
//     import them.
//
// The check itself runs as this package's test, so `go test ./...` fails
// when a change breaks a rule.
package layering

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Package is the part of a `go list -json` package record the rules read.
type Package struct {
	ImportPath string
	Standard   bool
	Imports    []string // direct imports (not of tests)
	Deps       []string // transitive dependencies
	Module     *struct{ Path string }
}

// Violation is one broken rule: Package depends on (or imports) Import.
type Violation struct {
	Rule    string
	Package string
	Import  string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s imports %s", v.Rule, v.Package, v.Import)
}

// Rule names.
const (
	RuleInternalNoRoles = "internal packages import no role package"
	RuleWalletNoServer  = "the wallet core imports no HTTP server package"
	RuleCobraOnlyInCmd  = "only cmd/cairn imports cobra"
	RuleRoleCoreNoAPI   = "role core packages import no api package and no internal/server"
	RuleTestkitInTests  = "only tests import internal/testkit and internal/browsertest"
)

// Result is the outcome of Check.
type Result struct {
	Violations []Violation
	// NotApplied lists rules about packages that do not exist (yet), with
	// why; they are not failures.
	NotApplied []string
}

// Decode reads the JSON stream `go list -json` writes.
func Decode(r io.Reader) ([]Package, error) {
	dec := json.NewDecoder(r)
	var out []Package
	for {
		var p Package
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("layering: reading go list output: %w", err)
		}
		out = append(out, p)
	}
}

// roles are the role packages, by path below the module.
var roles = []string{"issuer", "registry", "wallet", "verifier", "stack"}

// Check applies the rules to the packages of module (its module path)
// among pkgs.
func Check(module string, pkgs []Package) Result {
	var r Result
	under := func(path, dir string) bool {
		p := module + "/" + dir
		return path == p || strings.HasPrefix(path, p+"/")
	}
	isAPI := func(path string) bool {
		rest, ok := strings.CutPrefix(path, module+"/")
		return ok && slices.Contains(strings.Split(rest, "/"), "api")
	}
	isTestSupport := func(path string) bool {
		return under(path, "internal/testkit") || under(path, "internal/browsertest")
	}
	isRole := func(path string) bool {
		return slices.ContainsFunc(roles, func(role string) bool { return under(path, role) })
	}
	isCobra := func(path string) bool {
		return path == "github.com/spf13/cobra" || strings.HasPrefix(path, "github.com/spf13/cobra/")
	}
	add := func(rule, pkg string, deps []string, bad func(string) bool) {
		for _, d := range deps {
			if bad(d) {
				r.Violations = append(r.Violations, Violation{Rule: rule, Package: pkg, Import: d})
			}
		}
	}
	sawWallet := false
	for _, p := range pkgs {
		if p.Standard || p.Module == nil || p.Module.Path != module {
			continue
		}
		path := p.ImportPath
		if under(path, "internal") {
			add(RuleInternalNoRoles, path, p.Deps, isRole)
		}
		if path == module+"/wallet" {
			sawWallet = true
			add(RuleWalletNoServer, path, p.Deps, func(d string) bool { return under(d, "internal/server") || isAPI(d) })
		}
		if path != module+"/cmd/cairn" {
			add(RuleCobraOnlyInCmd, path, p.Imports, isCobra)
		}
		if !isTestSupport(path) {
			add(RuleTestkitInTests, path, p.Deps, isTestSupport)
		}
		if path == module+"/issuer" || path == module+"/registry" {
			add(RuleRoleCoreNoAPI, path, p.Deps, func(d string) bool { return isAPI(d) || under(d, "internal/server") })
		}
	}
	if !sawWallet {
		r.NotApplied = append(r.NotApplied, fmt.Sprintf("%q not applied: there is no package %s/wallet yet", RuleWalletNoServer, module))
	}
	return r
}
