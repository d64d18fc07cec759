package jwp

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jsonx"
)

// MaxClaimNameLen bounds a claim name in a ClaimSet.
const MaxClaimNameLen = 256

// ClaimSet is a JSON Proof Token claim-name list (JPT §5): payload slot i
// holds the value of claim Names[i]. It is shared by every token of one
// issuer and type and referenced from the Issuer Header by its ID, the
// "cid" (JPT §6), instead of travelling in each token: the header then
// leaks nothing about which claims one holder has.
type ClaimSet struct {
	ID    string
	Names []string
	index map[string]int
}

// ClaimSetID derives a cid from the names: the base64url SHA-256 of their
// JSON array. A verifier that knows the names can so check a cid.
func ClaimSetID(names []string) string {
	b, _ := json.Marshal(names) // strings always marshal
	sum := sha256.Sum256(b)
	return jose.B64.EncodeToString(sum[:])
}

// NewClaimSet checks names (non-empty, unique, at most MaxPayloads) and
// returns the set; an empty id means ClaimSetID(names).
func NewClaimSet(id string, names []string) (*ClaimSet, error) {
	if len(names) == 0 || len(names) > MaxPayloads {
		return nil, fmt.Errorf("%w: %d claim names, want 1..%d", ErrClaims, len(names), MaxPayloads)
	}
	cs := &ClaimSet{ID: id, Names: append([]string(nil), names...), index: make(map[string]int, len(names))}
	for i, n := range names {
		if n == "" || len(n) > MaxClaimNameLen {
			return nil, fmt.Errorf("%w: claim name %d is empty or too long", ErrClaims, i)
		}
		if _, dup := cs.index[n]; dup {
			return nil, fmt.Errorf("%w: claim %q listed twice", ErrClaims, n)
		}
		cs.index[n] = i
	}
	if cs.ID == "" {
		cs.ID = ClaimSetID(names)
	}
	return cs, nil
}

// Slot returns the payload slot of a claim.
func (cs *ClaimSet) Slot(name string) (int, bool) {
	i, ok := cs.index[name]
	return i, ok
}

// IssuerHeader returns the Issuer Header octets for tokens of this set
// under key, with type typ: the same octets for every such token.
func (cs *ClaimSet) IssuerHeader(key *PublicKey, typ string) []byte {
	return IssuerHeader{Kid: key.Kid, Typ: typ, Cid: cs.ID}.Marshal()
}

// EncodeClaim is the JPT payload of a claim value (JPT §5): its JSON, UTF-8,
// without HTML escaping; map members come out sorted.
func EncodeClaim(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrClaims, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// DecodeClaim decodes a JPT payload strictly (internal/jsonx: one JSON
// value, no duplicate members, valid UTF-8). Numbers are json.Number.
func DecodeClaim(p []byte) (any, error) {
	v, err := jsonx.Decode(p)
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not a JSON value: %v", ErrClaims, err)
	}
	return v, nil
}

// nullClaim is the payload of a claim the token does not have: every token
// of a set has every slot, so the slot count tells nothing.
var nullClaim = []byte("null")

// IssueToken issues a JPT: the payloads are the claims in the set's order
// (a claim absent from claims, or nil, becomes JSON null), the Issuer Header
// is cs.IssuerHeader(key, typ). A claim not in the set is an error.
func IssueToken(key *PrivateKey, cs *ClaimSet, typ string, claims map[string]any) (*Issued, error) {
	for name := range claims {
		if _, ok := cs.index[name]; !ok {
			return nil, fmt.Errorf("%w: claim %q is not in claim set %s", ErrClaims, name, cs.ID)
		}
	}
	pls := make([][]byte, len(cs.Names))
	for i, name := range cs.Names {
		v, ok := claims[name]
		if !ok || v == nil {
			pls[i] = nullClaim
			continue
		}
		p, err := EncodeClaim(v)
		if err != nil {
			return nil, fmt.Errorf("claim %q: %w", name, err)
		}
		pls[i] = p
	}
	return Issue(key, cs.IssuerHeader(&key.Public, typ), pls)
}

