package assurance

import (
	"testing"

	"golang.org/x/text/cases"
)

func TestCompareNames(t *testing.T) {
	forms := func(primary string, variants ...string) nameForms {
		id := Identity{FamilyName: primary}
		for _, v := range variants {
			id.NameVariants = append(id.NameVariants, NameVariant{FamilyName: v, Script: "Latn", Source: "transliteration"})
		}
		return formsOf(cases.Fold(), id, FieldFamilyName)
	}
	tests := []struct {
		name    string
		a, b    nameForms
		outcome string
	}{
		{"equal", forms("Yusuf"), forms("Yusuf"), ""},
		{"case", forms("YUSUF"), forms("yusuf"), ""},
		{"whitespace", forms(" Abu  Bakr "), forms("abu bakr"), ""},
		{"NFC", forms("Jos\u00e9"), forms("Jose\u0301"), ""},
		{"full case folding", forms("STRASSE"), forms("straße"), ""},
		{"not disclosed", forms(""), forms("Yusuf"), ""},
		{"differs", forms("Yusuf"), forms("Youssef"), Disagree},
		{"variant in a", forms("يوسف", "Yusuf"), forms("yusuf"), AgreeVariant},
		{"variant in b", forms("Yusuf"), forms("يوسف", "YUSUF"), AgreeVariant},
		{"variants meet", forms("يوسف", "Youssef"), forms("Юсуф", "youssef"), AgreeVariant},
		{"variant elsewhere", forms("Yusuf", "Youssef"), forms("Yousef"), Disagree},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := compareNames(tt.a, tt.b); got != tt.outcome {
				t.Errorf("outcome %q, want %q", got, tt.outcome)
			}
		})
	}
}

func TestCompareBirthdates(t *testing.T) {
	tests := []struct {
		a, ap, b, bp string
		outcome      string
	}{
		{"1990-05-01", "", "1990-05-01", "", ""},
		{"1990", "", "1990-05-01", "", AgreePrecision},
		{"1990-05", "", "1990-05-31", "", AgreePrecision},
		{"1990-01-01", "year", "1990-05-01", "", AgreePrecision},
		{"1990-01-01", "year", "1990", "", ""},
		{"1991", "", "1990-05-01", "", Disagree},
		{"1990-06", "", "1990-05-01", "", Disagree},
		{"1990-05-02", "", "1990-05-01", "", Disagree},
		{"", "", "1990-05-01", "", ""},
		{"90-05-01", "", "1990-05-01", "", Disagree},
		{"1990-13-01", "", "1990-05-01", "", Disagree},
		{"1990-05-01", "week", "1990-05-01", "", Disagree},
	}
	for _, tt := range tests {
		a := Identity{Birthdate: tt.a, BirthdatePrecision: tt.ap}
		b := Identity{Birthdate: tt.b, BirthdatePrecision: tt.bp}
		if got, _ := compareBirthdates(a, b); got != tt.outcome {
			t.Errorf("%s(%s) vs %s(%s): %q, want %q", tt.a, tt.ap, tt.b, tt.bp, got, tt.outcome)
		}
		if got, _ := compareBirthdates(b, a); got != tt.outcome {
			t.Errorf("%s vs %s (swapped): %q, want %q", tt.b, tt.a, got, tt.outcome)
		}
	}
}
