package sdjwt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jsonx"
)

// The unprotected header parameters RFC 9901 §8.1 defines.
const (
	headerDisclosures = "disclosures"
	headerKBJWT       = "kb_jwt"
)

// jsonSig is one parsed signature of a JWS JSON serialization.
type jsonSig struct {
	jws *jose.JWS
	// keyHeader is the protected header joined with the unprotected one
	// (minus disclosures and kb_jwt): what IssuerKey sees.
	keyHeader jose.Header
}

// ParseJSON parses an SD-JWT or SD-JWT+KB in the JWS JSON serialization
// (RFC 9901 §8; RFC 7515 §7.2), flattened or general, and decodes the
// issuer JWT's header and payload and every disclosure. It verifies no
// signature.
//
// disclosures and kb_jwt are read from the unprotected header of the
// flattened form, or of the first signature of the general form; in any
// later signature they are refused (§8.3). Other unprotected parameters
// (kid, …) are kept in Unprotected and JSONSignature.Header; they must not
// repeat a protected parameter (RFC 7515 §7.2.1), and crit must be
// protected. protected, payload and signature are required and must be
// unpadded base64url; members RFC 7515 does not define are ignored, as it
// requires, but an object that mixes the flattened and general forms is
// refused. IssuerJWT is the first signature's protected.payload.signature,
// so String returns the compact equivalent that sd_hash covers (§8.1).
func ParseJSON(b []byte, lim Limits) (*SDJWT, error) {
	t, _, _, err := parseJSON(b, lim.withDefaults())
	return t, err
}

func parseJSON(b []byte, lim Limits) (*SDJWT, []jsonSig, *jose.JWS, error) {
	if len(b) > lim.MaxTokenLen {
		return nil, nil, nil, fmt.Errorf("%w: serialization is %d bytes, limit %d", ErrTooLarge, len(b), lim.MaxTokenLen)
	}
	v, err := jsonx.Decode(b)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: JWS JSON serialization is not a JSON object", ErrMalformed)
	}
	payload, ok := top["payload"].(string)
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: payload member missing or not a string", ErrMalformed)
	}

	// The signature objects, flattened being a single one at the top level.
	var sigObjs []map[string]any
	if raw, general := top["signatures"]; general {
		for _, m := range []string{"protected", "header", "signature"} {
			if _, mixed := top[m]; mixed {
				return nil, nil, nil, fmt.Errorf("%w: general serialization with a top-level %s member", ErrMalformed, m)
			}
		}
		arr, ok := raw.([]any)
		if !ok || len(arr) == 0 {
			return nil, nil, nil, fmt.Errorf("%w: signatures is not a non-empty array", ErrMalformed)
		}
		if len(arr) > lim.MaxSignatures {
			return nil, nil, nil, fmt.Errorf("%w: %d signatures, limit %d", ErrTooLarge, len(arr), lim.MaxSignatures)
		}
		for i, el := range arr {
			m, ok := el.(map[string]any)
			if !ok {
				return nil, nil, nil, fmt.Errorf("%w: signature %d is not an object", ErrMalformed, i+1)
			}
			sigObjs = append(sigObjs, m)
		}
	} else {
		sigObjs = []map[string]any{top}
	}

	t := &SDJWT{}
	sigs := make([]jsonSig, 0, len(sigObjs))
	var kb *jose.JWS
	for i, obj := range sigObjs {
		protected, ok1 := obj["protected"].(string)
		signature, ok2 := obj["signature"].(string)
		if !ok1 || !ok2 {
			return nil, nil, nil, fmt.Errorf("%w: signature %d needs string protected and signature members", ErrMalformed, i+1)
		}
		var unprotected map[string]any
		if h, present := obj["header"]; present {
			if unprotected, ok = h.(map[string]any); !ok {
				return nil, nil, nil, fmt.Errorf("%w: signature %d header is not an object", ErrMalformed, i+1)
			}
		}
		compact := protected + "." + payload + "." + signature
		jws, err := jose.Parse(compact)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: issuer JWS signature %d: %w", joseToSentinel(err), i+1, err)
		}
		if i == 0 {
			t.IssuerJWT, t.Header = compact, jws.Header
			if t.Payload, err = decodeObject(jws.Payload); err != nil {
				return nil, nil, nil, fmt.Errorf("%w: issuer JWT payload: %v", ErrMalformed, err)
			}
			if kb, err = t.takeSDHeaders(unprotected, lim); err != nil {
				return nil, nil, nil, err
			}
		} else {
			for _, name := range []string{headerDisclosures, headerKBJWT} {
				if _, present := unprotected[name]; present {
					return nil, nil, nil, fmt.Errorf("%w: %s in the header of signature %d, allowed only in the first (§8.3)", ErrMalformed, name, i+1)
				}
			}
		}
		rest := withoutSDHeaders(unprotected)
		keyHeader, err := joinHeaders(jws.Header, rest)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: signature %d: %v", ErrMalformed, i+1, err)
		}
		if i == 0 {
			t.Unprotected = rest
		} else {
			t.MoreSignatures = append(t.MoreSignatures, JSONSignature{Protected: protected, Header: rest, Signature: signature})
		}
		sigs = append(sigs, jsonSig{jws: jws, keyHeader: keyHeader})
	}
	t.rehash()
	return t, sigs, kb, nil
}

