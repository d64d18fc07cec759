package trust

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// SnapshotType is the typ header of a registry snapshot JWS.
const SnapshotType = "cairn-registry+jwt"

// MaxSnapshotLen bounds a compact snapshot (4 MiB). It is larger than
// jose.MaxCompactLen, so snapshots are parsed here (see parseSnapshotJWS).
const MaxSnapshotLen = 4 << 20

// clockSkew is how far in the future a snapshot's iat may lie.
const clockSkew = 5 * time.Minute

// Snapshot errors. Every failure of VerifySnapshot wraps exactly one.
var (
	ErrSnapshotSignature = errors.New("trust: snapshot signature is not from a pinned registry key")
	ErrSnapshotExpired   = errors.New("trust: snapshot expired")
	ErrSnapshotRollback  = errors.New("trust: snapshot older than the one already held")
	ErrSnapshotMalformed = errors.New("trust: malformed snapshot")
)

type registryJSON struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Authority string   `json:"authority"`
	Version   uint64   `json:"version"`
	IssuedAt  int64    `json:"iat"`
	Expires   int64    `json:"exp"`
	Entities  []Entity `json:"entities"`
}

// MarshalJSON writes the registry with iat and exp as NumericDates.
func (r Registry) MarshalJSON() ([]byte, error) {
	ents := r.Entities
	if ents == nil {
		ents = []Entity{}
	}
	j := registryJSON{ID: r.ID, Name: r.Name, Authority: r.Authority, Version: r.Version, Entities: ents}
	if !r.IssuedAt.IsZero() {
		j.IssuedAt = r.IssuedAt.Unix()
	}
	if !r.Expires.IsZero() {
		j.Expires = r.Expires.Unix()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Registry) UnmarshalJSON(b []byte) error {
	var j registryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Registry{ID: j.ID, Name: j.Name, Authority: j.Authority, Version: j.Version, Entities: j.Entities}
	if j.IssuedAt != 0 {
		r.IssuedAt = time.Unix(j.IssuedAt, 0).UTC()
	}
	if j.Expires != 0 {
		r.Expires = time.Unix(j.Expires, 0).UTC()
	}
	return nil
}

// didOf returns the DID part of a DID URL.
func didOf(didURL string) string {
	d, _, _ := strings.Cut(didURL, "#")
	return d
}

// SignSnapshot signs r as a snapshot. signer must carry a kid that is a
// DID URL of r.Authority. r must be valid and carry a version, iat and exp.
func SignSnapshot(r *Registry, signer *jose.Signer) (string, error) {
	if signer == nil || signer.KeyID() == "" || didOf(signer.KeyID()) != r.Authority {
		return "", fmt.Errorf("%w: signer kid must be a DID URL of the authority %s", ErrSnapshotMalformed, r.Authority)
	}
	if r.Version == 0 || r.IssuedAt.IsZero() || !r.Expires.After(r.IssuedAt) {
		return "", fmt.Errorf("%w: needs version, iat and exp after iat", ErrSnapshotMalformed)
	}
	if err := r.Validate(); err != nil {
		return "", err
	}
	payload, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("trust: encode snapshot: %w", err)
	}
	compact, err := signer.Sign(map[string]any{"typ": SnapshotType}, payload)
	if err != nil {
		return "", err
	}
	if len(compact) > MaxSnapshotLen {
		return "", fmt.Errorf("%w: %d bytes, limit %d", ErrSnapshotMalformed, len(compact), MaxSnapshotLen)
	}
	return compact, nil
}

// snapshotJWS is a parsed, unverified snapshot.
type snapshotJWS struct {
	alg          jose.Alg
	typ, kid     string
	payload      []byte
	signingInput []byte
	sig          []byte
}

