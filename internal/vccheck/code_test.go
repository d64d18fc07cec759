package vccheck

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want Code
	}{
		{nil, CodeValid},
		{ErrRevoked, CodeRevoked},
		{ErrSuspended, CodeSuspended},
		{ErrNotAuthorized, CodeNotAuthorized},
		{ErrStatusUnavailable, CodeStatusUnavailable},
		{sdjwtvc.ErrUntrustedIssuer, CodeUntrusted},
		{fmt.Errorf("%w: %w", ErrIssuerCompromised, sdjwtvc.ErrUntrustedIssuer), CodeIssuerCompromised},
		{sdjwt.ErrExpired, CodeExpired},
		{sdjwt.ErrNotYetValid, CodeNotYetValid},
		{sdjwtvc.ErrIssuerKey, CodeIssuerKeyUnresolved},
		{sdjwtvc.ErrMissingClaim, CodeMissingClaim},
		{sdjwt.ErrNonce, "nonce_mismatch"},
		{sdjwt.ErrAudience, "audience_mismatch"},
		{sdjwt.ErrSignature, "invalid_signature"},
		{sdjwt.ErrKeyBindingRequired, "key_binding_missing"},
		{sdjwt.ErrHolderKey, "holder_key_missing"},
		{sdjwtvc.ErrInvalidInput, CodeInvalid},
		{errors.New("something else"), CodeInvalid},
		// wrapped, as Verify returns them
		{fmt.Errorf("%w: at index 7", ErrRevoked), CodeRevoked},
		{fmt.Errorf("%w: fetch: %v", ErrStatusUnavailable, sdjwt.ErrMalformed), CodeStatusUnavailable},
		{fmt.Errorf("%w: did:jwk:x", sdjwtvc.ErrUntrustedIssuer), CodeUntrusted},
		{fmt.Errorf("%w: %w", sdjwt.ErrKeyBinding, sdjwt.ErrKBTime), "key_binding_invalid"},
	}
	for _, tc := range tests {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %q, want %q", tc.err, got, tc.want)
		}
		if tc.err != nil && Classify(tc.err) == CodeValid {
			t.Errorf("Classify(%v) is empty for an error", tc.err)
		}
	}
}

// TestAllCodesListsEveryConstant reads this package's source: every Code
// constant but CodeValid must be in AllCodes, so a new code cannot be
// added without the services that word codes for people (verifier
// messages) seeing it.
func TestAllCodesListsEveryConstant(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	all := AllCodes()
	seen := 0
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: not a literal", n.Name)
					}
					v, _ := strconv.Unquote(lit.Value)
					seen++
					if v != "" && !slices.Contains(all, Code(v)) {
						t.Errorf("%s (%q) is not in AllCodes", n.Name, v)
					}
				}
			}
		}
	}
	if seen < 15 {
		t.Fatalf("found %d Code constants: the scan is broken", seen)
	}
	for _, c := range []Code{"wrong_typ", "unsupported_sd_alg"} {
		if !slices.Contains(all, c) {
			t.Errorf("AllCodes lacks the PID profile code %s", c)
		}
	}
	for _, c := range all {
		if c == CodeValid || strings.TrimSpace(string(c)) != string(c) {
			t.Errorf("AllCodes has %q", c)
		}
	}
}
