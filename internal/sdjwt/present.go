package sdjwt

import (
	"errors"
	"fmt"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/jose"
)

// Select returns a new SD-JWT, without key binding, that holds only the
// disclosures needed to reveal the claims at paths (§5.2, §7.2). Paths are
// JSON Pointers into the claims as Process returns them; a "*" segment
// matches every array element. The disclosures of a path's ancestors are
// included, and a path to an object or array reveals its whole subtree. A
// path that names no claim is an ErrPath. The issuer signatures (all of
// them, for a general JSON serialization) and Unprotected are kept.
func (t *SDJWT) Select(paths []string) (*SDJWT, error) {
	full, err := t.Process()
	if err != nil {
		return nil, err
	}
	want := make([][]string, 0, len(paths))
	for _, p := range paths {
		segs, err := parsePointer(p)
		if err != nil {
			return nil, err
		}
		if !claimpath.Present(full, segs) {
			return nil, fmt.Errorf("%w: no claim at %q", ErrPath, p)
		}
		want = append(want, segs)
	}
	out := &SDJWT{IssuerJWT: t.IssuerJWT, Header: t.Header, Payload: t.Payload, Unprotected: t.Unprotected, MoreSignatures: t.MoreSignatures}
	for _, d := range t.Disclosures {
		dsegs, err := parsePointer(d.Path)
		if err != nil {
			return nil, err
		}
		for _, w := range want {
			if prefixMatch(dsegs, w) {
				c := *d // a copy: Verify on the presentation sets its own Path
				out.Disclosures = append(out.Disclosures, &c)
				break
			}
		}
	}
	return out, nil
}

// prefixMatch reports whether one of a and b is a prefix of the other,
// with "*" in b matching any segment.
func prefixMatch(a, b []string) bool {
	n := min(len(a), len(b))
	for i := range n {
		if b[i] != "*" && a[i] != b[i] {
			return false
		}
	}
	return true
}

// WithKeyBinding returns a copy of t ending in a Key Binding JWT (§4.3)
// signed by holder: header typ kb+jwt, claims iat, aud, nonce and sd_hash
// over the SD-JWT without its KB-JWT. An existing KB-JWT is replaced. For
// an SD-JWT that came from or goes to the JWS JSON serialization, that is
// the compact equivalent of §8.1 built from the first signature, which
// String returns.
func (t *SDJWT) WithKeyBinding(holder *jose.Signer, kb KBOptions) (*SDJWT, error) {
	if holder == nil {
		return nil, errors.New("sdjwt: WithKeyBinding needs a holder signer")
	}
	if kb.Audience == "" || kb.Nonce == "" || kb.IssuedAt.IsZero() {
		return nil, fmt.Errorf("%w: audience, nonce and issued-at are all required", ErrKeyBinding)
	}
	out := *t
	out.Disclosures = append([]*Disclosure(nil), t.Disclosures...)
	out.KBJWT = ""
	payload, err := marshalJSON(map[string]any{
		"iat":     kb.IssuedAt.Unix(),
		"aud":     kb.Audience,
		"nonce":   kb.Nonce,
		"sd_hash": digestWith(t.sdHashAlg(), out.String()),
	})
	if err != nil {
		return nil, fmt.Errorf("sdjwt: encode KB-JWT: %w", err)
	}
	if out.KBJWT, err = holder.Sign(map[string]any{"typ": KBTyp}, payload); err != nil {
		return nil, fmt.Errorf("sdjwt: sign KB-JWT: %w", err)
	}
	return &out, nil
}
