package wallet

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound: no such holder or record. Stores wrap it so callers can
// match it with errors.Is.
var ErrNotFound = errors.New("wallet: not found")

// Record kinds: the second part of a sealed record's address (holder id,
// kind, record id), bound into its associated data. A Store treats them as
// opaque names.
const (
	KindCredential = "credential" // one Credential per record, id = credential id
	KindKey        = "key"        // one holder private key, id = its index
	KindKeyUse     = "keyuse"     // the verifier-to-key assignment, id = "assignments"
	KindLog        = "log"        // one consent log entry, id = its sequence number (16 hex digits)
	KindLogHead    = "loghead"    // the consent log's chain head, id = "head"
	KindPending    = "pending"    // a pending offer (receiving), id = random
	KindSettings   = "settings"   // the holder's settings, id = "settings"
	KindStatus     = "status"     // the last status read per credential group, id = "statuses"
	maxKindLength  = 32           // kind names are short ASCII
	maxRecordIDLen = 64           // record ids are short ASCII
	recordIDChars  = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
)

// Holder is what the store keeps about a holder outside the sealed
// records: only opaque ids, salts, KDF parameters, wrapped (encrypted)
// data keys, counters and the timestamps the lockout needs. Nothing in it
// is readable without the holder's PIN and device secret, or the
// recovery code, and the server pepper.
type Holder struct {
	ID string `json:"id"`
	// Format is the version of the key wrapping (FormatV1).
	Format int `json:"format"`
	// PINKDF and PINSalt derive the PIN part of the key-encryption key;
	// WrappedByPIN is the data key sealed under it.
	PINKDF       KDFParams `json:"pin_kdf"`
	PINSalt      []byte    `json:"pin_salt"`
	WrappedByPIN []byte    `json:"wrapped_by_pin"`
	// RecoveryKDF and RecoverySalt derive the recovery key;
	// WrappedByRecovery is the data key sealed under it.
	RecoveryKDF       KDFParams `json:"recovery_kdf"`
	RecoverySalt      []byte    `json:"recovery_salt"`
	WrappedByRecovery []byte    `json:"wrapped_by_recovery"`
	// RecoveryLookup is a keyed hash of the recovery code (pepper-keyed
	// HMAC) indexing the holder, so a code alone finds its holder.
	RecoveryLookup string `json:"recovery_lookup"`
	// Epoch increases whenever the holder's sessions must end (PIN
	// change, recovery); a session of an older epoch is refused.
	Epoch uint64 `json:"epoch"`
	// FailedPINs counts wrong PINs since the last successful unlock;
	// LockedUntil is when the next attempt is allowed.
	FailedPINs  int       `json:"failed_pins"`
	LockedUntil time.Time `json:"locked_until"`
	CreatedAt   time.Time `json:"created_at"`
}

// Store persists holders and their sealed records; the Service decides
// (every rule on PINs, lockout, sessions, keys and the consent log is in
// package wallet). A Store never sees a plaintext: records arrive sealed.
// The conformance suite is wallet/storetest.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Update runs fn in a read-write transaction that commits when fn
	// returns nil and changes nothing when it returns an error. Updates
	// are serializable.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Batch is Update whose commit may be shared with concurrent Batch
	// calls; fn may run more than once.
	Batch(ctx context.Context, fn func(tx Tx) error) error
	Close() error
}

// Tx reads and writes one transaction's view of a Store. Getters return
// ErrNotFound for a missing key; returned values are copies the caller
// may keep. Writes in a View fail. ForEach callbacks must not write.
type Tx interface {
	// Holder returns a holder by id.
	Holder(id string) (*Holder, error)
	// PutHolder stores h under h.ID, replacing any stored one.
	PutHolder(h *Holder) error
	// DeleteHolder deletes a holder, every one of its records and
	// nothing else (nothing when absent).
	DeleteHolder(id string) error
	// HolderCount is the number of stored holders.
	HolderCount() (int, error)

	// HolderByRecovery returns the holder id indexed under lookup.
	HolderByRecovery(lookup string) (string, error)
	// PutRecoveryLookup indexes lookup to holderID.
	PutRecoveryLookup(lookup, holderID string) error
	// DeleteRecoveryLookup removes an index entry (nothing when absent).
	DeleteRecoveryLookup(lookup string) error

	// Record returns the sealed record (holderID, kind, id).
	Record(holderID, kind, id string) ([]byte, error)
	// PutRecord stores a sealed record, replacing any.
	PutRecord(holderID, kind, id string, sealed []byte) error
	// DeleteRecord deletes a record (nothing when absent).
	DeleteRecord(holderID, kind, id string) error
	// ForEachRecord calls fn with every record of a holder's kind in
	// ascending byte order of id.
	ForEachRecord(holderID, kind string, fn func(id string, sealed []byte) error) error
	// RecordCount is the number of records of a holder (all kinds).
	RecordCount(holderID string) (int, error)

	// Session returns a session record by id.
	Session(id string) (*SessionRecord, error)
	// PutSession stores r under r.ID, replacing any stored one.
	PutSession(r *SessionRecord) error
	// DeleteSession deletes a session record (nothing when absent).
	DeleteSession(id string) error
	// DeleteHolderSessions deletes every session record of a holder and
	// returns how many there were.
	DeleteHolderSessions(holderID string) (int, error)
	// DeleteExpiredSessions deletes every session record whose Until()
	// is not after now and returns how many there were.
	DeleteExpiredSessions(now time.Time) (int, error)
}

// SessionRecord is what the store keeps of an open session (the
// session token's first half, sid, is its ID). WrappedKey is the
// holder's data key sealed under a key derived from the token's secret
// half, which is never stored: without the token the record opens
// nothing. Deleting the record ends the session on every instance.
type SessionRecord struct {
	ID       string `json:"id"`
	HolderID string `json:"holder_id"`
	// Epoch is the holder's epoch when the session opened.
	Epoch     uint64    `json:"epoch"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is the absolute end of the session.
	ExpiresAt time.Time `json:"expires_at"`
	// LastUsedAt is when the session was last used (to the precision
	// the Service keeps it); with Idle > 0 the session ends Idle after.
	LastUsedAt time.Time     `json:"last_used_at"`
	Idle       time.Duration `json:"idle,omitempty"`
	WrappedKey []byte        `json:"wrapped_key"`
}

// Until is when the session ends unless it is used again: ExpiresAt,
// or LastUsedAt+Idle when that is earlier.
func (r *SessionRecord) Until() time.Time {
	if r.Idle > 0 {
		if t := r.LastUsedAt.Add(r.Idle); t.Before(r.ExpiresAt) {
			return t
		}
	}
	return r.ExpiresAt
}