// takeSDHeaders reads disclosures and kb_jwt from the first unprotected
// header into t, with the same checks as the compact form.
func (t *SDJWT) takeSDHeaders(unprotected map[string]any, lim Limits) (*jose.JWS, error) {
	if raw, present := unprotected[headerDisclosures]; present {
		arr, ok := raw.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: disclosures is not an array", ErrMalformed)
		}
		if len(arr) > lim.MaxDisclosures {
			return nil, fmt.Errorf("%w: %d disclosures, limit %d", ErrTooLarge, len(arr), lim.MaxDisclosures)
		}
		t.Disclosures = make([]*Disclosure, 0, len(arr))
		for i, el := range arr {
			enc, ok := el.(string)
			if !ok {
				return nil, fmt.Errorf("%w: disclosure %d is not a string", ErrMalformed, i+1)
			}
			d, err := decodeDisclosure(enc, lim)
			if err != nil {
				return nil, fmt.Errorf("disclosure %d: %w", i+1, err)
			}
			t.Disclosures = append(t.Disclosures, d)
		}
	}
	raw, present := unprotected[headerKBJWT]
	if !present {
		return nil, nil
	}
	kbJWT, ok := raw.(string)
	if !ok || kbJWT == "" {
		return nil, fmt.Errorf("%w: kb_jwt is not a non-empty string", ErrMalformed)
	}
	kb, err := jose.Parse(kbJWT)
	if err != nil {
		return nil, fmt.Errorf("%w: key binding JWT: %w", joseToSentinel(err), err)
	}
	t.KBJWT = kbJWT
	return kb, nil
}

// withoutSDHeaders returns the unprotected header without disclosures and
// kb_jwt, or nil when nothing else is left.
func withoutSDHeaders(h map[string]any) map[string]any {
	var out map[string]any
	for k, v := range h {
		if k == headerDisclosures || k == headerKBJWT {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(h))
		}
		out[k] = v
	}
	return out
}

// joinHeaders is the JOSE Header of RFC 7515 §7.2.1: the union of the
// protected and unprotected parameters, whose names must be disjoint.
func joinHeaders(protected jose.Header, unprotected map[string]any) (jose.Header, error) {
	if len(unprotected) == 0 {
		return protected, nil
	}
	h := protected
	h.Params = make(map[string]any, len(protected.Params)+len(unprotected))
	for k, v := range protected.Params {
		h.Params[k] = v
	}
	for k, v := range unprotected {
		if _, dup := protected.Params[k]; dup {
			return jose.Header{}, fmt.Errorf("header parameter %q is both protected and unprotected", k)
		}
		switch k {
		case "alg", "crit":
			// alg must be signed for the compact equivalent to be a JWT;
			// crit must be integrity protected (RFC 7515 §4.1.11).
			return jose.Header{}, fmt.Errorf("header parameter %q must be protected", k)
		case "kid":
			kid, ok := v.(string)
			if !ok {
				return jose.Header{}, errors.New("kid is not a string")
			}
			h.Kid = kid
		}
		// An unprotected typ stays in Params only: IssuerTyp is checked
		// against the protected typ, which cannot be swapped.
		h.Params[k] = v
	}
	return h, nil
}

// VerifyJSON runs the verification of Verify (RFC 9901 §7.1, §7.3) on the
// JWS JSON serialization (§8.4). The sd_hash of a KB-JWT must cover the
// compact equivalent of §8.1: the first signature's
// protected.payload.signature, then "~" and each disclosure followed by
// "~".
//
// Signature policy for the general serialization: the signatures are tried
// in order, and the first one that passes every check of §7.1 step 2 — typ,
// a key from opts.IssuerKey (called with that signature's protected header
// joined with its unprotected one, so kid may come from either), the
// algorithm allow-list and the signature itself — is accepted. A signature
// whose kid or alg does not fit, or that another key made, is skipped and
// never accepted; at least one signature by the issuer key must verify. If
// none does, the error of the first signature is returned. Verified.Header
// is the protected header of the accepted signature: unprotected
// parameters are not integrity protected, so they are not reported as
// verified.
func VerifyJSON(b []byte, opts VerifyOptions) (*Verified, error) {
	if err := checkVerifyOptions(opts); err != nil {
		return nil, err
	}
	lim := opts.Limits.withDefaults()
	t, sigs, kbJWS, err := parseJSON(b, lim)
	if err != nil {
		return nil, err
	}
	if err := keyBindingPolicy(t, opts); err != nil {
		return nil, err
	}
	var first error
	var accepted *jose.JWS
	for _, s := range sigs {
		_, err := verifyIssuerSignature(s.jws, s.keyHeader, t.Payload, opts, false)
		if err == nil {
			accepted = s.jws
			break
		}
		if first == nil {
			first = err
		}
	}
	if accepted == nil {
		if len(sigs) > 1 {
			return nil, fmt.Errorf("none of %d signatures verifies with the issuer key; the first: %w", len(sigs), first)
		}
		return nil, first
	}
	return verifyDisclosed(t, accepted.Header, kbJWS, t.compactWithoutKB(), sdHashPrefix{}, opts, lim)
}

