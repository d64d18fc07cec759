// Package trust owns the verifier-side view of a Cairn trust registry
// (DESIGN.md §4): the registry model, the pure questions asked of a
// snapshot ("was issuer X authorized for vct Y at time T?", "may verifier Z
// ask for these claims?"), evidence caps (DESIGN.md §3), verification of
// signed snapshots, the sources a verifier's registry comes from (Source: a
// snapshot file, an offline bundle, or HTTP with an on-disk cache that
// refuses rollbacks and fails closed when it does not verify), a
// verifier's per-registry high-water marks (Marks: the newest version and
// digest accepted, so an older or equivocating snapshot is refused
// whichever way it arrives), and offline bundles of a snapshot plus Token Status
// List tokens (draft-ietf-oauth-status-list §5.1) for proximity checks
// (DESIGN.md §1 flow 3). It has no HTTP server code and no database: the
// authority's side lives in registry/.
package trust

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/claimpath"
)

// Role is what a registered entity does in the ecosystem; its JSON form is
// the plain string ("issuer", "verifier").
type Role string

// Roles an entity may hold.
const (
	RoleIssuer   Role = "issuer"
	RoleVerifier Role = "verifier"
)

// EntityStatus is a registered entity's standing; its JSON form is the
// plain string ("active", …). It is not a credential's status (those live
// in Token Status Lists, internal/statuslist).
type EntityStatus string

// Statuses an entity may be in.
const (
	StatusActive    EntityStatus = "active"
	StatusSuspended EntityStatus = "suspended"
	StatusRevoked   EntityStatus = "revoked"
)

// Bounds that keep a registry a reasonable document to hold in memory.
const (
	MaxEntities       = 10000
	MaxAuthorizations = 256
	MaxHistory        = 256
	MaxClaims         = 256
	MaxNames          = 32
	MaxStringLen      = 1024
)

// ErrInvalidRegistry reports a registry document that breaks the model's
// rules (unknown role, duplicate DID, oversize lists, …).
var ErrInvalidRegistry = errors.New("trust: invalid registry")

// StatusChange is one entry of an entity's status history. Compromised is
// only meaningful on a revocation: it says the entity's key must not be
// trusted for anything, whenever it was used.
type StatusChange struct {
	Status      EntityStatus `json:"status"`
	At          time.Time    `json:"at"`
	Reason      string       `json:"reason,omitempty"`
	Compromised bool         `json:"compromised,omitempty"`
}

// MaxAuthorizationIDLen bounds an authorization's ID.
const MaxAuthorizationIDLen = 64

// AuthorizationEnd records that the authority ended an authorization
// (withdrew it, or replaced it by an amendment): At is when the authority
// decided it, Reason why. The end takes effect at the authorization's
// Until, so readers that know only from/until see the same window.
type AuthorizationEnd struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// IssuerAuthorization lets an issuer issue one credential type (or, with
// a vct "<prefix>:*", every type under that prefix). The Max*
// fields cap the GPG 45-style scores the issuer may claim (1–4; 0 means the
// issuer may not claim that score at all). A zero Until is open-ended.
//
// ID names the authorization within its entity ("a1", "a2", …) so it can
// be amended or ended; Replaces names the authorization an amendment took
// over from; Ended is set once the authority ended it. Authorizations are
// never deleted once they took effect, so questions about the past keep
// their answers. ID, Replaces and Ended are optional (snapshots written
// before they existed have none) and additive: a reader that ignores them
// sees the same windows.
//
// When several authorizations for the same vct cover a time, the one that
// started most recently answers for that time (on equal starts, the one
// listed last): see IssuerAuthorized.
type IssuerAuthorization struct {
	ID              string            `json:"id,omitempty"`
	Replaces        string            `json:"replaces,omitempty"`
	Ended           *AuthorizationEnd `json:"ended,omitempty"`
	VCT             string            `json:"vct"`
	MaxStrength     int               `json:"max_strength"`
	MaxValidity     int               `json:"max_validity"`
	MaxVerification int               `json:"max_verification,omitempty"`
	Jurisdiction    string            `json:"jurisdiction,omitempty"`
	From            time.Time         `json:"from"`
	Until           time.Time         `json:"until,omitzero"`
}

