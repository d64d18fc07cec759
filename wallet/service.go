package wallet

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/statuslist"
)

// Errors at the package boundary; match them with errors.Is. A lockout
// is a *LockedError, which also matches ErrLocked.
var (
	ErrInvalidConfig  = errors.New("wallet: invalid configuration")
	ErrInvalidRequest = errors.New("wallet: invalid request")
	ErrInvalidPIN     = errors.New("wallet: invalid PIN")
	// ErrUnlock: wrong PIN or device secret, or no such holder (the
	// three are not told apart).
	ErrUnlock = errors.New("wallet: wrong PIN or device secret")
	// ErrRecoveryCode: the recovery code is malformed or opens nothing.
	ErrRecoveryCode = errors.New("wallet: wrong recovery code")
	ErrLocked       = errors.New("wallet: locked after too many wrong attempts")
	// ErrSession: the session is unknown, expired, logged out, or ended
	// by a PIN change, a recovery or a wipe.
	ErrSession = errors.New("wallet: no such session")
	// ErrCorrupt: a sealed record does not open under the holder's key
	// (modified, moved, or written under another key).
	ErrCorrupt = errors.New("wallet: stored record does not decrypt")
	// ErrBusy: the agent is too busy to open a session. Since sessions
	// live in the store, the Service itself no longer returns it; the API
	// keeps its mapping for callers that do.
	ErrBusy = errors.New("wallet: too many sessions")
)

// LockedError reports a lockout: of the holder (Scope "holder", stored,
// so it outlives a restart) or of the client address (Scope "address",
// in memory).
type LockedError struct {
	Scope string
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("wallet: %s locked until %s after too many wrong attempts", e.Scope, e.Until.UTC().Format(time.RFC3339))
}

// Is makes a LockedError match ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// RetryAfter is how long from now the lock lasts.
func (e *LockedError) RetryAfter(now time.Time) time.Duration { return max(e.Until.Sub(now), 0) }

// Lockout is an exponential lockout: after Free wrong attempts in a row,
// the n-th further wrong attempt locks for Base·2^(n-1), at most Max.
type Lockout struct {
	Free int
	Base time.Duration
	Max  time.Duration
}

// Delay is the lock after failures wrong attempts in a row.
func (l Lockout) Delay(failures int) time.Duration {
	n := failures - l.Free
	if n <= 0 {
		return 0
	}
	d := l.Base
	for i := 1; i < n && d < l.Max; i++ {
		d *= 2
	}
	return min(d, l.Max)
}

// Defaults.
var (
	// DefaultHolderLockout: 3 free wrong PINs, then 30 s, 1 min, 2 min
	// … up to a day. A 4-digit PIN then needs years of guessing online.
	DefaultHolderLockout = Lockout{Free: 3, Base: 30 * time.Second, Max: 24 * time.Hour}
	// DefaultAddressLockout is looser (many phones may share a
	// humanitarian site's address): 10 free, then 10 s up to an hour.
	DefaultAddressLockout = Lockout{Free: 10, Base: 10 * time.Second, Max: time.Hour}
)

const (
	DefaultHolderKeys        = 5
	MaxHolderKeys            = 64
	DefaultSessionTTL        = 15 * time.Minute
	DefaultSessionCacheTTL   = 30 * time.Second
	DefaultMaxSessions       = 100_000
	DefaultMaxTrackedClients = 100_000
	DefaultConcurrentUnlocks = 2
	maxLangLen               = 35
)

