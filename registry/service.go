package registry

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/trust"
)

// Service errors.
var (
	ErrInvalidInput       = errors.New("registry: invalid input")
	ErrAlreadyInitialized = errors.New("registry: already initialized")
	ErrUnknownEntity      = errors.New("registry: no such entity")
	ErrEntityExists       = errors.New("registry: entity already registered")
	ErrStatusTransition   = errors.New("registry: status change not allowed")
	ErrWrongKey           = errors.New("registry: key is not the registry authority's key")
)

// Service applies an authority's decisions to the registry kept in Store.
// Every method reads the state, changes a copy, validates the whole
// registry and writes it back in one Store transaction: bad input changes
// nothing.
type Service struct {
	Store Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand feeds signatures; nil means crypto/rand.
	Rand io.Reader
}

// now is whole seconds: credentials carry iat as a NumericDate, so an
// entity admitted at 12:00:00.7 must count as admitted at 12:00:00 or a
// credential it issues in that same second would predate it.
func (s *Service) now() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().UTC().Truncate(time.Second)
}

// utc keeps zero times zero so "open-ended" survives.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func badInput(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, a...))
}

// Init creates the registry with its authority. The authority DID is the
// did:jwk of key's public key; snapshots are signed with kid "<did>#0".
func (s *Service) Init(ctx context.Context, id, name string, key crypto.Signer) (*State, error) {
	if strings.TrimSpace(name) == "" || len(name) > trust.MaxStringLen || len(id) > trust.MaxStringLen {
		return nil, badInput("a registry needs a name (at most %d bytes)", trust.MaxStringLen)
	}
	if key == nil {
		return nil, badInput("no authority key")
	}
	jwk, err := jose.NewJWK(key.Public())
	if err != nil {
		return nil, badInput("authority key: %v", err)
	}
	if _, err := s.Store.Get(ctx); err == nil {
		return nil, ErrAlreadyInitialized
	} else if !errors.Is(err, ErrNotInitialized) {
		return nil, err
	}
	authDID := did.FromJWK(jwk)
	if id == "" {
		id = "urn:cairn:registry:" + jwk.Thumbprint()
	}
	st := &State{
		Authority: Authority{DID: authDID, KeyID: authDID + "#0", PublicJWK: jwk},
		Registry:  trust.Registry{ID: id, Name: name, Authority: authDID, Entities: []trust.Entity{}},
	}
	if err := st.Registry.Validate(); err != nil {
		return nil, badInput("%v", err)
	}
	rev, err := s.Store.Put(ctx, st)
	if errors.Is(err, ErrConflict) {
		return nil, ErrAlreadyInitialized
	}
	if err != nil {
		return nil, err
	}
	st.Revision = rev
	return st, nil
}

// Show returns the current working state.
func (s *Service) Show(ctx context.Context) (*State, error) {
	return s.Store.Get(ctx)
}

// update runs change on a fresh copy of the state, validates and stores it.
func (s *Service) update(ctx context.Context, change func(st *State) error) (*State, error) {
	st, err := s.Store.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := change(st); err != nil {
		return nil, err
	}
	if err := st.Registry.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	rev, err := s.Store.Put(ctx, st)
	if err != nil {
		return nil, err
	}
	st.Revision = rev
	return st, nil
}

// NewEntity is what AddEntity needs to admit an entity.
type NewEntity struct {
	DID   string
	Role  trust.Role
	Names map[string]string
	// ValidFrom defaults to now; a zero ValidUntil is open-ended.
	ValidFrom, ValidUntil time.Time
}