// VerifierAuthorization lets a verifier request Claims for Purpose.
//
// Claims are JSON pointers (RFC 6901) into the credential's claims as the
// holder sees them after disclosure, e.g. "/family_name" or
// "/address/locality". A registered pointer covers itself and everything
// beneath it, so "/address" covers "/address/locality". Bare claim names
// ("family_name") are accepted on input and mean "/family_name"; see
// NormalizeClaim. ID, Replaces and Ended work as for IssuerAuthorization,
// and so does the rule for overlapping authorizations of one purpose.
type VerifierAuthorization struct {
	ID       string            `json:"id,omitempty"`
	Replaces string            `json:"replaces,omitempty"`
	Ended    *AuthorizationEnd `json:"ended,omitempty"`
	Purpose  string            `json:"purpose"`
	Claims   []string          `json:"claims"`
	From     time.Time         `json:"from"`
	Until    time.Time         `json:"until,omitzero"`
}

// Entity is one registered issuer or verifier. Status is the current
// status; StatusHistory records every change in time order so questions
// about the past can be answered. A zero ValidUntil is open-ended.
type Entity struct {
	DID                    string                  `json:"did"`
	Names                  map[string]string       `json:"names"`
	Role                   Role                    `json:"role"`
	Status                 EntityStatus            `json:"status"`
	StatusHistory          []StatusChange          `json:"status_history,omitempty"`
	ValidFrom              time.Time               `json:"valid_from"`
	ValidUntil             time.Time               `json:"valid_until,omitzero"`
	IssuerAuthorizations   []IssuerAuthorization   `json:"issuer_authorizations,omitempty"`
	VerifierAuthorizations []VerifierAuthorization `json:"verifier_authorizations,omitempty"`
	// X509Anchors are the entity's X.509 trust anchors, for entities
	// imported from ETSI trusted lists (anchors.go); List says which list.
	// Both are absent on DID entities, so snapshots without them read and
	// write as before.
	X509Anchors []X509Anchor `json:"x509_anchors,omitempty"`
	List        *EntityList  `json:"list,omitempty"`
	// Keys are an issuer's further keys (keys.go): its BBS issuer keys,
	// under the same status and authorizations as its DID's key.
	Keys []EntityKey `json:"keys,omitempty"`
}

// Registry is one version of a registry as published by its authority.
type Registry struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Authority string    `json:"authority"`
	Version   uint64    `json:"version"`
	IssuedAt  time.Time `json:"-"`
	Expires   time.Time `json:"-"`
	Entities  []Entity  `json:"entities"`
}

// Entity returns the entity registered under did, or nil.
func (r *Registry) Entity(did string) *Entity {
	if r == nil {
		return nil
	}
	for i := range r.Entities {
		if r.Entities[i].DID == did {
			return &r.Entities[i]
		}
	}
	return nil
}

// Name returns the entity's display name in lang. It falls back to the
// base language ("fr" for "fr-CA"), then English, then the name in the
// alphabetically first language, so a name is shown whenever one exists.
func (e *Entity) Name(lang string) string {
	if len(e.Names) == 0 {
		return ""
	}
	lang = strings.ToLower(lang)
	if n, ok := e.Names[lang]; ok {
		return n
	}
	if base, _, ok := strings.Cut(lang, "-"); ok {
		if n, ok := e.Names[base]; ok {
			return n
		}
	}
	if n, ok := e.Names["en"]; ok {
		return n
	}
	langs := make([]string, 0, len(e.Names))
	for l := range e.Names {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	return e.Names[langs[0]]
}

// Compromised reports whether any revocation in the history marks the
// entity's key as compromised.
func (e *Entity) Compromised() bool {
	for _, c := range e.StatusHistory {
		if c.Status == StatusRevoked && c.Compromised {
			return true
		}
	}
	return false
}

// StatusAt returns the entity's status at t according to its history, or
// "" when it was not yet registered at t. An entity without history is
// taken to have had its current status since ValidFrom.
func (e *Entity) StatusAt(t time.Time) EntityStatus {
	if len(e.StatusHistory) == 0 {
		if t.Before(e.ValidFrom) {
			return ""
		}
		return e.Status
	}
	var status EntityStatus
	for _, c := range e.StatusHistory {
		if c.At.After(t) {
			break
		}
		status = c.Status
	}
	return status
}

// within reports from <= t < until, with a zero until open-ended.
func within(t, from, until time.Time) bool {
	if t.Before(from) {
		return false
	}
	return until.IsZero() || t.Before(until)
}

// NormalizeClaim turns a claim name or JSON pointer into the canonical
// JSON pointer form. It rejects empty input, "/" alone and empty segments.
func NormalizeClaim(c string) (string, error) {
	if c == "" || len(c) > MaxStringLen {
		return "", fmt.Errorf("trust: claim %q: empty or too long", c)
	}
	if !strings.HasPrefix(c, "/") {
		c = "/" + claimpath.Escape(c)
	}
	segs, err := claimpath.Split(c)
	if err != nil {
		return "", fmt.Errorf("trust: claim %q: bad ~ escape", c)
	}
	if slices.Contains(segs, "") {
		return "", fmt.Errorf("trust: claim %q: empty path segment", c)
	}
	return c, nil
}

// claimCovered reports whether registered covers requested: equal, or
// requested lies beneath registered. Both are normalized pointers.
func claimCovered(registered, requested string) bool {
	return requested == registered || strings.HasPrefix(requested, registered+"/")
}

func validRole(r Role) bool { return r == RoleIssuer || r == RoleVerifier }

func validStatus(s EntityStatus) bool {
	return s == StatusActive || s == StatusSuspended || s == StatusRevoked
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRegistry, fmt.Sprintf(format, a...))
}

