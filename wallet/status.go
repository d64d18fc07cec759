package wallet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/vccheck"
)

// The status of stored credentials (draft-ietf-oauth-status-list-21
// §8.3, as a relying party of the holder's own credentials): Statuses
// reads each credential group's entry in its issuer's Status List Token,
// fetched through the guarded client and kept in a cache per list that
// honours the token's ttl and exp (statuslist.Cache), and remembers the
// last status read, sealed, so that it can still be shown, with its age,
// when the list cannot be reached.

// Credential status states.
const (
	StatusValid     = "valid"
	StatusRevoked   = "revoked"
	StatusSuspended = "suspended"
	// StatusUnavailable: the status could not be read now (Reason says
	// why); LastKnown and CheckedAt give the last one read, if any.
	StatusUnavailable = "unavailable"
	// StatusNotChecked: the credential has no status entry; there is
	// nothing to check.
	StatusNotChecked = "not_checked"
)

// Reasons of StatusUnavailable.
const (
	// ReasonUnreachable: the status list could not be fetched.
	ReasonUnreachable = "unreachable"
	// ReasonInvalidList: the list was fetched but does not verify (not
	// signed by the credential's issuer, another subject, expired,
	// malformed, or too short for the credential's index).
	ReasonInvalidList = "invalid_list"
	// ReasonUnknownStatus: the entry holds a value Cairn does not assign
	// (0x03 and above): not taken as valid.
	ReasonUnknownStatus = "unknown_status"
	// ReasonOffline: no refresh was asked for and no status was ever
	// read.
	ReasonOffline = "offline"
)

// Status sources.
const (
	// SourceNetwork: the list was fetched for this answer.
	SourceNetwork = "network"
	// SourceCache: a copy of the list fetched earlier and still fresh by
	// its ttl and exp.
	SourceCache = "cache"
	// SourceStored: the last status read, from the sealed record (no
	// refresh was asked for).
	SourceStored = "stored"
)

// DefaultStatusRefreshTimeout bounds one Statuses refresh as a whole
// (each fetch is also bounded by the guarded client).
const DefaultStatusRefreshTimeout = 10 * time.Second

// statusWorkers bounds the lists fetched at once by one refresh.
const statusWorkers = 4

// CredentialStatus is what the wallet knows of a credential's status.
type CredentialStatus struct {
	// State is valid, revoked, suspended, unavailable or not_checked.
	State string `json:"status"`
	// Reason says why State is unavailable.
	Reason string `json:"status_reason,omitempty"`
	// LastKnown is, when State is unavailable, the last state read.
	LastKnown string `json:"status_last_known,omitempty"`
	// CheckedAt is when State (or LastKnown) was read from the issuer's
	// list: when that copy of the list was fetched.
	CheckedAt time.Time `json:"status_checked_at,omitzero"`
	// Source is network, cache or stored (for a state read from a list).
	Source string `json:"status_source,omitempty"`
}

// Known is the state read from the list, now or last: State unless
// unavailable, else LastKnown ("" when none).
func (c CredentialStatus) Known() string {
	if c.State == StatusUnavailable {
		return c.LastKnown
	}
	return c.State
}

// knownStatus is one group's last status read, in the sealed per-holder
// record (KindStatus, id statusRecordID).
type knownStatus struct {
	State     string    `json:"s"`
	CheckedAt time.Time `json:"t"`
}

const statusRecordID = "statuses"

// newStatusCache is the Service's cache of status lists, fetched through
// the flows' guarded client.
func newStatusCache(f FlowConfig, now func() time.Time) *statuslist.Cache {
	return &statuslist.Cache{Fetch: statusFetcher(f).Fetch, Now: now, MaxTTL: f.StatusMaxAge}
}

func statusFetcher(f FlowConfig) *statuslist.Fetcher {
	return &statuslist.Fetcher{Client: f.HTTPClient, MaxLen: MaxStatusListLen}
}

// forgetStatus drops group's entry from the sealed record, in tx.
func (s *Service) forgetStatus(tx Tx, l *liveSession, group string) error {
	m := map[string]knownStatus{}
	if err := getJSON(tx, l, KindStatus, statusRecordID, &m); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	if _, ok := m[group]; !ok {
		return nil
	}
	delete(m, group)
	return s.putJSON(tx, l, KindStatus, statusRecordID, m)
}

// errInvalidList marks a list that was fetched but does not verify.
var errInvalidList = errors.New("wallet: status list does not verify")

