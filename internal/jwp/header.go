package jwp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cairn-id/cairn/internal/jsonx"
)

// AlgBBS is the JPA algorithm "BBS" (JPA §6.2.1): BBS with the ciphersuite
// BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_.
const AlgBBS = "BBS"

// Header is a decoded JWP header (JWP §4–5, JPT §5–6). Raw keeps the octets
// as received: they, not a re-encoding, are what the proof covers.
type Header struct {
	Alg    string
	Kid    string
	Typ    string
	Iss    string
	Cid    string   // JPT Claims ID
	Claims []string // JPT claim names, when carried in the header
	Aud    []string // a single string is returned as a one-element slice
	Nonce  string
	// Extra holds the members this package does not interpret (ignored as
	// JWP §5 requires for names not listed in crit).
	Extra map[string]any
	Raw   []byte
}

// registered names whose value this package reads; "crit", "iek", "hpk"
// and "hpa" are refused when present.
var refused = []string{"iek", "hpk", "hpa"}

// ParseHeader decodes header octets strictly: a JSON object, no duplicate
// member names, registered members of the right type, no "crit", and none
// of the holder-binding members (iek, hpk, hpa) that BBS does not use.
func ParseHeader(raw []byte) (*Header, error) {
	if len(raw) > MaxHeaderLen {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(raw), MaxHeaderLen)
	}
	v, err := jsonx.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHeader, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: not a JSON object", ErrHeader)
	}
	h := &Header{Raw: raw}
	for name, val := range m {
		var err error
		switch name {
		case "alg":
			err = str(val, &h.Alg)
		case "kid":
			err = str(val, &h.Kid)
		case "typ":
			err = str(val, &h.Typ)
		case "iss":
			err = str(val, &h.Iss)
		case "cid":
			err = str(val, &h.Cid)
		case "nonce":
			err = str(val, &h.Nonce)
		case "claims":
			h.Claims, err = strs(val, false)
		case "aud":
			if s, ok := val.(string); ok {
				h.Aud = []string{s}
			} else {
				h.Aud, err = strs(val, false)
			}
		case "crit":
			return nil, critError(m, val)
		default:
			if slices.Contains(refused, name) {
				return nil, fmt.Errorf("%w: %q (holder binding) is not supported with BBS", ErrHeader, name)
			}
			if h.Extra == nil {
				h.Extra = map[string]any{}
			}
			h.Extra[name] = val
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrHeader, name, err)
		}
	}
	return h, nil
}

// critError explains why a crit member is refused (JWP §5.1.4): malformed
// lists and lists naming absent or registered members are errors anyway;
// a well-formed list names extensions Cairn does not understand.
func critError(m map[string]any, val any) error {
	names, err := strs(val, true)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCrit, err)
	}
	for _, n := range names {
		if _, ok := m[n]; !ok {
			return fmt.Errorf("%w: %q is listed but absent", ErrCrit, n)
		}
	}
	return fmt.Errorf("%w: %q not understood", ErrCrit, names)
}

func str(v any, dst *string) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("must be a string")
	}
	*dst = s
	return nil
}

// strs reads an array of strings; nonEmpty refuses [] and duplicates.
func strs(v any, nonEmpty bool) ([]string, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("must be an array of strings")
	}
	if nonEmpty && len(a) == 0 {
		return nil, fmt.Errorf("must not be empty")
	}
	out := make([]string, 0, len(a))
	for _, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("must be an array of strings")
		}
		if nonEmpty && slices.Contains(out, s) {
			return nil, fmt.Errorf("repeats %q", s)
		}
		out = append(out, s)
	}
	return out, nil
}

// IssuerHeader is what Cairn puts in an Issuer Header. Marshal writes the
// members in a fixed order, so one issuer key, claim list and type give
// byte-identical headers (JWP §6.1.1 recommends it against correlation).
type IssuerHeader struct {
	Kid string
	Typ string
	Cid string
}

// Marshal returns {"alg":"BBS","kid":…,"typ":…,"cid":…} with empty members
// left out.
func (h IssuerHeader) Marshal() []byte {
	return marshalMembers("alg", AlgBBS, "kid", h.Kid, "typ", h.Typ, "cid", h.Cid)
}

// PresentationHeader is what a holder puts in a Presentation Header: the
// verifier's audience and nonce (JWP §6.2.1 requires at least one member
// identifying the presentation). JWP defines no "iat" header parameter, so
// none is written.
type PresentationHeader struct {
	Aud   string
	Nonce string
}

// Marshal returns {"alg":"BBS","aud":…,"nonce":…}, the member order of the
// JPA Appendix A.3 example.
func (h PresentationHeader) Marshal() []byte {
	return marshalMembers("alg", AlgBBS, "aud", h.Aud, "nonce", h.Nonce)
}

// marshalMembers writes a JSON object of string members, in order, skipping
// empty values.
func marshalMembers(kv ...string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.Write(jsonString(kv[i]))
		b.WriteByte(':')
		b.Write(jsonString(kv[i+1]))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// jsonString encodes s as a JSON string without HTML escaping.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
