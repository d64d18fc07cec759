package trust

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jsonx"
)

// SnapshotType is the typ header of a registry snapshot JWS.
const SnapshotType = "cairn-registry+jwt"

// MaxSnapshotLen bounds a compact snapshot (4 MiB), above jose.MaxCompactLen
// because a registry of a few hundred entities outgrows 64 KiB.
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

// Snapshot payload formats. Format 1 (no "fmt" member) is every snapshot
// written before X.509 anchors existed; format 2 adds Entity.X509Anchors
// and Entity.List and is written only when some entity carries them, so a
// registry of DID entities alone still writes format 1, byte for byte as
// before. A reader refuses a format newer than it knows: an older reader
// would otherwise drop the anchors without noticing.
const (
	SnapshotFormatDID     = 1
	SnapshotFormatAnchors = 2
)

type registryJSON struct {
	Format    int      `json:"fmt,omitempty"`
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
	if r.hasAnchors() {
		j.Format = SnapshotFormatAnchors
	}
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
	if j.Format < 0 || j.Format > SnapshotFormatAnchors {
		return fmt.Errorf("trust: registry format %d is newer than this reader (%d)", j.Format, SnapshotFormatAnchors)
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
		return &ExpiredError{IssuedAt: r.IssuedAt, Expires: r.Expires, Now: now}
	}
	return nil
}

// verifySnapshotSignature does everything but the time checks.
func verifySnapshotSignature(compact string, pinned []*jose.JWK) (*Registry, error) {
	s, err := jose.ParseLimited(compact, MaxSnapshotLen)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSnapshotMalformed, err)
	}
	if !strings.EqualFold(s.Header.Typ, SnapshotType) {
		return nil, fmt.Errorf("%w: typ %q, want %q", ErrSnapshotMalformed, s.Header.Typ, SnapshotType)
	}
	if !allowedAlg(s.Header.Alg) {
		return nil, fmt.Errorf("%w: algorithm %q not allowed", ErrSnapshotSignature, s.Header.Alg)
	}
	if s.Header.Kid == "" {
		return nil, fmt.Errorf("%w: header needs a kid naming the authority", ErrSnapshotMalformed)
	}
	verified := false
	for _, k := range pinned {
		// A pin that names its authority (kid, as written by "cairn
		// registry init") only vouches for that authority.
		if k == nil || (k.Kid != "" && didOf(k.Kid) != didOf(s.Header.Kid)) {
			continue
		}
		pub, err := k.PublicKey()
		if err != nil {
			continue
		}
		if s.Verify(pub, nil) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, ErrSnapshotSignature
	}
	var r Registry
	dec := json.NewDecoder(bytes.NewReader(s.Payload))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrSnapshotMalformed, err)
	}
	if !jsonx.AtEOF(dec) {
		return nil, fmt.Errorf("%w: trailing data after payload", ErrSnapshotMalformed)
	}
	if r.Version == 0 || r.IssuedAt.IsZero() || r.Expires.IsZero() {
		return nil, fmt.Errorf("%w: needs version, iat and exp", ErrSnapshotMalformed)
	}
	if didOf(s.Header.Kid) != r.Authority {
		return nil, fmt.Errorf("%w: kid %q does not name the authority %q", ErrSnapshotMalformed, s.Header.Kid, r.Authority)
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
