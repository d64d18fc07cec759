package schemas

import "strings"

// Resolve finds a type by its full vct ("urn:cairn:vct:humanitarian-registration:1")
// or by its short name ("humanitarian-registration", the newest major
// version). An unknown reference is an error wrapping ErrUnknownType.
func (c *Catalogue) Resolve(ref string) (*Type, error) {
	ref = strings.TrimSpace(ref)
	if t := c.byVCT[ref]; t != nil {
		return t, nil
	}
	var best *Type
	for _, t := range c.types {
		if t.Name == ref && (best == nil || t.Version > best.Version) {
			best = t
		}
	}
	if best == nil {
		return c.Lookup(ref)
	}
	return best, nil
}
