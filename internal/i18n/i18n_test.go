package i18n

import (
	"strings"
	"testing"
	"time"
)

// TestCatalogueComplete: fr, ar and uk have the same messages, each with
// the same formatting verbs as its English key.
func TestCatalogueComplete(t *testing.T) {
	for _, l := range []string{"fr", "ar", "uk"} {
		for key, msg := range messages[l] {
			if verbs(key) != verbs(msg) {
				t.Errorf("%s %q: verbs %q, key has %q", l, msg, verbs(msg), verbs(key))
			}
			for _, other := range []string{"fr", "ar", "uk"} {
				if _, ok := messages[other][key]; !ok {
					t.Errorf("%s has %q, %s does not", l, key, other)
				}
			}
		}
	}
}

func verbs(s string) string {
	var b strings.Builder
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' {
			b.WriteByte(s[i+1])
			i++
		}
	}
	return b.String()
}

func TestPickDirDate(t *testing.T) {
	for _, tc := range []struct{ in, want, dir string }{
		{"ar", "ar", "rtl"}, {"ar-SY", "ar", "rtl"}, {"fr-CA", "fr", "ltr"}, {"uk", "uk", "ltr"}, {"de", "en", "ltr"}, {"", "en", "ltr"}, {"!!", "en", "ltr"},
	} {
		if got := Pick(tc.in); got != tc.want || Dir(tc.in) != tc.dir {
			t.Errorf("Pick(%q) = %q dir %q", tc.in, got, Dir(tc.in))
		}
	}
	at := time.Date(2026, 12, 2, 14, 5, 0, 0, time.UTC)
	for _, tc := range []struct{ lang, want string }{
		{"en", "2 December 2026, 14:05 UTC"},
		{"fr", "2 décembre 2026, 14 h 05 UTC"},
		{"ar", "2 ديسمبر 2026، 14:05 UTC"},
		{"uk", "2 грудня 2026 р., 14:05 UTC"},
	} {
		if got := DateTime(tc.lang, at); got != tc.want {
			t.Errorf("DateTime(%s) = %q, want %q", tc.lang, got, tc.want)
		}
	}
	if T("fr", "Scan before %s", "x") != "À scanner avant le x" || T("de", "Scan before %s", "x") != "Scan before x" {
		t.Error("T")
	}
}

func TestProblem(t *testing.T) {
	for _, tc := range []struct{ lang, in, want string }{
		{"fr", "must be a whole number", "doit être un nombre entier"},
		{"fr", "is not one of the allowed values: day, month, year", "n'est pas une des valeurs permises: day, month, year"},
		{"uk", "must be at most 99", "має бути не більше 99"},
		{"ar", "does not match the date typed (year only)", "لا يطابق التاريخ المُدخل (year فقط)"},
		{"ar", "something new", "something new"},
		{"en", "must be a whole number", "must be a whole number"},
	} {
		if got := Problem(tc.lang, tc.in); got != tc.want {
			t.Errorf("Problem(%s, %q) = %q, want %q", tc.lang, tc.in, got, tc.want)
		}
	}
}
