package assurance

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Identity is the core identity a credential disclosed. Empty fields were
// not disclosed and are not compared.
type Identity struct {
	FamilyName string
	GivenName  string
	// Birthdate is YYYY-MM-DD, YYYY-MM or YYYY.
	Birthdate string
	// BirthdatePrecision ("day", "month", "year"; empty means as written)
	// narrows Birthdate, e.g. 1990-01-01 with "year" is only 1990.
	BirthdatePrecision string
	NameVariants       []NameVariant
	// The rest of the core identity a PID carries (PIDIdentity): shown and
	// kept, not compared between credentials (only the names, through
	// NameVariants, and the birthdate are).
	PlaceOfBirth    *Place
	Nationalities   []string // ISO 3166-1 alpha-2, or QU / QS as the provider wrote them
	BirthFamilyName string
	BirthGivenName  string
	Sex             *int // ISO/IEC 5218 code
}

// NameVariant is another spelling of the name the issuer declared, e.g. a
// transliteration or the name in another script.
type NameVariant struct {
	FamilyName string
	GivenName  string
	Script     string // ISO 15924, e.g. Latn, Arab
	Source     string // identity_document, civil_record, registration, self_declared, transliteration
}

// Field names of the core identity claims.
const (
	FieldFamilyName = "family_name"
	FieldGivenName  = "given_name"
	FieldBirthdate  = "birthdate"
)

// Consistency outcomes.
const (
	// AgreeVariant: the names agree only through a declared variant.
	AgreeVariant = "agree_variant"
	// AgreePrecision: the birthdates agree to the coarser precision only.
	AgreePrecision = "agree_precision"
	// Disagree: the values differ; every profile is blocked.
	Disagree = "disagree"
)

// Finding is one result of comparing a core identity claim between two
// credentials. Plain agreements are not listed. Claim values never appear
// in a Finding (they must not reach logs); Message says what kind of
// difference it is.
type Finding struct {
	Field   string `json:"field"`
	A       string `json:"a"` // credential id
	B       string `json:"b"` // credential id
	Outcome string `json:"outcome"`
	Message string `json:"message"`
}

// normName folds a name for comparison: NFC, Unicode case folding, runs of
// whitespace to one space, trimmed. Folding is applied after NFC and the
// result is NFC again (folding can decompose). A Caser is not safe for
// concurrent use: each evaluation has its own.
func normName(folder cases.Caser, s string) string {
	s = folder.String(norm.NFC.String(s))
	return norm.NFC.String(strings.Join(strings.Fields(s), " "))
}

// nameForms are a credential's normalized forms of one name field: the
// primary value first, then the declared variants.
type nameForms struct {
	primary  string
	variants []variantForm
}

type variantForm struct {
	value, script, source string
}

func formsOf(folder cases.Caser, id Identity, field string) nameForms {
	pick := func(fam, giv string) string {
		if field == FieldFamilyName {
			return fam
		}
		return giv
	}
	f := nameForms{primary: normName(folder, pick(id.FamilyName, id.GivenName))}
	for _, v := range id.NameVariants {
		if n := normName(folder, pick(v.FamilyName, v.GivenName)); n != "" {
			f.variants = append(f.variants, variantForm{n, v.Script, v.Source})
		}
	}
	return f
}

// compareNames returns "" for plain agreement or not comparable, or a
// Finding outcome and message.
func compareNames(a, b nameForms) (string, string) {
	if a.primary == "" || b.primary == "" {
		return "", ""
	}
	if a.primary == b.primary {
		return "", ""
	}
	for _, v := range a.variants {
		if v.value == b.primary {
			return AgreeVariant, fmt.Sprintf("agrees through a variant the first credential declares (%s)", describeVariant(v))
		}
	}
	for _, v := range b.variants {
		if v.value == a.primary {
			return AgreeVariant, fmt.Sprintf("agrees through a variant the second credential declares (%s)", describeVariant(v))
		}
	}
	for _, va := range a.variants {
		for _, vb := range b.variants {
			if va.value == vb.value {
				return AgreeVariant, fmt.Sprintf("agrees through variants both credentials declare (%s)", describeVariant(va))
			}
		}
	}
	return Disagree, "differs, and neither credential declares a variant that matches the other"
}

