package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	tmplKey  = regexp.MustCompile(`\.T[BI]? "((?:[^"\\]|\\.)*)"`)
	goKey    = regexp.MustCompile(`(?:^|[^.\w]|web\.)T\((?:lang|b\.lang|v\.Lang|web\.Lang\(r\)), ("(?:[^"\\]|\\.)*")`)
	pageKeys = regexp.MustCompile(`(?:ErrorPage\(w, r, [^,]+, |Title: |render\(w, r, "\w+", |Nav(?:Label|Description) += )("(?:[^"\\]|\\.)*")(?:, ("(?:[^"\\]|\\.)*"))?`)
	jsKey    = regexp.MustCompile(`\bt\(("(?:[^"\\]|\\.)*")`)
)

// usedKeys collects the string keys of every template, handler and
// script under web/.
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	keys := map[string]string{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") || p == "texts.go" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(b)
		unq := func(q string) string {
			u, err := strconv.Unquote(q)
			if err != nil {
				t.Fatalf("%s: %s: %v", p, q, err)
			}
			return u
		}
		switch filepath.Ext(p) {
		case ".html":
			for _, m := range tmplKey.FindAllStringSubmatch(s, -1) {
				keys[unq(`"`+m[1]+`"`)] = p
			}
		case ".go":
			for _, m := range goKey.FindAllStringSubmatch(s, -1) {
				keys[unq(m[1])] = p
			}
			for _, m := range pageKeys.FindAllStringSubmatch(s, -1) {
				keys[unq(m[1])] = p
				if m[2] != "" {
					keys[unq(m[2])] = p
				}
			}
		case ".js":
			for _, m := range jsKey.FindAllStringSubmatch(s, -1) {
				keys[unq(m[1])] = p
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestStringsComplete: every key a page uses has its text in fr, ar and
// uk, and no translation is left over.
func TestStringsComplete(t *testing.T) {
	keys := usedKeys(t)
	if len(keys) < 50 {
		t.Fatalf("only %d keys found: the scan is broken", len(keys))
	}
	for _, want := range []string{"Skip to the content", "Make the offer", "Trust registry", "Issuer desk"} {
		if _, ok := keys[want]; !ok {
			t.Errorf("the scan missed %q", want)
		}
	}
	for _, lang := range []string{"fr", "ar", "uk"} {
		for k, file := range keys {
			v, ok := texts[lang][k]
			if !ok || strings.TrimSpace(v) == "" {
				t.Errorf("%s: no %s text for %q (%s)", lang, lang, k, file)
				continue
			}
			if strings.Count(v, "%") != strings.Count(k, "%") {
				t.Errorf("%s: %q has other verbs than %q", lang, v, k)
			}
		}
		for k := range texts[lang] {
			if _, ok := keys[k]; !ok {
				t.Errorf("%s: %q is translated but never used", lang, k)
			}
		}
	}
}
