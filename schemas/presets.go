package schemas

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownPreset: the type defines no evidence preset of that name.
var ErrUnknownPreset = errors.New("schemas: unknown evidence preset")

// DefaultPresetName names the only preset of a type whose type.json
// defines none: its default evidence.
const DefaultPresetName = "default"

// EvidencePreset is one named evidence of a type (type.json
// "evidence_presets"): what a desk claims when, for instance, it saw an
// identity document ("document-seen") or only heard the person
// ("declared-only").
type EvidencePreset struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Default marks the preset that is the type's default_evidence (its
	// Evidence is filled in from it at load; type.json leaves it out).
	Default  bool      `json:"default,omitempty"`
	Evidence *Evidence `json:"evidence,omitempty"`
}

// checkPresets: names are unique type-name-like words, exactly one is
// the default (its evidence is default_evidence), the others have their
// own evidence within the type's caps. It fills in the default's evidence.
func checkPresets(pol typePolicy) error {
	if len(pol.EvidencePresets) == 0 {
		return nil
	}
	seen := map[string]bool{}
	defaults := 0
	for i := range pol.EvidencePresets {
		p := &pol.EvidencePresets[i]
		if !validTypeName(p.Name) || seen[p.Name] || p.Name == DefaultPresetName {
			return fmt.Errorf("evidence_presets: bad or duplicate name %q", p.Name)
		}
		seen[p.Name] = true
		if p.Description == "" {
			return fmt.Errorf("evidence_presets: %s: needs a description", p.Name)
		}
		if p.Default {
			if p.Evidence != nil {
				return fmt.Errorf("evidence_presets: %s: the default preset takes default_evidence, not its own", p.Name)
			}
			defaults++
			ev := pol.DefaultEvidence
			p.Evidence = &ev
			continue
		}
		if p.Evidence == nil || p.Evidence.Strength < 1 || p.Evidence.Validity < 1 {
			return fmt.Errorf("evidence_presets: %s: needs evidence with strength and validity", p.Name)
		}
		if err := checkCaps(*p.Evidence, pol.MaxEvidence); err != nil {
			return fmt.Errorf("evidence_presets: %s: %w", p.Name, err)
		}
	}
	if defaults != 1 {
		return errors.New("evidence_presets: exactly one must be the default")
	}
	return nil
}

// EvidencePresetNames lists the type's presets in catalogue order (the
// default's first when the catalogue lists it first), or "default" alone.
func (t *Type) EvidencePresetNames() []string {
	if len(t.EvidencePresets) == 0 {
		return []string{DefaultPresetName}
	}
	out := make([]string, len(t.EvidencePresets))
	for i, p := range t.EvidencePresets {
		out[i] = p.Name
	}
	return out
}

// EvidencePreset returns the evidence of the named preset ("" or
// "default": the type's default evidence), or an error wrapping
// ErrUnknownPreset that lists the type's presets.
func (t *Type) EvidencePreset(name string) (Evidence, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == DefaultPresetName {
		return t.DefaultEvidence, nil
	}
	for _, p := range t.EvidencePresets {
		if p.Name == name {
			return *p.Evidence, nil
		}
	}
	return Evidence{}, fmt.Errorf("%w for %s (%s)", ErrUnknownPreset, t.Name, strings.Join(t.EvidencePresetNames(), ", "))
}