// compactWithoutKB is "<JWT>~D1~…~Dn~", the input of sd_hash (§4.3.1, §8.1).
func (t *SDJWT) compactWithoutKB() string {
	c := *t
	c.KBJWT = ""
	return c.String()
}

// MarshalJSONSerialization returns t in the JWS JSON serialization of
// RFC 9901 §8: flattened (§8.2) unless general is set (§8.3). disclosures
// and kb_jwt go into the unprotected header of the (first) signature,
// alongside t.Unprotected; disclosures is omitted when there are none.
// MoreSignatures need the general form: asking for flattened with more
// than one signature is an error rather than a silent loss.
func (t *SDJWT) MarshalJSONSerialization(general bool) ([]byte, error) {
	parts := strings.Split(t.IssuerJWT, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: issuer JWT is not a compact JWS", ErrMalformed)
	}
	if !general && len(t.MoreSignatures) > 0 {
		return nil, fmt.Errorf("%w: %d signatures need the general JSON serialization", ErrMalformed, 1+len(t.MoreSignatures))
	}
	header := make(map[string]any, len(t.Unprotected)+2)
	for k, v := range t.Unprotected {
		if k == headerDisclosures || k == headerKBJWT {
			return nil, fmt.Errorf("%w: Unprotected may not hold %s", ErrMalformed, k)
		}
		header[k] = v
	}
	if len(t.Disclosures) > 0 {
		encs := make([]string, len(t.Disclosures))
		for i, d := range t.Disclosures {
			encs[i] = d.Encoded
		}
		header[headerDisclosures] = encs
	}
	if t.KBJWT != "" {
		header[headerKBJWT] = t.KBJWT
	}
	first := map[string]any{"protected": parts[0], "signature": parts[2]}
	if len(header) > 0 {
		first["header"] = header
	}
	if !general {
		first["payload"] = parts[1]
		return marshalJSON(first)
	}
	sigs := make([]any, 0, 1+len(t.MoreSignatures))
	sigs = append(sigs, first)
	for i, s := range t.MoreSignatures {
		if _, bad := s.Header[headerDisclosures]; bad {
			return nil, fmt.Errorf("%w: signature %d header holds disclosures", ErrMalformed, i+2)
		}
		if _, bad := s.Header[headerKBJWT]; bad {
			return nil, fmt.Errorf("%w: signature %d header holds kb_jwt", ErrMalformed, i+2)
		}
		m := map[string]any{"protected": s.Protected, "signature": s.Signature}
		if len(s.Header) > 0 {
			m["header"] = s.Header
		}
		sigs = append(sigs, m)
	}
	return marshalJSON(map[string]any{"payload": parts[1], "signatures": sigs})
}

// AddSignature returns a copy of t with one more issuer signature over the
// same payload, for the general JSON serialization (§8.3): signer signs
// the protected header parameters in protected (alg and, if set, the
// signer's kid are added), and unprotected becomes that signature's
// unprotected header (typically kid). The existing signatures, disclosures
// and KB-JWT are unchanged: the sd_hash covers only the first signature.
func (t *SDJWT) AddSignature(signer *jose.Signer, protected, unprotected map[string]any) (*SDJWT, error) {
	if signer == nil {
		return nil, errors.New("sdjwt: AddSignature needs a signer")
	}
	if _, bad := unprotected[headerDisclosures]; bad {
		return nil, fmt.Errorf("%w: disclosures belong to the first signature only", ErrMalformed)
	}
	if _, bad := unprotected[headerKBJWT]; bad {
		return nil, fmt.Errorf("%w: kb_jwt belongs to the first signature only", ErrMalformed)
	}
	first, err := jose.Parse(t.IssuerJWT)
	if err != nil {
		return nil, fmt.Errorf("%w: issuer JWT: %w", joseToSentinel(err), err)
	}
	jwt, err := signer.Sign(protected, first.Payload)
	if err != nil {
		return nil, fmt.Errorf("sdjwt: sign: %w", err)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || parts[1] != strings.Split(t.IssuerJWT, ".")[1] {
		return nil, errors.New("sdjwt: the new signature's payload encoding differs")
	}
	jws, err := jose.Parse(jwt)
	if err != nil {
		return nil, fmt.Errorf("sdjwt: signed JWS does not parse: %w", err)
	}
	if _, err := joinHeaders(jws.Header, unprotected); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	out := *t
	out.MoreSignatures = append(append([]JSONSignature(nil), t.MoreSignatures...),
		JSONSignature{Protected: parts[0], Header: unprotected, Signature: parts[2]})
	return &out, nil
}
