package oid4vci

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/cairn-id/cairn/internal/jsonx"
)

// Errors at the package boundary; match them with errors.Is.
var (
	// ErrMalformed: a message is not valid JSON, has duplicate members or
	// misses or mistypes a required parameter.
	ErrMalformed = errors.New("oid4vci: malformed message")
	// ErrInvalidOffer: a credential offer or offer URI breaks §4.1.
	ErrInvalidOffer = errors.New("oid4vci: invalid credential offer")
	// ErrInvalidIssuer: a Credential Issuer Identifier or endpoint URL is
	// not an acceptable URL (§12.2.1).
	ErrInvalidIssuer = errors.New("oid4vci: invalid credential issuer identifier")
	// ErrInvalidMetadata: issuer or authorization server metadata is
	// unusable (wrong issuer, missing endpoint, …).
	ErrInvalidMetadata = errors.New("oid4vci: invalid metadata")
	// ErrTooLarge: an input or response exceeds its bound.
	ErrTooLarge = errors.New("oid4vci: too large")
	// ErrUnsupported: a valid feature Cairn does not implement (deferred
	// issuance, other proof types, the authorization code flow).
	ErrUnsupported = errors.New("oid4vci: not supported")
)

// unmarshalStrict decodes one JSON object into v after refusing what
// encoding/json would silently accept: duplicate member names, members
// whose names differ only in case (encoding/json matches field names
// case-insensitively, so those would be ambiguous), invalid UTF-8 and
// trailing data.
func unmarshalStrict(b []byte, v any) error {
	tree, err := jsonx.Decode(b)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, ok := tree.(map[string]any); !ok {
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	if err := noCaseDuplicates(tree); err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

func noCaseDuplicates(v any) error {
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 1 {
			seen := make(map[string]bool, len(x))
			for k := range x {
				l := foldKey(k)
				if seen[l] {
					return fmt.Errorf("%w: members differing only in case (%q)", ErrMalformed, k)
				}
				seen[l] = true
			}
		}
		for _, e := range x {
			if err := noCaseDuplicates(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := noCaseDuplicates(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// foldKey maps every rune to the smallest rune of its case-folding orbit,
// so two names are strings.EqualFold-equal exactly when their keys match
// (encoding/json matches field names this way, Kelvin sign included).
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < m {
				m = f
			}
		}
		b.WriteRune(m)
	}
	return b.String()
}
