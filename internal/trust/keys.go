package trust

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// MaxKeys bounds the further keys of one entity.
const MaxKeys = 16

// EntityKey is a further key of an issuer entity: the did:jwk of a BBS
// issuer key (JSON Proof Algorithms alg BBS; internal/did.BBSKey reads it)
// that signs the entity's jpt credentials beside the key its DID names.
// It is not a second entity: the entity's status, validity window and
// authorizations apply to it as to its DID's key, and its own window
// [From, Until) says when the entity held it (a zero Until is open-ended).
// Snapshots without keys read and write as before.
type EntityKey struct {
	DID   string    `json:"did"`
	From  time.Time `json:"from"`
	Until time.Time `json:"until,omitzero"`
}

// Reason codes of IssuerKeyAuthorized beyond those of IssuerAuthorized.
const (
	// ReasonUnknownKey: the key is not one of the entity's keys.
	ReasonUnknownKey = "unknown_key"
	// ReasonKeyNotValidAtTime: the key is the entity's, but was not held
	// by it at the time asked about.
	ReasonKeyNotValidAtTime = "key_not_valid_at_time"
)

// validateKeys checks an entity's further keys: issuers only, at most
// MaxKeys, did:jwk identifiers other than the entity's DID, no key twice,
// until after from.
func (e *Entity) validateKeys() error {
	if len(e.Keys) == 0 {
		return nil
	}
	if e.Role != RoleIssuer {
		return invalid("entity %s: only issuers hold further keys", e.DID)
	}
	if len(e.Keys) > MaxKeys {
		return invalid("entity %s: more than %d keys", e.DID, MaxKeys)
	}
	for i, k := range e.Keys {
		if !strings.HasPrefix(k.DID, "did:jwk:") || len(k.DID) > 8*MaxStringLen || k.DID == e.DID {
			return invalid("entity %s: key %d is not a did:jwk other than the entity's DID", e.DID, i)
		}
		if slices.ContainsFunc(e.Keys[:i], func(o EntityKey) bool { return o.DID == k.DID }) {
			return invalid("entity %s: key %s listed twice", e.DID, k.DID)
		}
		if !k.Until.IsZero() && !k.Until.After(k.From) {
			return invalid("entity %s: key %s: until not after from", e.DID, k.DID)
		}
	}
	return nil
}

// validateKeyOwners refuses a key held by two entities, or a key that is
// also an entity's DID: a key must name one entity.
func (r *Registry) validateKeyOwners() error {
	owner := map[string]string{}
	for i := range r.Entities {
		owner[r.Entities[i].DID] = r.Entities[i].DID
	}
	for i := range r.Entities {
		e := &r.Entities[i]
		for _, k := range e.Keys {
			if o, ok := owner[k.DID]; ok {
				return invalid("key %s of %s is already %s's", k.DID, e.DID, o)
			}
			owner[k.DID] = e.DID
		}
	}
	return nil
}

// Key returns the entity's further key keyDID, or nil.
func (e *Entity) Key(keyDID string) *EntityKey {
	for i := range e.Keys {
		if e.Keys[i].DID == keyDID {
			return &e.Keys[i]
		}
	}
	return nil
}

// EntityByKey returns the entity that holds keyDID as a further key, or
// nil.
func (r *Registry) EntityByKey(keyDID string) *Entity {
	if r == nil {
		return nil
	}
	for i := range r.Entities {
		if r.Entities[i].Key(keyDID) != nil {
			return &r.Entities[i]
		}
	}
	return nil
}

// IssuerKeyAuthorized answers "was keyDID a key of issuer entity iss, and
// iss authorized to issue vct, at some time in [from, until)?": the
// question for a credential whose iat only names a period (a jpt
// credential's iat is the start of its UTC day, so until is from plus a
// day). A zero until, or one not after from, asks about the instant from
// alone. At each instant the rules are IssuerAuthorized's (status,
// validity, compromise, the authorization for vct covering it) and the
// key's window [From, Until) must cover it too. Those rules change only
// where an authorization, a status change, the entity's validity or the
// key's window starts, so only from and those starts inside the period
// are asked about. The decision carries Key; when no instant is
// authorized it is the one for from, or ReasonUnknownKey /
// ReasonKeyNotValidAtTime.
func (r *Registry) IssuerKeyAuthorized(iss, keyDID, vct string, from, until time.Time) (Decision, error) {
	if iss == "" || keyDID == "" || vct == "" || from.IsZero() {
		return Decision{}, errors.Join(ErrBadQuery, errors.New("trust: key question needs issuer, key, vct and time"))
	}
	e := r.Entity(iss)
	if e == nil {
		return Decision{Reason: ReasonUnknownEntity}, nil
	}
	k := e.Key(keyDID)
	if k == nil {
		return Decision{Entity: e, CurrentStatus: e.Status, Reason: ReasonUnknownKey}, nil
	}
	if !until.After(from) {
		until = from.Add(time.Nanosecond)
	}
	inside := func(t time.Time) bool { return !t.Before(from) && t.Before(until) }
	times := []time.Time{from}
	add := func(t time.Time) {
		if inside(t) && !slices.ContainsFunc(times, t.Equal) {
			times = append(times, t)
		}
	}
	add(k.From)
	add(e.ValidFrom)
	for _, c := range e.StatusHistory {
		add(c.At)
	}
	for _, a := range e.IssuerAuthorizations {
		add(a.From)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	var first *Decision
	for _, t := range times {
		d, err := r.IssuerAuthorized(iss, vct, t)
		if err != nil {
			return Decision{}, err
		}
		d.Key = k
		if !within(t, k.From, k.Until) {
			if d.Entity != nil {
				d.Authorized, d.Reason = false, ReasonKeyNotValidAtTime
			}
		}
		if d.Authorized {
			return d, nil
		}
		if first == nil {
			first = &d
		}
	}
	return *first, nil
}
