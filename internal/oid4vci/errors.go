package oid4vci

import (
	"encoding/json"
	"errors"
	"fmt"

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
	if err := jsonx.NoFoldedDuplicates(tree); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}
