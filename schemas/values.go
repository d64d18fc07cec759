package schemas

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// valueLabels are the labels of enumerated claim values (ISO/IEC 5218 sex
// codes, birthdate precision, …) by claim name, then by the value's JSON
// text without quotes, in every required locale. They live beside the
// claim labels so a verifier or a wallet shows "2 (Female)", never a bare
// code. Country codes are not labelled here: AllowedValueLabel adds
// their names.
var (
	valueLabelsOnce sync.Once
	valueLabels     map[string]map[string][]ClaimDisplay
	valueLabelsErr  error
)

func loadValueLabels() (map[string]map[string][]ClaimDisplay, error) {
	valueLabelsOnce.Do(func() {
		var m map[string]map[string][]ClaimDisplay
		if err := readStrict(catalogueFS, "catalogue/value-labels.json", &m); err != nil {
			valueLabelsErr = fmt.Errorf("%w: value-labels.json: %v", ErrCatalogue, err)
			return
		}
		valueLabels = m
	})
	return valueLabels, valueLabelsErr
}

// ValueLabel returns the label, in lang (same fallback chain as Label),
// of the enumerated value v of the claim at path; ok is false when the
// catalogue labels no such value. Labels are keyed by the claim's name
// (the last string of path), as claim labels are shared across types.
func (t *Type) ValueLabel(path []any, v any, lang string) (label string, ok bool) {
	m, err := loadValueLabels()
	if err != nil {
		return "", false
	}
	name := ""
	for i := len(path) - 1; i >= 0; i-- {
		if s, isStr := path[i].(string); isStr {
			name = s
			break
		}
	}
	byValue := m[name]
	if byValue == nil {
		return "", false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	ds := byValue[strings.Trim(string(b), `"`)]
	if i := chooseLocale(claimLocales(ds), lang); i >= 0 {
		return ds[i].Label, true
	}
	return "", false
}

// AllowedValueLabel is ValueLabel, and for a country claim the country's
// name in lang (CLDR, countries.go; QU and QS as the file labels them
// under "country"): what a desk shows beside an allowed value.
func (t *Type) AllowedValueLabel(path []any, v any, lang string) (label string, ok bool) {
	if code, isStr := v.(string); isStr {
		if f := t.fieldAtPath(path); f != nil && isCountryEnum(f.Enum) {
			if n := CountryName(code, lang); n != "" {
				return n, true
			}
			return t.ValueLabel([]any{"country"}, code, lang)
		}
	}
	return t.ValueLabel(path, v, lang)
}
