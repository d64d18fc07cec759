package wallet

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
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
	// ErrBusy: too many sessions are open.
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
	// MaxSessions bounds the open sessions (DefaultMaxSessions).
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
// log and exports, over a Store. It is safe for concurrent use. Sessions
// (with the key that opens the holder's records) live only in its memory.
type Service struct {
	cfg      Config
	log      *slog.Logger
	kdfSlots chan struct{}
	addrs    *addrLimiter
	// statusCache holds the status lists read, by URI and issuer.
	statusCache *statuslist.Cache

	mu       sync.Mutex
	sessions map[[32]byte]*liveSession
}

// liveSession is a session as the Service keeps it in memory.
type liveSession struct {
	holderID string
	epoch    uint64
	dataKey  []byte
	recKey   []byte // seals the holder's records
	expires  time.Time
}

func (l *liveSession) wipe() { clear(l.dataKey); clear(l.recKey) }

// Session is an open session of a holder. Token is the bearer secret a
// client sends back; the Service re-checks the session on every call.
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
		sessions:    map[[32]byte]*liveSession{},
		statusCache: newStatusCache(cfg.Flows, cfg.Now),
	}, nil
}

// Close ends every session (the store is the caller's to close).
func (s *Service) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, l := range s.sessions {
		l.wipe()
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

func tokenKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// openSession creates an in-memory session holding dataKey.
func (s *Service) openSession(holderID string, epoch uint64, dataKey []byte) (*Session, error) {
	raw, err := s.random(32)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	l := &liveSession{holderID: holderID, epoch: epoch, dataKey: append([]byte(nil), dataKey...),
		recKey: hkdfKey(dataKey, infoRecords), expires: now.Add(s.cfg.SessionTTL)}
	tok := jose.B64.EncodeToString(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) >= s.cfg.MaxSessions {
		for k, o := range s.sessions {
			if !now.Before(o.expires) {
				o.wipe()
				delete(s.sessions, k)
			}
		}
		if len(s.sessions) >= s.cfg.MaxSessions {
			l.wipe()
			return nil, ErrBusy
		}
	}
	s.sessions[tokenKey(tok)] = l
	return &Session{Token: tok, HolderID: holderID, ExpiresAt: l.expires}, nil
}

// Resume returns the session of a bearer token (ErrSession when unknown or
// expired), for an API layer that receives tokens.
func (s *Service) Resume(token string) (*Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.liveLocked(token)
	if err != nil {
		return nil, err
	}
	return &Session{Token: token, HolderID: l.holderID, ExpiresAt: l.expires}, nil
}

func (s *Service) liveLocked(token string) (*liveSession, error) {
	k := tokenKey(token)
	l, ok := s.sessions[k]
	if !ok {
		return nil, ErrSession
	}
	if !s.cfg.Now().Before(l.expires) {
		l.wipe()
		delete(s.sessions, k)
		return nil, ErrSession
	}
	return l, nil
}

// live returns a copy of the live session of sess.
func (s *Service) live(sess *Session) (*liveSession, error) {
	if sess == nil {
		return nil, ErrSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.liveLocked(sess.Token)
	if err != nil {
		return nil, err
	}
	if l.holderID != sess.HolderID {
		return nil, ErrSession
	}
	c := *l
	c.dataKey = append([]byte(nil), l.dataKey...)
	c.recKey = append([]byte(nil), l.recKey...)
	return &c, nil
}

// Logout ends a session (nothing when it is already gone).
func (s *Service) Logout(sess *Session) {
	if sess == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey(sess.Token)
	if l, ok := s.sessions[k]; ok {
		l.wipe()
		delete(s.sessions, k)
	}
}

// endSessions ends every in-memory session of a holder.
func (s *Service) endSessions(holderID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, l := range s.sessions {
		if l.holderID == holderID {
			l.wipe()
			delete(s.sessions, k)
		}
	}
}

// SessionCount is the number of sessions in memory (expired ones until
// they are next looked at).
func (s *Service) SessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// checkEpoch reads the holder in tx and refuses a session of an older
// epoch (ended by a PIN change or recovery on any instance) or of a
// wiped holder.
func checkEpoch(tx Tx, l *liveSession) (*Holder, error) {
	h, err := tx.Holder(l.holderID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrSession
	}
	if err != nil {
		return nil, err
	}
	if h.Epoch != l.epoch {
		return nil, ErrSession
	}
	return h, nil
}

// view runs fn in a View after checking the session.
func (s *Service) view(ctx context.Context, sess *Session, fn func(tx Tx, l *liveSession) error) error {
	l, err := s.live(sess)
	if err != nil {
		return err
	}
	defer l.wipe()
	return s.cfg.Store.View(ctx, func(tx Tx) error {
		if _, err := checkEpoch(tx, l); err != nil {
			return err
		}
		return fn(tx, l)
	})
}

// update runs fn in an Update after checking the session.
func (s *Service) update(ctx context.Context, sess *Session, fn func(tx Tx, l *liveSession) error) error {
	l, err := s.live(sess)
	if err != nil {
		return err
	}
	defer l.wipe()
	return s.cfg.Store.Update(ctx, func(tx Tx) error {
		if _, err := checkEpoch(tx, l); err != nil {
			return err
		}
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