// Validate checks the registry against the model's rules and bounds. It
// is called on every snapshot a verifier accepts and on every change an
// authority makes.
func (r *Registry) Validate() error {
	if r.Authority == "" || !strings.HasPrefix(r.Authority, "did:") {
		return invalid("authority must be a DID")
	}
	if len(r.ID) > MaxStringLen || len(r.Name) > MaxStringLen || len(r.Authority) > 8*MaxStringLen {
		return invalid("id, name or authority too long")
	}
	if len(r.Entities) > MaxEntities {
		return invalid("more than %d entities", MaxEntities)
	}
	seen := make(map[string]bool, len(r.Entities))
	for i := range r.Entities {
		e := &r.Entities[i]
		if err := e.Validate(); err != nil {
			return err
		}
		if seen[e.DID] {
			return invalid("entity %s listed twice", e.DID)
		}
		seen[e.DID] = true
	}
	return r.validateKeyOwners()
}

// Validate checks one entity.
func (e *Entity) Validate() error {
	if !strings.HasPrefix(e.DID, "did:") || len(e.DID) > 8*MaxStringLen {
		return invalid("entity DID %q is not a DID", e.DID)
	}
	if !validRole(e.Role) {
		return invalid("entity %s: role %q", e.DID, e.Role)
	}
	if !validStatus(e.Status) {
		return invalid("entity %s: status %q", e.DID, e.Status)
	}
	if len(e.Names) > MaxNames {
		return invalid("entity %s: more than %d names", e.DID, MaxNames)
	}
	for l, n := range e.Names {
		if l == "" || len(l) > 35 || n == "" || len(n) > MaxStringLen {
			return invalid("entity %s: bad name for language %q", e.DID, l)
		}
	}
	if !e.ValidUntil.IsZero() && !e.ValidUntil.After(e.ValidFrom) {
		return invalid("entity %s: valid_until not after valid_from", e.DID)
	}
	if len(e.StatusHistory) > MaxHistory {
		return invalid("entity %s: more than %d status changes", e.DID, MaxHistory)
	}
	for i, c := range e.StatusHistory {
		if !validStatus(c.Status) || len(c.Reason) > MaxStringLen {
			return invalid("entity %s: status change %d", e.DID, i)
		}
		if c.Compromised && c.Status != StatusRevoked {
			return invalid("entity %s: only a revocation can be marked compromised", e.DID)
		}
		if i > 0 && c.At.Before(e.StatusHistory[i-1].At) {
			return invalid("entity %s: status history out of order", e.DID)
		}
	}
	if n := len(e.StatusHistory); n > 0 && e.StatusHistory[n-1].Status != e.Status {
		return invalid("entity %s: status disagrees with its history", e.DID)
	}
	if err := e.validateAnchors(); err != nil {
		return err
	}
	if err := e.validateKeys(); err != nil {
		return err
	}
	if len(e.IssuerAuthorizations)+len(e.VerifierAuthorizations) > MaxAuthorizations {
		return invalid("entity %s: more than %d authorizations", e.DID, MaxAuthorizations)
	}
	if e.Role == RoleIssuer && len(e.VerifierAuthorizations) > 0 ||
		e.Role == RoleVerifier && len(e.IssuerAuthorizations) > 0 {
		return invalid("entity %s: authorization does not fit role %s", e.DID, e.Role)
	}
	ids := map[string]bool{}
	checkRecord := func(id, replaces string, ended *AuthorizationEnd, until time.Time) error {
		if len(id) > MaxAuthorizationIDLen || len(replaces) > MaxAuthorizationIDLen {
			return invalid("entity %s: authorization id longer than %d bytes", e.DID, MaxAuthorizationIDLen)
		}
		if id != "" {
			if ids[id] {
				return invalid("entity %s: authorization id %q used twice", e.DID, id)
			}
			ids[id] = true
		}
		if ended != nil && (until.IsZero() || len(ended.Reason) > MaxStringLen) {
			return invalid("entity %s: authorization %q ended without an end time, or with an oversize reason", e.DID, id)
		}
		return nil
	}
	for _, a := range e.IssuerAuthorizations {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("entity %s: %w", e.DID, err)
		}
		if err := checkRecord(a.ID, a.Replaces, a.Ended, a.Until); err != nil {
			return err
		}
	}
	for _, a := range e.VerifierAuthorizations {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("entity %s: %w", e.DID, err)
		}
		if err := checkRecord(a.ID, a.Replaces, a.Ended, a.Until); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks an issuer authorization.
