package issuer

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/cairn-id/cairn/schemas"
)

// Store errors. Implementations wrap these so callers can match them with
// errors.Is.
var (
	ErrNotFound   = errors.New("issuer: not found")
	ErrExpired    = errors.New("issuer: expired")
	ErrUsed       = errors.New("issuer: already used")
	ErrLocked     = errors.New("issuer: locked after too many wrong transaction codes")
	ErrTxCode     = errors.New("issuer: wrong transaction code")
	ErrTxRequired = errors.New("issuer: transaction code required")
	ErrTxUnwanted = errors.New("issuer: no transaction code expected")
	ErrExists     = errors.New("issuer: already exists")
	ErrListFull   = errors.New("issuer: every status list is full")
	// ErrTooManyNonces: the store holds its maximum of live nonces.
	ErrTooManyNonces = errors.New("issuer: too many live nonces")
)

// Offer states kept in the store.
const (
	OfferPending  = "pending"  // created, code not yet redeemed
	OfferRedeemed = "redeemed" // access token issued, credential not yet
	OfferLocked   = "locked"   // too many wrong transaction codes
)

// Credential states of a Record.
const (
	StateValid     = "valid"
	StateSuspended = "suspended"
	StateRevoked   = "revoked"
)

// StoredOffer is an offer as the store keeps it. Claims live here only
// until the credential is issued or the offer expires (data minimisation):
// Issue and Sweep delete the whole entry. Codes are kept as keyed hashes.
type StoredOffer struct {
	ID              string           `json:"id"`
	ConfigurationID string           `json:"configuration_id"`
	VCT             string           `json:"vct"`
	Claims          map[string]any   `json:"claims"`
	Evidence        schemas.Evidence `json:"evidence"`
	Reference       string           `json:"reference,omitempty"`
	CodeHash        string           `json:"code_hash"`
	TxCodeHash      string           `json:"tx_code_hash,omitempty"`
	TxCodeLength    int              `json:"tx_code_length,omitempty"`
	TxAttempts      int              `json:"tx_attempts"`
	State           string           `json:"state"`
	CreatedAt       time.Time        `json:"created_at"`
	ExpiresAt       time.Time        `json:"expires_at"`
}

// AccessToken is a stored access token (by keyed hash). It is single-use
// for the credential endpoint; once used it stays valid for the
// notification endpoint until it expires.
type AccessToken struct {
	Hash         string    `json:"hash"`
	OfferID      string    `json:"offer_id"`
	ExpiresAt    time.Time `json:"expires_at"`
	CredentialID string    `json:"credential_id,omitempty"` // set once used
}

// Record is what stays after issuance: no claim values, no reference.
type Record struct {
	CredentialID     string    `json:"credential_id"`
	VCT              string    `json:"vct"`
	StatusList       string    `json:"status_list"`
	StatusIndex      int       `json:"status_index"`
	IssuedAt         time.Time `json:"issued_at"`
	ExpiresAt        time.Time `json:"expires_at"`
	HolderThumbprint string    `json:"holder_thumbprint"` // RFC 7638, of cnf.jwk
	State            string    `json:"state"`
	NotificationID   string    `json:"notification_id,omitempty"`
	Notification     string    `json:"notification,omitempty"` // last wallet event
	UpdatedAt        time.Time `json:"updated_at"`
}

// StatusList is one status list of this issuer: 2 bits per entry (valid,
// revoked, suspended), with its allocator state.
type StatusList struct {
	ID        string `json:"id"`
	Size      int    `json:"size"`
	Bits      []byte `json:"bits"`      // statuslist.List.Bytes()
	Allocator []byte `json:"allocator"` // statuslist.Allocator.MarshalBinary()
	Revision  uint64 `json:"revision"`
}

// RedeemRequest asks the store to redeem a pre-authorized code.
type RedeemRequest struct {
	CodeHash    string
	TxCodeHash  string // "" when the client sent none
	MaxAttempts int
	Now         time.Time
	Token       AccessToken // stored on success; OfferID is filled in
}