// Config configures a Service.
type Config struct {
	Store Store
	// Pepper is the server secret mixed into every key-encryption key
	// (at least 32 bytes, kept outside the store: LoadPepper).
	Pepper []byte
	// KDF is the Argon2id cost of new PIN and recovery wraps
	// (DefaultKDF). Stored per holder, so changing it affects new wraps
	// only.
	KDF KDFParams
	// HolderKeys is the number of holder keys of a new holder
	// (DefaultHolderKeys).
	HolderKeys int
	// SessionTTL bounds a session (DefaultSessionTTL).
	SessionTTL time.Duration
	// SessionIdle, when positive, also ends a session this long after
	// its last use (0: only SessionTTL).
	SessionIdle time.Duration
	// SessionCacheTTL bounds how long an instance keeps a session's
	// unwrapped key in memory between calls (DefaultSessionCacheTTL);
	// the stored record is checked on every call regardless.
	SessionCacheTTL time.Duration
	// MaxSessions bounds the session keys kept in memory
	// (DefaultMaxSessions); past it the ones expiring first are dropped
	// (and unwrapped again from the store when used).
	MaxSessions int
	// HolderLockout and AddressLockout (zero: the defaults).
	HolderLockout, AddressLockout Lockout
	// MaxTrackedClients bounds the addresses the in-memory limiter
	// keeps (DefaultMaxTrackedClients).
	MaxTrackedClients int
	// ConcurrentUnlocks bounds the Argon2id derivations running at once
	// (DefaultConcurrentUnlocks), so memory stays at most
	// ConcurrentUnlocks × KDF.MemoryKiB; others wait.
	ConcurrentUnlocks int

	// Flows is what receiving and presenting need (flows.go).
	Flows FlowConfig

	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}

// Service is the wallet core: holders, their keys, credentials, consent
// log and exports, over a Store. It is safe for concurrent use, and
// several Services (agent instances) may share one Store: sessions are
// stored records whose data key only the client's token opens; each
// Service caches unwrapped keys briefly, by session id.
type Service struct {
	cfg      Config
	log      *slog.Logger
	kdfSlots chan struct{}
	addrs    *addrLimiter
	// statusCache holds the status lists read, by URI and issuer.
	statusCache *statuslist.Cache

	mu       sync.Mutex
	sessions map[string]*cachedSession
}

// liveSession is an open session with its unwrapped keys.
type liveSession struct {
	holderID string
	sid      string
	epoch    uint64
	dataKey  []byte
	recKey   []byte // seals the holder's records
	expires  time.Time
}

func (l *liveSession) wipe() { clear(l.dataKey); clear(l.recKey) }

func (l *liveSession) clone() *liveSession {
	c := *l
	c.dataKey = append([]byte(nil), l.dataKey...)
	c.recKey = append([]byte(nil), l.recKey...)
	return &c
}

// cachedSession is a live session kept in memory for a short while,
// with the hash of the token that opened it (only that token finds it).
type cachedSession struct {
	live      *liveSession
	tokenHash [32]byte
	until     time.Time
}

