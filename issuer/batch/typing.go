package batch

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-id/cairn/schemas"
)

// maxListedProblems bounds how many failing claims a refusal names.
const maxListedProblems = 6

// typeClaims builds the claims of one row: each cell is typed by its
// claim's description in the type (schemas.Type.ClaimsFromText, the same
// typing as the issuer's prompt) and the row validated. The refusal names
// the failing claims, never the values.
func typeClaims(typ *schemas.Type, cols []column, cells []string) (map[string]any, string) {
	texts := make([]schemas.ClaimText, 0, len(cols))
	for _, c := range cols {
		if cells[c.index] == "" {
			continue
		}
		texts = append(texts, schemas.ClaimText{Path: c.claimPath(), Text: cells[c.index]})
	}
	claims, err := typ.ClaimsFromText(texts, schemas.InputOptions{})
	if err == nil {
		return claims, ""
	}
	var verr *schemas.ValidationError
	switch {
	case errors.As(err, &verr):
		list := make([]string, 0, len(verr.Problems))
		for _, p := range verr.Problems {
			ptr := p.Pointer
			if ptr == "" {
				ptr = "(claims)"
			}
			list = append(list, ptr+" "+p.Message)
		}
		return nil, listProblems(list)
	case errors.Is(err, schemas.ErrClaimsTooLarge):
		return nil, "claims are too large"
	}
	return nil, "claims cannot be validated"
}

// claimPath is the column's path as schemas takes it: names and indexes.
func (c column) claimPath() []any {
	p := make([]any, len(c.path))
	for i, s := range c.path {
		if s.isIndex {
			p[i] = s.index
		} else {
			p[i] = s.key
		}
	}
	return p
}

func listProblems(list []string) string {
	extra := 0
	if len(list) > maxListedProblems {
		extra = len(list) - maxListedProblems
		list = list[:maxListedProblems]
	}
	s := "claims: " + strings.Join(list, "; ")
	if extra > 0 {
		s += fmt.Sprintf("; and %d more", extra)
	}
	return s
}