func describeVariant(v variantForm) string {
	s := v.source
	if s == "" {
		s = "variant"
	}
	if v.script != "" {
		s += " in " + v.script
	}
	return s
}

// date is a birthdate at some precision: 1 year, 2 month, 3 day.
type date struct {
	y, m, d   int
	precision int
}

func parseBirthdate(s, precision string) (date, bool) {
	var dt date
	parts := strings.Split(s, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return dt, false
	}
	vals := [3]*int{&dt.y, &dt.m, &dt.d}
	for i, p := range parts {
		if i > 0 && len(p) != 2 {
			return dt, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return dt, false
		}
		*vals[i] = n
	}
	dt.precision = len(parts)
	if (dt.precision >= 2 && (dt.m < 1 || dt.m > 12)) || (dt.precision == 3 && (dt.d < 1 || dt.d > 31)) {
		return dt, false
	}
	switch precision {
	case "":
	case "year":
		dt.precision = min(dt.precision, 1)
	case "month":
		dt.precision = min(dt.precision, 2)
	case "day":
	default:
		return dt, false
	}
	return dt, true
}

// birth is a credential's birthdate, parsed once.
type birth struct {
	present, ok bool
	date
}

func birthOf(id Identity) birth {
	if id.Birthdate == "" {
		return birth{}
	}
	d, ok := parseBirthdate(id.Birthdate, id.BirthdatePrecision)
	return birth{true, ok, d}
}

func compareBirthdates(a, b Identity) (string, string) {
	return compareBirths(birthOf(a), birthOf(b))
}

func compareBirths(da, db birth) (string, string) {
	if !da.present || !db.present {
		return "", ""
	}
	if !da.ok || !db.ok {
		return Disagree, "cannot be compared: a birthdate is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"
	}
	p := min(da.precision, db.precision)
	av, bv := [3]int{da.y, da.m, da.d}, [3]int{db.y, db.m, db.d}
	for i := range p {
		if av[i] != bv[i] {
			return Disagree, "differs"
		}
	}
	if da.precision != db.precision {
		unit := [...]string{"", "year", "month", "day"}[p]
		return AgreePrecision, fmt.Sprintf("agrees to the %s; one credential gives only that precision", unit)
	}
	return "", ""
}

type idForms struct {
	family, given nameForms
	birth         birth
}

// Consistency compares the core identity claims (names after Unicode
// normalisation and case folding, with declared variants; birthdates to
// their precision) of every pair of creds, as Evaluate does for the
// credentials that count (DESIGN.md §3). It lists agreements through a
// variant or a coarser precision too; only Disagree blocks a profile. The
// verifier refuses a presentation with a Disagree finding
// (identity_inconsistent) from this function alone.
func Consistency(creds []Credential) []Finding {
	ps := make([]*Credential, len(creds))
	for i := range creds {
		ps[i] = &creds[i]
	}
	return consistency(ps)
}

// consistency compares every pair of the given credentials.
func consistency(creds []*Credential) []Finding {
	folder := cases.Fold()
	forms := make([]idForms, len(creds))
	for i, c := range creds {
		forms[i] = idForms{formsOf(folder, c.Identity, FieldFamilyName), formsOf(folder, c.Identity, FieldGivenName), birthOf(c.Identity)}
	}
	var out []Finding
	for i := range creds {
		for j := i + 1; j < len(creds); j++ {
			a, b := creds[i], creds[j]
			add := func(field, outcome, msg string) {
				if outcome != "" {
					out = append(out, Finding{Field: field, A: a.ID, B: b.ID, Outcome: outcome, Message: msg})
				}
			}
			o, m := compareNames(forms[i].family, forms[j].family)
			add(FieldFamilyName, o, m)
			o, m = compareNames(forms[i].given, forms[j].given)
			add(FieldGivenName, o, m)
			o, m = compareBirths(forms[i].birth, forms[j].birth)
			add(FieldBirthdate, o, m)
		}
	}
	return out
}
