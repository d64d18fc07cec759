package registry

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
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
	// ErrAuthorizationExists: an entity already holds an authorization
	// for the same type and jurisdiction (or purpose) over an overlapping
	// time; amend or end that one instead.
	ErrAuthorizationExists = errors.New("registry: authorization already exists")
	// ErrUnknownAuthorization: the entity has no authorization with that id.
	ErrUnknownAuthorization = errors.New("registry: no such authorization")
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
	// BBSKeys are an issuer's BBS keys (did:jwk of BLS12381G2 JWKs), held
	// from ValidFrom on as further keys of the entity (AddKey).
	BBSKeys []string
}

// AddEntity admits an entity as active from now.
// The DID must use a method Cairn resolves (did.SupportedMethods), or no
// verifier could check what the entity signs, and the names must include
// an English one (trust.CheckDisplayNames, the rule issuers follow too).
func (s *Service) AddEntity(ctx context.Context, in NewEntity) (*trust.Entity, error) {
	if _, _, err := did.ParseDIDURL(in.DID); err != nil || strings.Contains(in.DID, "#") {
		return nil, badInput("%q is not a DID", in.DID)
	}
	if err := did.CheckSupported(in.DID); err != nil {
		return nil, badInput("%v", err)
	}
	if in.Role != trust.RoleIssuer && in.Role != trust.RoleVerifier {
		return nil, badInput("role must be %q or %q", trust.RoleIssuer, trust.RoleVerifier)
	}
	if len(in.Names) == 0 {
		return nil, badInput("an entity needs a display name in at least one language")
	}
	if err := trust.CheckDisplayNames(in.Names); err != nil {
		return nil, badInput("%v", err)
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
	if len(in.BBSKeys) > 0 && in.Role != trust.RoleIssuer {
		return nil, badInput("only issuers hold BBS keys")
	}
	for _, k := range in.BBSKeys {
		if err := checkBBSKey(k); err != nil {
			return nil, err
		}
		e.Keys = append(e.Keys, trust.EntityKey{DID: k, From: e.ValidFrom})
	}
	_, err := s.update(ctx, func(st *State) error {
		if st.Registry.Entity(in.DID) != nil || st.Registry.EntityByKey(in.DID) != nil {
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

// entityFor finds the entity entityDID names: its DID, or one of its
// further keys (an issuer's BBS key names its issuer).
func entityFor(st *State, entityDID string, role trust.Role) (*trust.Entity, error) {
	e := st.Registry.Entity(entityDID)
	if e == nil {
		e = st.Registry.EntityByKey(entityDID)
	}
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

// checkBBSKey refuses a DID that is not the did:jwk of a valid BBS public
// key (did.BBSKey: BLS12381G2, in G2, no private part).
func checkBBSKey(keyDID string) error {
	if _, err := did.BBSKey(keyDID); err != nil {
		return badInput("BBS key %q: %v", keyDID, err)
	}
	return nil
}

// AddKey adds a BBS issuer key (the did:jwk of a BLS12381G2 public JWK,
// as 'cairn keys generate --alg BBS' prints it) to issuer entityDID, held
// from from (default now): the entity's jpt credentials are signed with
// it, and the entity's status and authorizations apply to it
// (trust.EntityKey, vccheck.BBSKeyAuthorized). A key another entity
// holds, or an entity's DID, is refused; adding a key the entity already
// holds is ErrEntityExists.
func (s *Service) AddKey(ctx context.Context, entityDID, keyDID string, from time.Time) (trust.EntityKey, error) {
	if err := checkBBSKey(keyDID); err != nil {
		return trust.EntityKey{}, err
	}
	if from.IsZero() {
		from = s.now()
	}
	k := trust.EntityKey{DID: keyDID, From: from.UTC()}
	_, err := s.update(ctx, func(st *State) error {
		e, err := entityFor(st, entityDID, trust.RoleIssuer)
		if err != nil {
			return err
		}
		if e.Key(keyDID) != nil {
			return fmt.Errorf("%w: %s already holds key %s", ErrEntityExists, e.DID, keyDID)
		}
		if o := st.Registry.EntityByKey(keyDID); o != nil || st.Registry.Entity(keyDID) != nil {
			return badInput("key %s already names another entity", keyDID)
		}
		e.Keys = append(e.Keys, k)
		return nil
	})
	return k, err
}

// AuthorizeIssuer is GrantIssuer without the recorded authorization.
func (s *Service) AuthorizeIssuer(ctx context.Context, entityDID string, a trust.IssuerAuthorization) error {
	_, err := s.GrantIssuer(ctx, entityDID, a)
	return err
}

// GrantIssuer lets an issuer issue a.VCT within caps and returns the
// authorization as recorded, with its ID. a.From defaults to now. Scores
// must be 1–4 for strength and validity, 0–4 for verification (0: the
// issuer may not claim it). An authorization for the same vct and
// jurisdiction whose time overlaps is refused (ErrAuthorizationExists):
// amend or end it instead.
func (s *Service) GrantIssuer(ctx context.Context, entityDID string, a trust.IssuerAuthorization) (trust.IssuerAuthorization, error) {
	if a.VCT == "" {
		return a, badInput("an issuer authorization needs a vct")
	}
	if err := checkCaps(a); err != nil {
		return a, err
	}
	if a.From.IsZero() {
		a.From = s.now()
	}
	a.From, a.Until = utc(a.From), utc(a.Until)
	a.ID, a.Replaces, a.Ended = "", "", nil
	_, err := s.update(ctx, func(st *State) error {
		e, err := entityFor(st, entityDID, trust.RoleIssuer)
		if err != nil {
			return err
		}
		ensureIDs(e)
		if err := overlapsIssuer(e, a, ""); err != nil {
			return err
		}
		a.ID = nextID(e)
		e.IssuerAuthorizations = append(e.IssuerAuthorizations, a)
		return nil
	})
	return a, err
}

func checkCaps(a trust.IssuerAuthorization) error {
	if a.MaxStrength < 1 || a.MaxStrength > 4 || a.MaxValidity < 1 || a.MaxValidity > 4 || a.MaxVerification < 0 || a.MaxVerification > 4 {
		return badInput("max strength and validity must be 1–4, max verification 0–4")
	}
	return nil
}

// AuthorizeVerifier is GrantVerifier without the recorded authorization.
func (s *Service) AuthorizeVerifier(ctx context.Context, entityDID string, a trust.VerifierAuthorization) error {
	_, err := s.GrantVerifier(ctx, entityDID, a)
	return err
}

// GrantVerifier lets a verifier request claims for a purpose and returns
// the authorization as recorded, with its ID. Claims are names or JSON
// pointers (see trust.NormalizeClaim); they are stored normalized, sorted
// and without duplicates. An authorization for the same purpose whose
// time overlaps is refused (ErrAuthorizationExists).
func (s *Service) GrantVerifier(ctx context.Context, entityDID string, a trust.VerifierAuthorization) (trust.VerifierAuthorization, error) {
	if a.Purpose == "" {
		return a, badInput("a verifier authorization needs a purpose")
	}
	claims, err := normalizeClaims(a.Claims)
	if err != nil {
		return a, err
	}
	a.Claims = claims
	if a.From.IsZero() {
		a.From = s.now()
	}
	a.From, a.Until = utc(a.From), utc(a.Until)
	a.ID, a.Replaces, a.Ended = "", "", nil
	_, err = s.update(ctx, func(st *State) error {
		e, err := entityFor(st, entityDID, trust.RoleVerifier)
		if err != nil {
			return err
		}
		ensureIDs(e)
		if err := overlapsVerifier(e, a, ""); err != nil {
			return err
		}
		a.ID = nextID(e)
		e.VerifierAuthorizations = append(e.VerifierAuthorizations, a)
		return nil
	})
	return a, err
}

func normalizeClaims(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, badInput("a verifier authorization needs at least one claim")
	}
	claims := make([]string, 0, len(in))
	for _, c := range in {
		n, err := trust.NormalizeClaim(strings.TrimSpace(c))
		if err != nil {
			return nil, badInput("%v", err)
		}
		claims = append(claims, n)
	}
	slices.Sort(claims)
	return slices.Compact(claims), nil
}

// Amendment is a change to one authorization. Nil fields keep their
// value. Caps and Jurisdiction apply to issuer authorizations, Claims to
// verifier authorizations.
type Amendment struct {
	// At is when the change takes effect (default now): the old entry
	// ends at At and the amended one starts at At.
	At     time.Time
	Reason string

	MaxStrength, MaxValidity, MaxVerification *int
	Jurisdiction                              *string
	Claims                                    []string
	// Until replaces the end of the amended entry; a zero time makes it
	// open-ended.
	Until *time.Time
}

func (ch Amendment) issuerOnly() bool {
	return ch.MaxStrength != nil || ch.MaxValidity != nil || ch.MaxVerification != nil || ch.Jurisdiction != nil
}

// AmendAuthorization changes authorization id of entityDID from ch.At on:
// the entry is ended at ch.At and a copy with the changes, naming it in
// Replaces, starts at ch.At, so credentials issued (and requests made)
// before ch.At are still judged by the old entry. An entry that has not
// started by ch.At is replaced whole (it covered no time). It returns the
// new entry's ID.
func (s *Service) AmendAuthorization(ctx context.Context, entityDID, id string, ch Amendment) (string, error) {
	if len(ch.Reason) > trust.MaxStringLen {
		return "", badInput("reason longer than %d bytes", trust.MaxStringLen)
	}
	var newID string
	_, err := s.update(ctx, func(st *State) error {
		e, err := entityFor(st, entityDID, "")
		if err != nil {
			return err
		}
		ensureIDs(e)
		at, now := ch.At, s.now()
		if at.IsZero() {
			at = now
		}
		at = at.UTC()
		if i := slices.IndexFunc(e.IssuerAuthorizations, func(a trust.IssuerAuthorization) bool { return a.ID == id }); i >= 0 {
			if ch.Claims != nil {
				return badInput("--claims applies to verifier authorizations; %s is an issuer authorization", id)
			}
			old := e.IssuerAuthorizations[i]
			if err := endable(id, old.From, old.Until, old.Ended, at); err != nil {
				return err
			}
			next := old
			next.ID, next.Replaces, next.Ended, next.From = nextID(e), id, nil, maxTime(at, old.From)
			setInt(&next.MaxStrength, ch.MaxStrength)
			setInt(&next.MaxValidity, ch.MaxValidity)
			setInt(&next.MaxVerification, ch.MaxVerification)
			if ch.Jurisdiction != nil {
				next.Jurisdiction = *ch.Jurisdiction
			}
			if ch.Until != nil {
				next.Until = utc(*ch.Until)
			}
			if err := checkCaps(next); err != nil {
				return err
			}
			if !next.Until.IsZero() && !next.Until.After(next.From) {
				return badInput("the amended authorization would end (%s) before it starts (%s)", next.Until.Format(time.RFC3339), next.From.Format(time.RFC3339))
			}
			if err := overlapsIssuer(e, next, id); err != nil {
				return err
			}
			e.IssuerAuthorizations = endAt(e.IssuerAuthorizations, i, at, now, ch.Reason, func(a *trust.IssuerAuthorization) (*time.Time, **trust.AuthorizationEnd) {
				return &a.Until, &a.Ended
			}, func(a trust.IssuerAuthorization) time.Time { return a.From })
			e.IssuerAuthorizations = append(e.IssuerAuthorizations, next)
			newID = next.ID
			return nil
		}
		if i := slices.IndexFunc(e.VerifierAuthorizations, func(a trust.VerifierAuthorization) bool { return a.ID == id }); i >= 0 {
			if ch.issuerOnly() {
				return badInput("caps and jurisdiction apply to issuer authorizations; %s is a verifier authorization", id)
			}
			old := e.VerifierAuthorizations[i]
			if err := endable(id, old.From, old.Until, old.Ended, at); err != nil {
				return err
			}
			next := old
			next.ID, next.Replaces, next.Ended, next.From = nextID(e), id, nil, maxTime(at, old.From)
			next.Claims = slices.Clone(old.Claims)
			if ch.Claims != nil {
				if next.Claims, err = normalizeClaims(ch.Claims); err != nil {
					return err
				}
			}
			if ch.Until != nil {
				next.Until = utc(*ch.Until)
			}
			if !next.Until.IsZero() && !next.Until.After(next.From) {
				return badInput("the amended authorization would end (%s) before it starts (%s)", next.Until.Format(time.RFC3339), next.From.Format(time.RFC3339))
			}
			if err := overlapsVerifier(e, next, id); err != nil {
				return err
			}
			e.VerifierAuthorizations = endAt(e.VerifierAuthorizations, i, at, now, ch.Reason, func(a *trust.VerifierAuthorization) (*time.Time, **trust.AuthorizationEnd) {
				return &a.Until, &a.Ended
			}, func(a trust.VerifierAuthorization) time.Time { return a.From })
			e.VerifierAuthorizations = append(e.VerifierAuthorizations, next)
			newID = next.ID
			return nil
		}
		return fmt.Errorf("%w: %s has no authorization %q", ErrUnknownAuthorization, entityDID, id)
	})
	return newID, err
}

// EndAuthorization ends authorization id of entityDID at at (default now;
// a time in the past is allowed, for an authority that learns late):
// credentials issued from at on are no longer covered by it, those issued
// before still are. The entry stays in the registry with its end and
// reason. An entry that has not started by at covered no time and is
// removed; withdrawn reports that.
func (s *Service) EndAuthorization(ctx context.Context, entityDID, id string, at time.Time, reason string) (withdrawn bool, err error) {
	if len(reason) > trust.MaxStringLen {
		return false, badInput("reason longer than %d bytes", trust.MaxStringLen)
	}
	_, err = s.update(ctx, func(st *State) error {
		e, err := entityFor(st, entityDID, "")
		if err != nil {
			return err
		}
		ensureIDs(e)
		now := s.now()
		if at.IsZero() {
			at = now
		}
		at = at.UTC()
		if i := slices.IndexFunc(e.IssuerAuthorizations, func(a trust.IssuerAuthorization) bool { return a.ID == id }); i >= 0 {
			a := e.IssuerAuthorizations[i]
			if err := endable(id, a.From, a.Until, a.Ended, at); err != nil {
				return err
			}
			withdrawn = !at.After(a.From)
			e.IssuerAuthorizations = endAt(e.IssuerAuthorizations, i, at, now, reason, func(a *trust.IssuerAuthorization) (*time.Time, **trust.AuthorizationEnd) {
				return &a.Until, &a.Ended
			}, func(a trust.IssuerAuthorization) time.Time { return a.From })
			return nil
		}
		if i := slices.IndexFunc(e.VerifierAuthorizations, func(a trust.VerifierAuthorization) bool { return a.ID == id }); i >= 0 {
			a := e.VerifierAuthorizations[i]
			if err := endable(id, a.From, a.Until, a.Ended, at); err != nil {
				return err
			}
			withdrawn = !at.After(a.From)
			e.VerifierAuthorizations = endAt(e.VerifierAuthorizations, i, at, now, reason, func(a *trust.VerifierAuthorization) (*time.Time, **trust.AuthorizationEnd) {
				return &a.Until, &a.Ended
			}, func(a trust.VerifierAuthorization) time.Time { return a.From })
			return nil
		}
		return fmt.Errorf("%w: %s has no authorization %q", ErrUnknownAuthorization, entityDID, id)
	})
	return withdrawn, err
}

// endable refuses to end an entry that already ended, or ends by at.
func endable(id string, from, until time.Time, ended *trust.AuthorizationEnd, at time.Time) error {
	if ended != nil {
		return badInput("authorization %s was already ended at %s", id, until.Format(time.RFC3339))
	}
	if !until.IsZero() && !at.Before(until) {
		return badInput("authorization %s already ends at %s, not after %s", id, until.Format(time.RFC3339), at.Format(time.RFC3339))
	}
	return nil
}

// endAt ends entry i at at (recorded now, with reason), or removes it when
// it has not started by at.
func endAt[A any](list []A, i int, at, now time.Time, reason string, fields func(*A) (*time.Time, **trust.AuthorizationEnd), from func(A) time.Time) []A {
	if !at.After(from(list[i])) {
		return slices.Delete(list, i, i+1)
	}
	until, ended := fields(&list[i])
	*until, *ended = at, &trust.AuthorizationEnd{At: now, Reason: reason}
	return list
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// overlaps reports whether [f1,u1) and [f2,u2) share a time (zero until:
// open-ended).
func overlaps(f1, u1, f2, u2 time.Time) bool {
	return (u2.IsZero() || f1.Before(u2)) && (u1.IsZero() || f2.Before(u1))
}

func overlapsIssuer(e *trust.Entity, a trust.IssuerAuthorization, except string) error {
	for _, o := range e.IssuerAuthorizations {
		if o.ID != except && o.VCT == a.VCT && o.Jurisdiction == a.Jurisdiction && overlaps(o.From, o.Until, a.From, a.Until) {
			return fmt.Errorf("%w: %s already holds authorization %s for %s (jurisdiction %q) from %s; amend or end it instead",
				ErrAuthorizationExists, e.DID, o.ID, o.VCT, o.Jurisdiction, o.From.Format(time.RFC3339))
		}
	}
	return nil
}

func overlapsVerifier(e *trust.Entity, a trust.VerifierAuthorization, except string) error {
	for _, o := range e.VerifierAuthorizations {
		if o.ID != except && o.Purpose == a.Purpose && overlaps(o.From, o.Until, a.From, a.Until) {
			return fmt.Errorf("%w: %s already holds authorization %s for purpose %q from %s; amend or end it instead",
				ErrAuthorizationExists, e.DID, o.ID, o.Purpose, o.From.Format(time.RFC3339))
		}
	}
	return nil
}

// ensureIDs names the authorizations recorded before IDs existed: "a<n>",
// by position, after the highest number already in use.
func ensureIDs(e *trust.Entity) {
	for i := range e.IssuerAuthorizations {
		if e.IssuerAuthorizations[i].ID == "" {
			e.IssuerAuthorizations[i].ID = nextID(e)
		}
	}
	for i := range e.VerifierAuthorizations {
		if e.VerifierAuthorizations[i].ID == "" {
			e.VerifierAuthorizations[i].ID = nextID(e)
		}
	}
}

// nextID is "a" and one more than the highest "a<n>" of the entity.
func nextID(e *trust.Entity) string {
	n := 0
	see := func(id string) {
		if v, err := strconv.Atoi(strings.TrimPrefix(id, "a")); err == nil && strings.HasPrefix(id, "a") && v > n {
			n = v
		}
	}
	for _, a := range e.IssuerAuthorizations {
		see(a.ID)
	}
	for _, a := range e.VerifierAuthorizations {
		see(a.ID)
	}
	return "a" + strconv.Itoa(n+1)
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
