package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func runSchemasCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errb,
		getenv: func(string) string { return "" },
		now:    func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	}
	code = run(context.Background(), append([]string{"schemas"}, args...), e)
	return code, out.String(), errb.String()
}

func TestSchemasCLI(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string // substrings
		stderr   []string
	}{
		{"list", []string{"list"}, ExitOK,
			[]string{"urn:cairn:vct:identity-attestation:1", "Community vouching", "90 days", "S3 V3 Ver3 F2 (document_check)"}, nil},
		{"list in Arabic", []string{"list", "--lang", "ar"}, ExitOK, []string{"إفادة الهوية", "تزكية مجتمعية"}, nil},
		{"list regional French", []string{"list", "--lang", "fr-CA"}, ExitOK, []string{"Attestation d'identité"}, nil},
		{"show by vct", []string{"show", "urn:cairn:vct:identity-attestation:1"}, ExitOK,
			[]string{"Identity attestation (urn:cairn:vct:identity-attestation:1)", "/nationalities/*", "Nationalities", "/evidence/strength", "never", "1825 days", "strength 3, validity 3, verification 3, identity fraud 2, method document_check"}, nil},
		{"show by name in Ukrainian", []string{"show", "community-vouching", "--lang", "uk"}, ExitOK,
			[]string{"Поручительство громади", "Прізвище", "90 days", "Evidence cap:"}, nil},
		{"unknown vct", []string{"show", "urn:cairn:vct:passport:1"}, ExitFailure, nil,
			[]string{"unknown credential type", "cairn schemas list"}},
		{"unknown name", []string{"show", "passport"}, ExitFailure, nil, []string{"unknown credential type"}},
		{"show needs an argument", []string{"show"}, ExitUsage, nil, nil},
		{"bad flag", []string{"list", "--colour"}, ExitUsage, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runSchemasCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.wantCode, errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q: %s", s, errOut)
				}
			}
		})
	}
}

func TestSchemasCLIJSON(t *testing.T) {
	code, out, errOut := runSchemasCLI(t, "list", "--json", "--lang", "uk")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var list []struct {
		VCT             string         `json:"vct"`
		Name            string         `json:"name"`
		MaxTTL          string         `json:"max_ttl"`
		DefaultEvidence map[string]any `json:"default_evidence"`
		MaxEvidence     map[string]any `json:"max_evidence"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if len(list) < 11 {
		t.Fatalf("%d types", len(list))
	}
	seen := false
	for _, s := range list {
		if s.DefaultEvidence["strength"] == nil {
			t.Errorf("%s: no default evidence", s.VCT)
		}
		if s.VCT == "urn:cairn:vct:community-vouching:1" {
			seen = true
			if s.Name != "Поручительство громади" || s.MaxTTL != "P90D" || s.MaxEvidence["strength"] != 1.0 {
				t.Errorf("vouching summary = %+v", s)
			}
		}
	}
	if !seen {
		t.Error("community-vouching not listed")
	}

	code, out, errOut = runSchemasCLI(t, "show", "guardianship", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var md struct {
		VCT    string `json:"vct"`
		Claims []struct {
			Path    []any            `json:"path"`
			Display []map[string]any `json:"display"`
			SD      string           `json:"sd"`
		} `json:"claims"`
	}
	if err := json.Unmarshal([]byte(out), &md); err != nil {
		t.Fatalf("show --json: %v", err)
	}
	if md.VCT != "urn:cairn:vct:guardianship:1" || len(md.Claims) < 8 || len(md.Claims[0].Display) < 4 {
		t.Errorf("metadata = %+v", md)
	}
}

func TestSchemasHelpHasExamples(t *testing.T) {
	for _, sub := range []string{"list", "show"} {
		code, out, _ := runSchemasCLI(t, sub, "--help")
		if code != ExitOK || !strings.Contains(out, "Examples:") || !strings.Contains(out, "cairn schemas "+sub) {
			t.Errorf("%s --help: exit %d\n%s", sub, code, out)
		}
	}
}