// Statuses returns the status of each credential group among cs, keyed
// by group. With refresh, each group's entry is read from its issuer's
// list (through the cache); without, the last status read is given
// (SourceStored), so that an offline holder still sees it with its age.
// What is read is remembered, sealed.
//
// Every copy of a credential (one per holder key) has its own random
// status index, and the issuer revokes or suspends all of them at once:
// so one copy per group is checked, and stands for the group.
func (s *Service) Statuses(ctx context.Context, sess *Session, cs []Credential, refresh bool) (map[string]CredentialStatus, error) {
	reps := map[string]*Credential{}
	for i := range cs {
		if reps[cs[i].Group] == nil || reps[cs[i].Group].Status == nil && cs[i].Status != nil {
			reps[cs[i].Group] = &cs[i]
		}
	}
	known, err := s.knownStatuses(ctx, sess)
	if err != nil {
		return nil, err
	}
	out := make(map[string]CredentialStatus, len(reps))
	var todo []*Credential
	for g, c := range reps {
		switch {
		case c.Status == nil:
			out[g] = CredentialStatus{State: StatusNotChecked}
		case !refresh:
			if k, ok := known[g]; ok {
				out[g] = CredentialStatus{State: k.State, CheckedAt: k.CheckedAt, Source: SourceStored}
			} else {
				out[g] = CredentialStatus{State: StatusUnavailable, Reason: ReasonOffline}
			}
		default:
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 {
		return out, nil
	}
	read := s.readStatuses(ctx, todo)
	changed := map[string]knownStatus{}
	for g, st := range read {
		if st.State == StatusUnavailable {
			if k, ok := known[g]; ok {
				st.LastKnown, st.CheckedAt = k.State, k.CheckedAt
			}
		} else if k, ok := known[g]; !ok || k.State != st.State || st.CheckedAt.After(k.CheckedAt) {
			changed[g] = knownStatus{State: st.State, CheckedAt: st.CheckedAt}
		}
		out[g] = st
	}
	if len(changed) > 0 {
		if err := s.rememberStatuses(ctx, sess, changed); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readStatuses reads the status of each credential (one per group) from
// its list, fetching each distinct list once, a few at a time, within
// DefaultStatusRefreshTimeout.
func (s *Service) readStatuses(ctx context.Context, cs []*Credential) map[string]CredentialStatus {
	ctx, cancel := context.WithTimeout(ctx, DefaultStatusRefreshTimeout)
	defer cancel()
	type list struct{ uri, iss string }
	byList := map[list][]*Credential{}
	for _, c := range cs {
		k := list{c.Status.URI, c.IssuerDID}
		byList[k] = append(byList[k], c)
	}
	var (
		mu  sync.Mutex
		out = make(map[string]CredentialStatus, len(cs))
		wg  sync.WaitGroup
		sem = make(chan struct{}, statusWorkers)
	)
	for k, group := range byList {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			got, err := s.statusCache.Get(ctx, k.uri, k.iss, func(tok string) (*statuslist.Token, error) {
				t, err := vccheck.VerifyStatusList(ctx, tok, k.iss, k.uri, sdjwtvc.VerifyOptions{Now: s.cfg.Now, Trust: sdjwtvc.Trust{Resolver: s.cfg.Flows.Resolver}})
				if err != nil {
					return nil, fmt.Errorf("%w: %w", errInvalidList, err)
				}
				return t, nil
			})
			res := make(map[string]CredentialStatus, len(group))
			for _, c := range group {
				res[c.Group] = s.statusOf(c, got, err)
			}
			mu.Lock()
			maps.Copy(out, res)
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// statusOf reads c's entry from a list (or the error getting it).
func (s *Service) statusOf(c *Credential, got statuslist.Cached, err error) CredentialStatus {
	if err != nil {
		reason := ReasonUnreachable
		// errInvalidList from readStatuses, ErrStatusUnavailable from
		// vccheck when the list was fetched for an issuance (the cache
		// remembers either failure for a while).
		if errors.Is(err, errInvalidList) || errors.Is(err, vccheck.ErrStatusUnavailable) {
			reason = ReasonInvalidList
		}
		s.log.Info("wallet: credential status unavailable", "reason", reason, "list", c.Status.URI, "err", err)
		return CredentialStatus{State: StatusUnavailable, Reason: reason}
	}
	v, err := got.Token.List.Get(c.Status.Index)
	if err != nil {
		s.log.Info("wallet: credential status unavailable", "reason", ReasonInvalidList, "list", c.Status.URI, "err", err)
		return CredentialStatus{State: StatusUnavailable, Reason: ReasonInvalidList}
	}
	name, err := vccheck.StatusOf(v)
	if errors.Is(err, vccheck.ErrStatusUnavailable) {
		return CredentialStatus{State: StatusUnavailable, Reason: ReasonUnknownStatus}
	}
	src := SourceNetwork
	if got.Hit {
		src = SourceCache
	}
	return CredentialStatus{State: name, CheckedAt: got.FetchedAt.UTC(), Source: src}
}

func (s *Service) knownStatuses(ctx context.Context, sess *Session) (map[string]knownStatus, error) {
	m := map[string]knownStatus{}
	err := s.view(ctx, sess, func(tx Tx, l *liveSession) error {
		clear(m)
		if err := getJSON(tx, l, KindStatus, statusRecordID, &m); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	})
	return m, err
}

// rememberStatuses merges changed into the sealed record (a newer read
// wins). DeleteCredential drops a deleted group's entry.
func (s *Service) rememberStatuses(ctx context.Context, sess *Session, changed map[string]knownStatus) error {
	return s.update(ctx, sess, func(tx Tx, l *liveSession) error {
		m := map[string]knownStatus{}
		if err := getJSON(tx, l, KindStatus, statusRecordID, &m); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		for g, k := range changed {
			if o, ok := m[g]; !ok || !o.CheckedAt.After(k.CheckedAt) {
				m[g] = k
			}
		}
		return s.putJSON(tx, l, KindStatus, statusRecordID, m)
	})
}