// checkTokenHeader checks that a token's header references cs and that the
// slot count is the set's.
func checkTokenHeader(h *Header, cs *ClaimSet, slots int) error {
	if h.Cid != cs.ID {
		return fmt.Errorf("%w: cid %q, expected %q", ErrClaims, h.Cid, cs.ID)
	}
	if h.Claims != nil {
		return fmt.Errorf("%w: claim names in the header (use cid)", ErrClaims)
	}
	if slots != len(cs.Names) {
		return fmt.Errorf("%w: %d payload slots for %d claim names", ErrClaims, slots, len(cs.Names))
	}
	return nil
}

// Token is an issued JPT as its holder sees it after ConfirmToken.
type Token struct {
	Header *Header
	// Claims holds every claim with a non-null value.
	Claims map[string]any
}

// ConfirmToken confirms an issued JPT (Confirm) and decodes every claim.
func ConfirmToken(pub *PublicKey, cs *ClaimSet, j *Issued) (*Token, error) {
	h, err := Confirm(pub, j)
	if err != nil {
		return nil, err
	}
	if err := checkTokenHeader(h, cs, len(j.Payloads)); err != nil {
		return nil, err
	}
	claims, err := decodeClaims(cs, j.Payloads)
	if err != nil {
		return nil, err
	}
	return &Token{Header: h, Claims: claims}, nil
}

func decodeClaims(cs *ClaimSet, pls [][]byte) (map[string]any, error) {
	claims := map[string]any{}
	for i, p := range pls {
		if p == nil {
			continue
		}
		v, err := DecodeClaim(p)
		if err != nil {
			return nil, fmt.Errorf("claim %q: %w", cs.Names[i], err)
		}
		if v != nil {
			claims[cs.Names[i]] = v
		}
	}
	return claims, nil
}

// PresentToken presents a JPT disclosing the named claims, with a
// Presentation Header {alg, aud, nonce}.
func PresentToken(rnd io.Reader, pub *PublicKey, cs *ClaimSet, j *Issued, ph PresentationHeader, disclose []string) (*Presented, error) {
	h, err := ParseHeader(j.Header)
	if err != nil {
		return nil, err
	}
	if err := checkTokenHeader(h, cs, len(j.Payloads)); err != nil {
		return nil, err
	}
	idx := make([]int, 0, len(disclose))
	for _, name := range disclose {
		i, ok := cs.index[name]
		if !ok {
			return nil, fmt.Errorf("%w: claim %q is not in claim set %s", ErrClaims, name, cs.ID)
		}
		idx = append(idx, i)
	}
	return Present(rnd, pub, j, ph.Marshal(), idx)
}

// PresentedToken is a verified JPT presentation. It exposes the disclosed
// claims only.
type PresentedToken struct {
	IssuerHeader       *Header
	PresentationHeader *Header
	// Claims holds the disclosed claims with a non-null value.
	Claims map[string]any
	// Disclosed names every disclosed claim, in slot order (a disclosed
	// null is listed here but not in Claims).
	Disclosed []string
}

// VerifyToken verifies a presented JPT (Verify), checks that it references
// cs and has its slot count, and decodes the disclosed claims.
func VerifyToken(pub *PublicKey, cs *ClaimSet, p *Presented, o VerifyOptions) (*PresentedToken, error) {
	v, err := Verify(pub, p, o)
	if err != nil {
		return nil, err
	}
	if err := checkTokenHeader(v.IssuerHeader, cs, len(p.Payloads)); err != nil {
		return nil, err
	}
	claims, err := decodeClaims(cs, p.Payloads)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(v.Disclosed))
	for n, i := range v.Disclosed {
		names[n] = cs.Names[i]
	}
	return &PresentedToken{IssuerHeader: v.IssuerHeader, PresentationHeader: v.PresentationHeader, Claims: claims, Disclosed: names}, nil
}