// Session is an open session of a holder. Token ("sid.secret") is the
// bearer secret a client sends back: sid names the stored SessionRecord
// and secret, never stored, opens the data key wrapped in it, so any
// instance on the store serves the session. The Service re-checks the
// record on every call.
type Session struct {
	Token     string    `json:"token"`
	HolderID  string    `json:"holder_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: no store", ErrInvalidConfig)
	}
	if len(cfg.Pepper) < MinPepperLen {
		return nil, fmt.Errorf("%w: the pepper needs at least %d bytes", ErrInvalidConfig, MinPepperLen)
	}
	if cfg.KDF == (KDFParams{}) {
		cfg.KDF = DefaultKDF
	}
	if err := cfg.KDF.Check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if cfg.HolderKeys == 0 {
		cfg.HolderKeys = DefaultHolderKeys
	}
	if cfg.HolderKeys < 1 || cfg.HolderKeys > MaxHolderKeys {
		return nil, fmt.Errorf("%w: holder keys must be 1 to %d", ErrInvalidConfig, MaxHolderKeys)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.SessionIdle < 0 {
		return nil, fmt.Errorf("%w: negative session idle limit", ErrInvalidConfig)
	}
	if cfg.SessionCacheTTL <= 0 {
		cfg.SessionCacheTTL = DefaultSessionCacheTTL
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.HolderLockout == (Lockout{}) {
		cfg.HolderLockout = DefaultHolderLockout
	}
	if cfg.AddressLockout == (Lockout{}) {
		cfg.AddressLockout = DefaultAddressLockout
	}
	for _, l := range []Lockout{cfg.HolderLockout, cfg.AddressLockout} {
		if l.Free < 0 || l.Base <= 0 || l.Max < l.Base {
			return nil, fmt.Errorf("%w: lockout %+v", ErrInvalidConfig, l)
		}
	}
	if cfg.MaxTrackedClients <= 0 {
		cfg.MaxTrackedClients = DefaultMaxTrackedClients
	}
	if cfg.ConcurrentUnlocks <= 0 {
		cfg.ConcurrentUnlocks = DefaultConcurrentUnlocks
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Pepper = append([]byte(nil), cfg.Pepper...)
	cfg.Flows = cfg.Flows.withDefaults()
	return &Service{
		cfg: cfg, log: cfg.Logger,
		kdfSlots:    make(chan struct{}, cfg.ConcurrentUnlocks),
		addrs:       &addrLimiter{l: cfg.AddressLockout, max: cfg.MaxTrackedClients, m: map[string]*addrState{}},
		sessions:    map[string]*cachedSession{},
		statusCache: newStatusCache(cfg.Flows, cfg.Now),
	}, nil
}

// Close forgets every cached session key (the sessions stay open in the
// store; the store is the caller's to close).
func (s *Service) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.sessions {
		c.live.wipe()
		delete(s.sessions, k)
	}
}

func (s *Service) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return nil, fmt.Errorf("wallet: randomness: %w", err)
	}
	return b, nil
}

// newID is a random opaque id: 16 bytes, base64url (22 characters).
func (s *Service) newID() (string, error) {
	b, err := s.random(16)
	if err != nil {
		return "", err
	}
	return jose.B64.EncodeToString(b), nil
}

// kdf runs an Argon2id derivation in one of the ConcurrentUnlocks slots.
func (s *Service) kdf(ctx context.Context, fn func()) error {
	select {
	case s.kdfSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.kdfSlots }()
	fn()
	return nil
}

// --- sessions ---

// newSession makes a session of holderID at epoch holding dk: the record
// to store (dk wrapped under the token's secret, which is not in it),
// the Session for the client, and the live session to cache.
func (s *Service) newSession(holderID string, epoch uint64, dk []byte) (*SessionRecord, *Session, *liveSession, error) {
	id, err := s.random(sessionIDBytes)
	if err != nil {
		return nil, nil, nil, err
	}
	secret, err := s.random(sessionSecretBytes)
	if err != nil {
		return nil, nil, nil, err
	}
	defer clear(secret)
	nonce, err := s.random(24)
	if err != nil {
		return nil, nil, nil, err
	}
	sid := jose.B64.EncodeToString(id)
	kek := sessionKEK(secret, sid)
	defer clear(kek)
	now := s.cfg.Now()
	rec := &SessionRecord{ID: sid, HolderID: holderID, Epoch: epoch, CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL), LastUsedAt: now, Idle: s.cfg.SessionIdle,
		WrappedKey: seal(kek, nonce, dk, sessionAD(holderID, sid))}
	tok := sid + "." + jose.B64.EncodeToString(secret)
	l := &liveSession{holderID: holderID, sid: sid, epoch: epoch, dataKey: append([]byte(nil), dk...),
		recKey: hkdfKey(dk, infoRecords), expires: rec.ExpiresAt}
	return rec, &Session{Token: tok, HolderID: holderID, ExpiresAt: rec.ExpiresAt}, l, nil
}

// cache keeps l (the session of token) in memory until the cache TTL or
// until, whichever is first. A full cache drops expired entries, then
// the oldest ones.
func (s *Service) cache(token string, l *liveSession, until time.Time) {
	now := s.cfg.Now()
	until = minTime(until, now.Add(s.cfg.SessionCacheTTL))
	c := &cachedSession{live: l, tokenHash: sha256.Sum256([]byte(token)), until: until}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.sessions[l.sid]; ok {
		old.live.wipe()
	} else if len(s.sessions) >= s.cfg.MaxSessions {
		s.evictLocked(now)
	}
	s.sessions[l.sid] = c
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// evictLocked drops expired cache entries, then, while the cache is
// still full, the ones that expire first.
func (s *Service) evictLocked(now time.Time) {
	for k, c := range s.sessions {
		if !now.Before(c.until) {
			c.live.wipe()
			delete(s.sessions, k)
		}
	}
	for len(s.sessions) >= s.cfg.MaxSessions {
		var first string
		for k, c := range s.sessions {
			if first == "" || c.until.Before(s.sessions[first].until) {
				first = k
			}
		}
		s.sessions[first].live.wipe()
		delete(s.sessions, first)
	}
}

// uncache drops the cached key of session sid.
func (s *Service) uncache(sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.sessions[sid]; ok {
		c.live.wipe()
		delete(s.sessions, sid)
	}
}

// uncacheHolder drops every cached key of a holder.
func (s *Service) uncacheHolder(holderID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.sessions {
		if c.live.holderID == holderID {
			c.live.wipe()
			delete(s.sessions, k)
		}
	}
}

// cached returns a copy of the cached live session of token when it is
// there, fresh, and matches rec.
func (s *Service) cached(token string, rec *SessionRecord) *liveSession {
	h := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.sessions[rec.ID]
	if !ok {
		return nil
	}
	if !s.cfg.Now().Before(c.until) {
		c.live.wipe()
		delete(s.sessions, rec.ID)
		return nil
	}
	if subtle.ConstantTimeCompare(h[:], c.tokenHash[:]) != 1 || c.live.holderID != rec.HolderID || c.live.epoch != rec.Epoch {
		return nil
	}
	return c.live.clone()
}

// sessionTx checks token in tx, as every call does: its record exists
// (not logged out, nor ended by a PIN change, a recovery or a wipe on
// any instance), has not expired, belongs to holderID (unless ""), and
// its holder is still at the session's epoch; then it returns the live
// session (a copy the caller wipes), from the cache or by unwrapping
// the record's data key with the token's secret. Every failure is
// ErrSession.
func (s *Service) sessionTx(tx Tx, token, holderID string) (*liveSession, *SessionRecord, error) {
	sid, secret, err := parseToken(token)
	if err != nil {
		return nil, nil, err
	}
	defer clear(secret)
	rec, err := tx.Session(sid)
	if errors.Is(err, ErrNotFound) {
		s.uncache(sid)
		return nil, nil, ErrSession
	}
	if err != nil {
		return nil, nil, err
	}
	if (holderID != "" && rec.HolderID != holderID) || !s.cfg.Now().Before(rec.Until()) {
		s.uncache(sid)
		return nil, nil, ErrSession
	}
	h, err := tx.Holder(rec.HolderID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrSession
	}
	if err != nil {
		return nil, nil, err
	}
	if h.Epoch != rec.Epoch {
		return nil, nil, ErrSession
	}
	if l := s.cached(token, rec); l != nil {
		return l, rec, nil
	}
	kek := sessionKEK(secret, sid)
	defer clear(kek)
	dk, err := open(kek, rec.WrappedKey, sessionAD(rec.HolderID, sid))
	if err != nil || len(dk) != DataKeyLen {
		return nil, nil, ErrSession
	}
	defer clear(dk)
	l := &liveSession{holderID: rec.HolderID, sid: sid, epoch: rec.Epoch, dataKey: append([]byte(nil), dk...),
		recKey: hkdfKey(dk, infoRecords), expires: rec.ExpiresAt}
	s.cache(token, l, rec.Until())
	return l.clone(), rec, nil
}

// Resume returns the session of a bearer token, for an API layer that
// receives tokens: ErrSession when it is malformed, unknown, expired,
// ended, or its secret does not open its record. Any instance on the
// store resumes a session opened on another. With an idle limit, it
// records the use.
func (s *Service) Resume(ctx context.Context, token string) (*Session, error) {
	var rec *SessionRecord
	err := s.cfg.Store.View(ctx, func(tx Tx) error {
		l, r, err := s.sessionTx(tx, token, "")
		if err != nil {
			return err
		}
		l.wipe()
		rec = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.touch(ctx, rec); err != nil {
		return nil, err
	}
	return &Session{Token: token, HolderID: rec.HolderID, ExpiresAt: rec.ExpiresAt}, nil
}

// touch moves an idle-limited session's LastUsedAt on, at most once per
// eighth of its idle limit (so most calls write nothing). It never
// brings back a record deleted meanwhile.
func (s *Service) touch(ctx context.Context, rec *SessionRecord) error {
	now := s.cfg.Now()
	if rec.Idle <= 0 || now.Sub(rec.LastUsedAt) < rec.Idle/8 {
		return nil
	}
	return s.cfg.Store.Batch(ctx, func(tx Tx) error {
		cur, err := tx.Session(rec.ID)
		if errors.Is(err, ErrNotFound) {
			return ErrSession
		}
		if err != nil {
			return err
		}
		if !now.Before(cur.Until()) {
			return ErrSession
		}
		if now.After(cur.LastUsedAt) {
			cur.LastUsedAt = now
		}
		return tx.PutSession(cur)
	})
}

// live checks sess against the store and returns its live session (a
// copy the caller wipes).
func (s *Service) live(ctx context.Context, sess *Session) (*liveSession, error) {
	if sess == nil {
		return nil, ErrSession
	}
	var l *liveSession
	err := s.cfg.Store.View(ctx, func(tx Tx) (err error) {
		l, _, err = s.sessionTx(tx, sess.Token, sess.HolderID)
		return err
	})
	return l, err
}

// checkSession reports whether sess is open (ErrSession when not).
func (s *Service) checkSession(ctx context.Context, sess *Session) error {
	l, err := s.live(ctx, sess)
	if err == nil {
		l.wipe()
	}
	return err
}

// Logout ends a session on every instance: its record is deleted (nothing
// when it is already gone or the token does not open it).
func (s *Service) Logout(ctx context.Context, sess *Session) error {
	if sess == nil {
		return nil
	}
	err := s.cfg.Store.Update(ctx, func(tx Tx) error {
		l, rec, err := s.sessionTx(tx, sess.Token, sess.HolderID)
		if err != nil {
			return err
		}
		l.wipe()
		return tx.DeleteSession(rec.ID)
	})
	if sid, _, perr := parseToken(sess.Token); perr == nil {
		s.uncache(sid)
	}
	if errors.Is(err, ErrSession) {
		return nil
	}
	return err
}

// SweepSessions deletes the expired session records of every holder and
// the expired cached keys; run it now and then (the agent does, every
// minute). Expired sessions are refused whether swept or not.
func (s *Service) SweepSessions(ctx context.Context) (int, error) {
	now := s.cfg.Now()
	s.mu.Lock()
	for k, c := range s.sessions {
		if !now.Before(c.until) {
			c.live.wipe()
			delete(s.sessions, k)
		}
	}
	s.mu.Unlock()
	var n int
	err := s.cfg.Store.Update(ctx, func(tx Tx) (err error) {
		n, err = tx.DeleteExpiredSessions(now)
		return err
	})
	return n, err
}

// SessionCount is the number of unwrapped session keys this instance
// keeps in memory (expired ones until they are next looked at or swept).
func (s *Service) SessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// view runs fn in a View after checking the session in it.
func (s *Service) view(ctx context.Context, sess *Session, fn func(tx Tx, l *liveSession) error) error {
	if sess == nil {
		return ErrSession
	}
	return s.cfg.Store.View(ctx, func(tx Tx) error {
		l, _, err := s.sessionTx(tx, sess.Token, sess.HolderID)
		if err != nil {
			return err
		}
		defer l.wipe()
		return fn(tx, l)
	})
}

// update runs fn in an Update after checking the session in it, so a
// session ended by a concurrent logout either ends before fn or after.
func (s *Service) update(ctx context.Context, sess *Session, fn func(tx Tx, l *liveSession) error) error {
	if sess == nil {
		return ErrSession
	}
	return s.cfg.Store.Update(ctx, func(tx Tx) error {
		l, _, err := s.sessionTx(tx, sess.Token, sess.HolderID)
		if err != nil {
			return err
		}
		defer l.wipe()
		return fn(tx, l)
	})
}

// sealJSON seals v as the record (holder, kind, id).
func (s *Service) sealJSON(l *liveSession, kind, id string, v any) ([]byte, error) {
	pt, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("wallet: encode %s: %w", kind, err)
	}
	defer clear(pt)
	nonce, err := s.random(24)
	if err != nil {
		return nil, err
	}
	return seal(l.recKey, nonce, pt, recordAD(l.holderID, kind, id)), nil
}

// openJSON opens the record (holder, kind, id) into v.
func openJSON(l *liveSession, kind, id string, sealed []byte, v any) error {
	pt, err := open(l.recKey, sealed, recordAD(l.holderID, kind, id))
	if err != nil {
		return fmt.Errorf("%w: %s %s", ErrCorrupt, kind, id)
	}
	defer clear(pt)
	if err := json.Unmarshal(pt, v); err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrCorrupt, kind, id, err)
	}
	return nil
}

// putJSON seals and stores v in tx.
func (s *Service) putJSON(tx Tx, l *liveSession, kind, id string, v any) error {
	b, err := s.sealJSON(l, kind, id, v)
	if err != nil {
		return err
	}
	return tx.PutRecord(l.holderID, kind, id, b)
}

// getJSON reads and opens a record in tx.
func getJSON(tx Tx, l *liveSession, kind, id string, v any) error {
	b, err := tx.Record(l.holderID, kind, id)
	if err != nil {
		return err
	}
	return openJSON(l, kind, id, b, v)
}

// --- the in-memory per-address limiter ---

type addrState struct {
	failures    int
	lockedUntil time.Time
	last        time.Time
}

type addrLimiter struct {
	l   Lockout
	max int
	mu  sync.Mutex
	m   map[string]*addrState
}

// reserve counts an attempt from addr as failed until forgive says
// otherwise, or refuses it while addr is locked. "" (an embedded wallet)
// is never limited.
func (a *addrLimiter) reserve(addr string, now time.Time) error {
	if addr == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.m[addr]
	if st == nil {
		if len(a.m) >= a.max {
			a.evict(now)
		}
		st = &addrState{}
		a.m[addr] = st
	}
	if now.Before(st.lockedUntil) {
		return &LockedError{Scope: "address", Until: st.lockedUntil}
	}
	st.failures++
	st.last = now
	if d := a.l.Delay(st.failures); d > 0 {
		st.lockedUntil = now.Add(d)
	}
	return nil
}

// forgive undoes a reservation whose attempt succeeded.
func (a *addrLimiter) forgive(addr string) {
	if addr == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if st := a.m[addr]; st != nil && st.failures > 0 {
		st.failures--
		if a.l.Delay(st.failures) == 0 {
			st.lockedUntil = time.Time{}
		}
	}
}

// evict drops addresses not locked and idle for Max, then, if still
// full, any unlocked one.
func (a *addrLimiter) evict(now time.Time) {
	for k, st := range a.m {
		if !now.Before(st.lockedUntil) && now.Sub(st.last) > a.l.Max {
			delete(a.m, k)
		}
	}
	for k, st := range a.m {
		if len(a.m) < a.max {
			return
		}
		if !now.Before(st.lockedUntil) {
			delete(a.m, k)
		}
	}
}