func (a *IssuerAuthorization) Validate() error {
	if a.VCT == "" || len(a.VCT) > MaxStringLen || len(a.Jurisdiction) > MaxStringLen {
		return invalid("issuer authorization needs a vct")
	}
	for name, v := range map[string]int{"max_strength": a.MaxStrength, "max_validity": a.MaxValidity, "max_verification": a.MaxVerification} {
		if v < 0 || v > 4 {
			return invalid("%s %d outside 0–4", name, v)
		}
	}
	if !a.Until.IsZero() && !a.Until.After(a.From) {
		return invalid("authorization for %s: until not after from", a.VCT)
	}
	return nil
}

// Validate checks a verifier authorization; its claims must already be in
// normalized pointer form.
func (a *VerifierAuthorization) Validate() error {
	if a.Purpose == "" || len(a.Purpose) > MaxStringLen {
		return invalid("verifier authorization needs a purpose")
	}
	if len(a.Claims) == 0 || len(a.Claims) > MaxClaims {
		return invalid("purpose %s: needs 1–%d claims", a.Purpose, MaxClaims)
	}
	for _, c := range a.Claims {
		n, err := NormalizeClaim(c)
		if err != nil || n != c {
			return invalid("purpose %s: claim %q is not a normalized JSON pointer", a.Purpose, c)
		}
	}
	if !a.Until.IsZero() && !a.Until.After(a.From) {
		return invalid("purpose %s: until not after from", a.Purpose)
	}
	return nil
}

// ErrNoEnglishName reports display names without an English one.
var ErrNoEnglishName = errors.New("trust: an English display name (en=…) is required")

// CheckDisplayNames is the one rule for the display names an operator
// gives an issuer or a registered entity: at least an English name (the
// fallback every reader can show), every language tag and name non-blank
// and within the model's bounds. Snapshots are not held to it (older ones
// may lack English); new entries are.
func CheckDisplayNames(names map[string]string) error {
	if len(names) > MaxNames {
		return fmt.Errorf("trust: more than %d display names", MaxNames)
	}
	for l, n := range names {
		l, n = strings.TrimSpace(l), strings.TrimSpace(n)
		if l == "" || len(l) > 35 || n == "" || len(n) > MaxStringLen {
			return fmt.Errorf("trust: display name for language %q: language tag and name must be non-empty (tag at most 35 bytes, name at most %d)", l, MaxStringLen)
		}
	}
	for l, n := range names {
		if strings.EqualFold(strings.TrimSpace(l), "en") && strings.TrimSpace(n) != "" {
			return nil
		}
	}
	return ErrNoEnglishName
}