// parseSnapshotJWS parses a compact JWS up to MaxSnapshotLen with the same
// strictness as jose.Parse (canonical base64url, object header with string
// alg/typ/kid, no crit). jose.Parse itself stops at 64 KiB, too small for a
// registry of a few hundred entities.
func parseSnapshotJWS(compact string) (*snapshotJWS, error) {
	if len(compact) > MaxSnapshotLen {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrSnapshotMalformed, MaxSnapshotLen)
	}
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: expected three dot-separated parts", ErrSnapshotMalformed)
	}
	hb, err := jose.DecodeSegment(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrSnapshotMalformed, err)
	}
	payload, err := jose.DecodeSegment(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrSnapshotMalformed, err)
	}
	sig, err := jose.DecodeSegment(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrSnapshotMalformed, err)
	}
	var h struct {
		Alg  *string         `json:"alg"`
		Typ  *string         `json:"typ"`
		Kid  *string         `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(hb, &h); err != nil || !bytes.HasPrefix(bytes.TrimSpace(hb), []byte("{")) {
		return nil, fmt.Errorf("%w: header is not a JSON object with string alg, typ, kid", ErrSnapshotMalformed)
	}
	if h.Crit != nil {
		return nil, fmt.Errorf("%w: crit header not supported", ErrSnapshotMalformed)
	}
	if h.Alg == nil || h.Typ == nil || h.Kid == nil {
		return nil, fmt.Errorf("%w: header needs alg, typ and kid", ErrSnapshotMalformed)
	}
	return &snapshotJWS{
		alg: jose.Alg(*h.Alg), typ: *h.Typ, kid: *h.Kid,
		payload: payload, signingInput: []byte(compact[:len(parts[0])+1+len(parts[1])]), sig: sig,
	}, nil
}

// verifyWith checks the signature with pub under the jose allow-list; the
// header alg must be the algorithm of pub's key type.
func (s *snapshotJWS) verifyWith(pub crypto.PublicKey) bool {
	keyAlg, err := jose.AlgForPublicKey(pub)
	if err != nil || keyAlg != s.alg {
		return false
	}
	switch s.alg {
	case jose.EdDSA:
		k, ok := pub.(ed25519.PublicKey)
		return ok && ed25519.Verify(k, s.signingInput, s.sig)
	case jose.ES256, jose.ES384:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return false
		}
		var digest []byte
		size := 32
		if s.alg == jose.ES384 {
			d := sha512.Sum384(s.signingInput)
			digest, size = d[:], 48
		} else {
			d := sha256.Sum256(s.signingInput)
			digest = d[:]
		}
		if len(s.sig) != 2*size {
			return false
		}
		r := new(big.Int).SetBytes(s.sig[:size])
		ss := new(big.Int).SetBytes(s.sig[size:])
		return ecdsa.Verify(k, digest, r, ss)
	}
	return false
}

// VerifySnapshot checks a compact snapshot: its typ, its signature by one
// of the pinned registry keys (several authorities may be trusted; a pin
// with a kid only counts for the authority that kid names), that
// the kid names the authority the payload claims, that the registry is
// valid, and that it has not expired at now. It does not know which
// version was seen before: Client does the rollback check.
func VerifySnapshot(compact string, pinned []*jose.JWK, now time.Time) (*Registry, error) {
	r, err := verifySnapshotSignature(compact, pinned)
	if err != nil {
		return nil, err
	}
	if err := checkSnapshotTimes(r, now); err != nil {
		return nil, err
	}
	return r, nil
}

func checkSnapshotTimes(r *Registry, now time.Time) error {
	if r.IssuedAt.After(now.Add(clockSkew)) {
		return fmt.Errorf("%w: issued in the future (%s)", ErrSnapshotMalformed, r.IssuedAt.Format(time.RFC3339))
	}
	if !now.Before(r.Expires) {
		return fmt.Errorf("%w: at %s", ErrSnapshotExpired, r.Expires.Format(time.RFC3339))
	}
	return nil
}

// verifySnapshotSignature does everything but the time checks.
func verifySnapshotSignature(compact string, pinned []*jose.JWK) (*Registry, error) {
	s, err := parseSnapshotJWS(compact)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(s.typ, SnapshotType) {
		return nil, fmt.Errorf("%w: typ %q, want %q", ErrSnapshotMalformed, s.typ, SnapshotType)
	}
	if !allowedAlg(s.alg) {
		return nil, fmt.Errorf("%w: algorithm %q not allowed", ErrSnapshotSignature, s.alg)
	}
	verified := false
	for _, k := range pinned {
		// A pin that names its authority (kid, as written by "cairn
		// registry init") only vouches for that authority.
		if k == nil || (k.Kid != "" && didOf(k.Kid) != didOf(s.kid)) {
			continue
		}
		pub, err := k.PublicKey()
		if err != nil {
			continue
		}
		if s.verifyWith(pub) {
			verified = true
			break
		}
	}
	if !verified {
		return nil, ErrSnapshotSignature
	}
	var r Registry
	dec := json.NewDecoder(bytes.NewReader(s.payload))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrSnapshotMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after payload", ErrSnapshotMalformed)
	}
	if r.Version == 0 || r.IssuedAt.IsZero() || r.Expires.IsZero() {
		return nil, fmt.Errorf("%w: needs version, iat and exp", ErrSnapshotMalformed)
	}
	if didOf(s.kid) != r.Authority {
		return nil, fmt.Errorf("%w: kid %q does not name the authority %q", ErrSnapshotMalformed, s.kid, r.Authority)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSnapshotMalformed, err)
	}
	return &r, nil
}

func allowedAlg(a jose.Alg) bool {
	for _, x := range jose.DefaultAlgs {
		if x == a {
			return true
		}
	}
	return false
}
