package sdjwtvc

import (
	"errors"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
)

// Errors of Present beyond sdjwt's. Every error from Present matches
// exactly one of ErrNotPresentable, ErrAlreadyPresented, ErrHolderMismatch,
// sdjwt.ErrPath or ErrKeyBindingSign, so a CLI or a wallet can say whose
// fault it was.
var (
	// ErrNotPresentable: the credential does not parse, its disclosures do
	// not process, or it has no usable cnf.jwk (then sdjwt.ErrHolderKey
	// matches too).
	ErrNotPresentable = errors.New("sdjwtvc: credential cannot be presented")
	// ErrAlreadyPresented: the input ends with a Key Binding JWT.
	ErrAlreadyPresented = errors.New("sdjwtvc: input is already a presentation")
	// ErrHolderMismatch: the holder key is not the one in cnf.jwk.
	ErrHolderMismatch = errors.New("sdjwtvc: holder key is not the key this credential is bound to (cnf.jwk)")
	// ErrKeyBindingSign: the Key Binding JWT could not be made (missing
	// audience or nonce, a signer failure).
	ErrKeyBindingSign = errors.New("sdjwtvc: key binding JWT could not be made")
)

// PresentOptions say what to disclose and to whom.
type PresentOptions struct {
	// Paths are JSON Pointers (RFC 6901) of the claims to disclose; "*"
	// means every array element. The disclosures of their parents come
	// along; claims not named stay hidden. A path naming no claim is an
	// sdjwt.ErrPath.
	Paths []string
	// Audience and Nonce come from the verifier's request (OpenID4VP 1.0
	// §8.6, B.3.6: aud is the full client_id); both are required.
	Audience string
	Nonce    string
	// Now is the clock for the KB-JWT's iat; nil means time.Now.
	Now func() time.Time
	// Limits bound the parsed credential (sdjwt defaults when zero).
	Limits sdjwt.Limits
}

// Present makes a presentation (SD-JWT+KB, RFC 9901 §4.3) of the credential
// compact, as issued: only the disclosures opts.Paths need, and a Key
// Binding JWT over the verifier's nonce and audience signed by holder,
// which must be the key of the credential's cnf.jwk (read strictly, as
// Verify reads it: sdjwt.HolderKey). The issuer's signature is not checked:
// the holder received the credential from its issuer; the verifier checks
// it.
func Present(compact string, holder *jose.Signer, o PresentOptions) (string, error) {
	t, err := sdjwt.Parse(compact, o.Limits)
	if err != nil {
		return "", presentErr(err, ErrNotPresentable)
	}
	if t.KBJWT != "" {
		return "", presentErr(errors.New("input is already a presentation (it ends with a key binding JWT); give the credential as issued"), ErrAlreadyPresented)
	}
	claims, err := t.Process()
	if err != nil {
		return "", presentErr(err, ErrNotPresentable)
	}
	cnf, _ := claims["cnf"].(map[string]any)
	if _, ok := cnf["jwk"].(map[string]any); !ok {
		return "", presentErr(errors.New("the credential has no cnf.jwk: it is not bound to a holder key and cannot be presented with key binding"), ErrNotPresentable, sdjwt.ErrHolderKey)
	}
	bound, err := sdjwt.HolderKey(claims)
	if err != nil {
		return "", presentErr(err, ErrNotPresentable)
	}
	if holder == nil {
		return "", presentErr(errors.New("sdjwtvc: Present needs the holder's signer"), ErrKeyBindingSign)
	}
	pub, err := jose.NewJWK(holder.Public())
	if err != nil {
		return "", presentErr(err, ErrKeyBindingSign)
	}
	if !bound.Equal(pub) {
		return "", ErrHolderMismatch
	}
	sel, err := t.Select(o.Paths)
	if err != nil {
		if errors.Is(err, sdjwt.ErrPath) {
			return "", err
		}
		return "", presentErr(err, ErrNotPresentable)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	p, err := sel.WithKeyBinding(holder, sdjwt.KBOptions{Audience: o.Audience, Nonce: o.Nonce, IssuedAt: now()})
	if err != nil {
		return "", presentErr(err, ErrKeyBindingSign)
	}
	return p.String(), nil
}

// presentError shows its cause's message unchanged and also matches the
// sentinels that classify it.
type presentError struct {
	err  error
	also []error
}

func (e *presentError) Error() string   { return e.err.Error() }
func (e *presentError) Unwrap() []error { return append([]error{e.err}, e.also...) }

func presentErr(err error, also ...error) error { return &presentError{err: err, also: also} }
