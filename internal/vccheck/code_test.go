package vccheck

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want Code
	}{
		{nil, CodeValid},
		{ErrRevoked, CodeRevoked},
		{ErrSuspended, CodeSuspended},
		{ErrNotAuthorized, CodeNotAuthorized},
		{ErrStatusUnavailable, CodeStatusUnavailable},
		{sdjwtvc.ErrUntrustedIssuer, CodeUntrusted},
		{fmt.Errorf("%w: %w", ErrIssuerCompromised, sdjwtvc.ErrUntrustedIssuer), CodeIssuerCompromised},
		{sdjwt.ErrExpired, CodeExpired},
		{sdjwt.ErrNotYetValid, CodeNotYetValid},
		{sdjwtvc.ErrIssuerKey, CodeIssuerKeyUnresolved},
		{sdjwtvc.ErrMissingClaim, CodeMissingClaim},
		{sdjwt.ErrNonce, "nonce_mismatch"},
		{sdjwt.ErrAudience, "audience_mismatch"},
		{sdjwt.ErrSignature, "invalid_signature"},
		{sdjwt.ErrKeyBindingRequired, "key_binding_missing"},
		{sdjwt.ErrHolderKey, "holder_key_missing"},
		{sdjwtvc.ErrInvalidInput, CodeInvalid},
		{errors.New("something else"), CodeInvalid},
		// wrapped, as Verify returns them
		{fmt.Errorf("%w: at index 7", ErrRevoked), CodeRevoked},
		{fmt.Errorf("%w: fetch: %v", ErrStatusUnavailable, sdjwt.ErrMalformed), CodeStatusUnavailable},
		{fmt.Errorf("%w: did:jwk:x", sdjwtvc.ErrUntrustedIssuer), CodeUntrusted},
		{fmt.Errorf("%w: %w", sdjwt.ErrKeyBinding, sdjwt.ErrKBTime), "key_binding_invalid"},
	}
	for _, tc := range tests {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %q, want %q", tc.err, got, tc.want)
		}
		if tc.err != nil && Classify(tc.err) == CodeValid {
			t.Errorf("Classify(%v) is empty for an error", tc.err)
		}
	}
}