// IssueRequest asks the store to issue one credential atomically: consume
// the nonce, use the access token, allocate a random status index, record
// the issuance and delete the offer with its claims.
type IssueRequest struct {
	TokenHash      string
	NonceHash      string
	Now            time.Time
	Rand           io.Reader // for the status index
	StatusListSize int       // size of a new list when none has room
	// Sign builds the credential from the offer and the allocated status
	// reference. It runs inside the transaction: its failure rolls
	// everything back. It returns the record to store (CredentialID,
	// ExpiresAt, HolderThumbprint, NotificationID set).
	Sign func(o *StoredOffer, list string, index int) (*Record, error)
}

// Store keeps all of an issuer's state. Every method is one transaction;
// single-use values are consumed atomically, so several service instances
// may share one store.
type Store interface {
	// PutOffer stores a new offer and indexes its code hash (ErrExists
	// when the id or code hash is taken).
	PutOffer(ctx context.Context, o *StoredOffer) error
	// GetOffer returns an offer by id (ErrNotFound; ErrExpired once
	// past ExpiresAt, without deleting it).
	GetOffer(ctx context.Context, id string, now time.Time) (*StoredOffer, error)
	// Redeem checks the code and transaction code and, on success, marks
	// the offer redeemed and stores the access token. A wrong transaction
	// code increments the offer's attempt counter (locking it at
	// MaxAttempts) and returns ErrTxCode or ErrLocked; every other failure
	// (ErrNotFound, ErrExpired, ErrUsed, ErrLocked, ErrTxRequired,
	// ErrTxUnwanted) changes nothing.
	Redeem(ctx context.Context, r RedeemRequest) (*StoredOffer, error)
	// PeekToken returns an access token and its offer without changing
	// anything (ErrNotFound, ErrExpired, ErrUsed).
	PeekToken(ctx context.Context, tokenHash string, now time.Time) (*AccessToken, *StoredOffer, error)
	// PutNonce stores a c_nonce hash until expires, unless max > 0 and
	// max nonces are already stored (ErrTooManyNonces): the cap keeps a
	// flood of nonce requests from filling the disk before Sweep.
	PutNonce(ctx context.Context, nonceHash string, expires time.Time, max int) error
	// NonceCount is the number of stored nonces (expired ones included
	// until swept).
	NonceCount(ctx context.Context) (int, error)
	// Issue does what IssueRequest says, all or nothing. The nonce is
	// checked first (ErrNotFound/ErrExpired wrapped with ErrNonce), then
	// the token.
	Issue(ctx context.Context, r IssueRequest) (*Record, error)
	// Notify records a wallet event on the credential issued with the
	// token (ErrBadToken wrapping ErrNotFound or ErrExpired for a bad
	// token; ErrNotFound when the token did not issue notificationID).
	Notify(ctx context.Context, tokenHash, notificationID, event string, now time.Time) error
	// SetStatus sets a credential's state and its status list entry.
	SetStatus(ctx context.Context, credentialID, state string, now time.Time) (*Record, error)
	// StatusList returns a list by id (ErrNotFound).
	StatusList(ctx context.Context, id string) (*StatusList, error)
	// StatusListRevision returns a list's Revision (ErrNotFound), which
	// grows with every issuance and status change on the list: caches of
	// the signed list are keyed by it.
	StatusListRevision(ctx context.Context, id string) (uint64, error)
	// Records returns every issuance record, sorted by IssuedAt then id.
	Records(ctx context.Context) ([]Record, error)
	// Sweep deletes expired offers (with their claims), nonces and tokens.
	Sweep(ctx context.Context, now time.Time) (SweepStats, error)
	Close() error
}

// ErrNonce marks nonce failures of Store.Issue; ErrBadToken marks an
// unknown or expired access token in Store.Notify.
var (
	ErrNonce    = errors.New("issuer: nonce")
	ErrBadToken = errors.New("issuer: access token")
)

// SweepStats counts what a Sweep deleted.
type SweepStats struct {
	Offers, Nonces, Tokens int
}
