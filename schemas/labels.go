package schemas

import (
	"golang.org/x/text/language"

	"github.com/cairn-id/cairn/internal/claimpath"
)

// Lang is a parsed language preference: a BCP 47 tag or an
// Accept-Language list. Parse it once (ParseLang) to label many claims
// or types in it: the …In methods then parse nothing.
type Lang struct{ requested []language.Tag }

// ParseLang parses a BCP 47 tag or an Accept-Language list such as
// "fr-CA,fr;q=0.9,en;q=0.5" (at most 256 bytes; longer, or unparsable,
// is the empty preference, which chooses English).
func ParseLang(lang string) Lang {
	if len(lang) > 256 {
		return Lang{}
	}
	requested, _, err := language.ParseAcceptLanguage(lang)
	if err != nil {
		requested = nil
		if t, err2 := language.Parse(lang); err2 == nil {
			requested = []language.Tag{t}
		}
	}
	return Lang{requested: requested}
}

// locales are a type's display locales, parsed once (the catalogue is
// immutable): its own and each claim's, by claimpath.FromPath.
type locales struct {
	display []language.Tag
	claims  map[string][]language.Tag
}

func (t *Type) parsedLocales() *locales {
	t.localesOnce.Do(func() {
		l := &locales{display: parseLocales(typeLocales(t.Metadata.Display)), claims: make(map[string][]language.Tag, len(t.claimIndex))}
		for k, cm := range t.claimIndex {
			l.claims[k] = parseLocales(claimLocales(cm.Display))
		}
		t.locales = l
	})
	return t.locales
}

// Label returns the label of the claim at path in the language lang (a
// BCP 47 tag, or an Accept-Language list such as "fr-CA,fr;q=0.9,en;q=0.5").
// Path elements are strings (claim names) and nil or ints (array elements;
// any index gets the label of "every element"). The fallback chain is: the
// exact tag, its base language ("fr-CA" → "fr"), English, and finally the
// last claim name of the path, so a wallet always has something to show.
func (t *Type) Label(path []any, lang string) string { return t.LabelIn(path, ParseLang(lang)) }

// LabelIn is Label in a parsed language preference.
func (t *Type) LabelIn(path []any, lang Lang) string {
	key := claimpath.FromPath(normPath(path))
	if cm := t.claimIndex[key]; cm != nil {
		if i := chooseTag(t.parsedLocales().claims[key], lang); i >= 0 {
			return cm.Display[i].Label
		}
	}
	for i := len(path) - 1; i >= 0; i-- {
		if s, ok := path[i].(string); ok {
			return s
		}
	}
	return ""
}

// DisplayName returns the type's name in lang, with the same fallback chain
// as Label, then the metadata name, then the short name.
func (t *Type) DisplayName(lang string) string { return t.DisplayNameIn(ParseLang(lang)) }

// DisplayNameIn is DisplayName in a parsed language preference.
func (t *Type) DisplayNameIn(lang Lang) string {
	if i := chooseTag(t.parsedLocales().display, lang); i >= 0 {
		return t.Metadata.Display[i].Name
	}
	if t.Metadata.Name != "" {
		return t.Metadata.Name
	}
	return t.Name
}

// Description returns the type's description in lang (same fallback
// chain), or the metadata description.
func (t *Type) Description(lang string) string {
	if i := chooseTag(t.parsedLocales().display, ParseLang(lang)); i >= 0 && t.Metadata.Display[i].Description != "" {
		return t.Metadata.Display[i].Description
	}
	return t.Metadata.Description
}

// SDPolicy returns the selective disclosure policy of the claim at path:
// "always", "allowed" or "never". Claims the metadata does not mention are
// "allowed" (the draft's default), except the registered SD-JWT VC claims,
// which are always "never".
func (t *Type) SDPolicy(path []any) string {
	if len(path) > 0 {
		if s, ok := path[0].(string); ok && isRegisteredClaim(s) {
			return SDNever
		}
	}
	if cm := t.claimIndex[claimpath.FromPath(normPath(path))]; cm != nil {
		return cm.SD
	}
	return SDAllowed
}

// DisclosablePaths returns the JSON Pointers (RFC 6901, "*" standing for
// every array element) of the claims whose sd policy is "always": what an
// issuer makes selectively disclosable by default. It never contains a
// "never" claim, the evidence claim or a registered JWT claim (Load
// refuses a catalogue where it would).
func (t *Type) DisclosablePaths() []string { return append([]string(nil), t.disclosable...) }

func claimLocales(ds []ClaimDisplay) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Locale
	}
	return out
}

func typeLocales(ds []TypeDisplay) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Locale
	}
	return out
}

func validLocale(s string) bool {
	_, err := language.Parse(s)
	return err == nil && s != ""
}

// hasLocale reports whether locales has want or a regional form of it.
func hasLocale(locales []string, want string) bool {
	for _, l := range locales {
		if l == want || baseOf(l) == want {
			return true
		}
	}
	return false
}

func baseOf(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return ""
	}
	b, conf := t.Base()
	if conf == language.No {
		return ""
	}
	return b.String()
}

// chooseLocale picks the index in available for lang: for each requested
// tag in preference order, an exact match, then the base language (a plain
// "fr" entry first, then any "fr-*"); if none matches, English. -1 if none.
func chooseLocale(available []string, lang string) int {
	return chooseTag(parseLocales(available), ParseLang(lang))
}

// parseLocales parses available locales (Und for one that does not
// parse).
func parseLocales(available []string) []language.Tag {
	tags := make([]language.Tag, len(available))
	for i, a := range available {
		t, err := language.Parse(a)
		if err != nil {
			t = language.Und
		}
		tags[i] = t
	}
	return tags
}

// chooseTag is chooseLocale over parsed tags.
func chooseTag(tags []language.Tag, lang Lang) int {
	if len(tags) == 0 {
		return -1
	}
	find := func(want language.Tag) int {
		if want == language.Und {
			return -1
		}
		for i, t := range tags {
			if t == want {
				return i
			}
		}
		wb, conf := want.Base()
		if conf == language.No {
			return -1
		}
		base := language.Make(wb.String())
		for i, t := range tags {
			if t == base {
				return i
			}
		}
		for i, t := range tags {
			if tb, c := t.Base(); c != language.No && tb == wb {
				return i
			}
		}
		return -1
	}
	for _, r := range lang.requested {
		if i := find(r); i >= 0 {
			return i
		}
	}
	return find(language.English)
}
