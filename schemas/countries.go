package schemas

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/unicode/norm"

	"github.com/cairn-id/cairn/internal/claimpath"
)

// Country names, as labels and as input.
//
// Country names come from golang.org/x/text/language/display (CLDR),
// which has them in all four catalogue languages (en, fr, ar, uk): no
// table of names is kept in the catalogue. A country claim (the
// catalogue's country and iso_country lists) takes a name typed in any
// of the four (countryByName) and stores the ISO 3166-1 alpha-2 code.

// fieldAtPath finds the Field of a metadata path (nil or an index for
// array elements).
func (t *Type) fieldAtPath(path []any) *Field {
	toks := make([]string, 0, len(path))
	for _, e := range path {
		switch v := e.(type) {
		case string:
			toks = append(toks, v)
		default:
			toks = append(toks, "0")
		}
	}
	f, err := t.inputField(toks, claimpath.FromPath(path))
	if err != nil {
		return nil
	}
	return f
}

// CountryName is the name of the ISO 3166-1 alpha-2 code in lang (CLDR,
// through golang.org/x/text), or "" for a code it does not name (QU, QS).
func CountryName(code, lang string) string {
	if len(code) != 2 || code[0] == 'Q' {
		return ""
	}
	r, err := language.ParseRegion(code)
	if err != nil {
		return ""
	}
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.English
	}
	n := display.Regions(tag)
	if n == nil {
		n = display.Regions(language.English)
	}
	return n.Name(r)
}

// isCountryEnum: the allowed values are ISO 3166-1 alpha-2 codes (the
// catalogue's country and iso_country lists).
func isCountryEnum(enum []string) bool {
	if len(enum) < 200 {
		return false
	}
	for _, c := range enum[:3] {
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			return false
		}
	}
	return true
}

// countryIndex maps the folded name of every country in en, fr, ar and
// uk to its code.
var countryIndex = sync.OnceValue(func() map[string]string {
	idx := map[string]string{}
	for _, lang := range RequiredLocales() {
		n := display.Regions(language.Make(lang))
		for a := 'A'; a <= 'Z'; a++ {
			for b := 'A'; b <= 'Z'; b++ {
				code := string([]rune{a, b})
				r, err := language.ParseRegion(code)
				if err != nil || code[0] == 'Q' || r.String() != code || !r.IsCountry() {
					continue
				}
				if name := n.Name(r); name != "" {
					if _, dup := idx[foldName(name)]; !dup {
						idx[foldName(name)] = code
					}
				}
			}
		}
	}
	return idx
})

// countryByName finds the code of a country name typed in en, fr, ar or
// uk; case, accents, apostrophes and hyphens do not matter.
func countryByName(s string) (string, bool) {
	code, ok := countryIndex()[foldName(s)]
	return code, ok
}

// foldName makes names comparable as typed at a desk.
func foldName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '’' || r == '‘' || r == '`' || r == 'ʼ':
			r = '\''
		case r == '-' || r == '‐' || r == '–' || unicode.IsSpace(r) || r == '.' || r == ',':
			space = b.Len() > 0
			continue
		case r == 'أ' || r == 'إ' || r == 'آ':
			r = 'ا'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