// AddEntity admits an entity as active from now.
func (s *Service) AddEntity(ctx context.Context, in NewEntity) (*trust.Entity, error) {
	if _, _, err := did.ParseDIDURL(in.DID); err != nil || strings.Contains(in.DID, "#") {
		return nil, badInput("%q is not a DID", in.DID)
	}
	if in.Role != trust.RoleIssuer && in.Role != trust.RoleVerifier {
		return nil, badInput("role must be %q or %q", trust.RoleIssuer, trust.RoleVerifier)
	}
	if len(in.Names) == 0 {
		return nil, badInput("an entity needs a display name in at least one language")
	}
	now := s.now()
	from := in.ValidFrom
	if from.IsZero() {
		from = now
	}
	names := make(map[string]string, len(in.Names))
	for l, n := range in.Names {
		names[strings.ToLower(strings.TrimSpace(l))] = strings.TrimSpace(n)
	}
	e := trust.Entity{
		DID: in.DID, Role: in.Role, Names: names, Status: trust.StatusActive,
		StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: now}},
		ValidFrom:     utc(from), ValidUntil: utc(in.ValidUntil),
	}
	_, err := s.update(ctx, func(st *State) error {
		if st.Registry.Entity(in.DID) != nil {
			return fmt.Errorf("%w: %s", ErrEntityExists, in.DID)
		}
		st.Registry.Entities = append(st.Registry.Entities, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

func entityFor(st *State, entityDID string, role trust.Role) (*trust.Entity, error) {
	e := st.Registry.Entity(entityDID)
	if e == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownEntity, entityDID)
	}
	if role != "" && e.Role != role {
		return nil, badInput("%s is a %s, not a %s", entityDID, e.Role, role)
	}
	if e.Status == trust.StatusRevoked {
		return nil, fmt.Errorf("%w: %s is revoked", ErrStatusTransition, entityDID)
	}
	return e, nil
}

// AuthorizeIssuer lets an issuer issue a.VCT within caps. a.From defaults
// to now. Scores must be 1–4 for strength and validity, 0–4 for
// verification (0: the issuer may not claim it).
func (s *Service) AuthorizeIssuer(ctx context.Context, entityDID string, a trust.IssuerAuthorization) error {
	if a.VCT == "" {
		return badInput("an issuer authorization needs a vct")
	}
	if a.MaxStrength < 1 || a.MaxStrength > 4 || a.MaxValidity < 1 || a.MaxValidity > 4 || a.MaxVerification < 0 || a.MaxVerification > 4 {
		return badInput("max strength and validity must be 1–4, max verification 0–4")
	}
	if a.From.IsZero() {
		a.From = s.now()
	}
	a.From, a.Until = utc(a.From), utc(a.Until)
	_, err := s.update(ctx, func(st *State) error {
		e, err := entityFor(st, entityDID, trust.RoleIssuer)
		if err != nil {
			return err
		}
		e.IssuerAuthorizations = append(e.IssuerAuthorizations, a)
		return nil
	})
	return err
}

// AuthorizeVerifier lets a verifier request claims for a purpose. Claims
// are names or JSON pointers (see trust.NormalizeClaim); they are stored
// normalized, sorted and without duplicates.
func (s *Service) AuthorizeVerifier(ctx context.Context, entityDID string, a trust.VerifierAuthorization) error {
	if a.Purpose == "" {
		return badInput("a verifier authorization needs a purpose")
	}
	if len(a.Claims) == 0 {
		return badInput("a verifier authorization needs at least one claim")
	}
	claims := make([]string, 0, len(a.Claims))
	for _, c := range a.Claims {
		n, err := trust.NormalizeClaim(strings.TrimSpace(c))
		if err != nil {
			return badInput("%v", err)
		}
		claims = append(claims, n)
	}
	slices.Sort(claims)
	a.Claims = slices.Compact(claims)
	if a.From.IsZero() {
		a.From = s.now()
	}
	a.From, a.Until = utc(a.From), utc(a.Until)
	_, err := s.update(ctx, func(st *State) error {
		e, err := entityFor(st, entityDID, trust.RoleVerifier)
		if err != nil {
			return err
		}
		e.VerifierAuthorizations = append(e.VerifierAuthorizations, a)
		return nil
	})
	return err
}

func (s *Service) changeStatus(ctx context.Context, entityDID string, to trust.EntityStatus, reason string, compromised bool, allowedFrom ...trust.EntityStatus) error {
	if len(reason) > trust.MaxStringLen {
		return badInput("reason longer than %d bytes", trust.MaxStringLen)
	}
	_, err := s.update(ctx, func(st *State) error {
		e, err := entityFor(st, entityDID, "")
		if err != nil {
			return err
		}
		if !slices.Contains(allowedFrom, e.Status) {
			return fmt.Errorf("%w: %s is %s", ErrStatusTransition, entityDID, e.Status)
		}
		now := s.now()
		if n := len(e.StatusHistory); n > 0 && now.Before(e.StatusHistory[n-1].At) {
			return fmt.Errorf("%w: clock is behind the last status change", ErrStatusTransition)
		}
		e.Status = to
		e.StatusHistory = append(e.StatusHistory, trust.StatusChange{Status: to, At: now, Reason: reason, Compromised: compromised})
		return nil
	})
	return err
}

// Suspend suspends an active entity from now. Credentials it issued
// before stay valid.
func (s *Service) Suspend(ctx context.Context, entityDID, reason string) error {
	return s.changeStatus(ctx, entityDID, trust.StatusSuspended, reason, false, trust.StatusActive)
}

// Reinstate makes a suspended entity active again from now.
func (s *Service) Reinstate(ctx context.Context, entityDID, reason string) error {
	return s.changeStatus(ctx, entityDID, trust.StatusActive, reason, false, trust.StatusSuspended)
}

// Revoke ends an entity for good. With compromised, everything its key
// ever signed becomes untrusted; without, what it issued while active
// stays valid.
func (s *Service) Revoke(ctx context.Context, entityDID, reason string, compromised bool) error {
	return s.changeStatus(ctx, entityDID, trust.StatusRevoked, reason, compromised, trust.StatusActive, trust.StatusSuspended)
}

// Publish signs the working registry as the next version, valid for ttl,
// and stores it. key must be the authority's key.
func (s *Service) Publish(ctx context.Context, key crypto.Signer, ttl time.Duration) (uint64, string, error) {
	if ttl <= 0 || ttl > 366*24*time.Hour {
		return 0, "", badInput("ttl must be positive and at most a year")
	}
	if key == nil {
		return 0, "", badInput("no authority key")
	}
	st, err := s.Store.Get(ctx)
	if err != nil {
		return 0, "", err
	}
	jwk, err := jose.NewJWK(key.Public())
	if err != nil || !jwk.Equal(st.Authority.PublicJWK) {
		return 0, "", ErrWrongKey
	}
	signer, err := jose.NewSigner(key, s.Rand)
	if err != nil {
		return 0, "", err
	}
	now := s.now().Truncate(time.Second)
	st.Registry.Version++
	st.Registry.IssuedAt = now
	st.Registry.Expires = now.Add(ttl)
	compact, err := trust.SignSnapshot(&st.Registry, signer.WithKeyID(st.Authority.KeyID))
	if err != nil {
		return 0, "", err
	}
	if _, err := s.Store.Publish(ctx, st, compact); err != nil {
		return 0, "", err
	}
	return st.Registry.Version, compact, nil
}
