package issuer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/statuslist"
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
// IssueCredential and Sweep delete the whole entry. Codes are kept as keyed hashes.
//
// ID redeems the offer (it is in the QR code's URL and derives the
// pre-authorized code): it is a bearer secret, shown only in the QR code.
// Handle is the offer's public name for operators, files and summaries;
// it does not lead to ID without the store.
//
// Claims and Reference are sealed (Service.OfferContent): offers created
// since the sealing carry them only in Sealed; Claims and Reference are
// read, in clear, only from offers stored by an earlier version.
type StoredOffer struct {
	ID              string           `json:"id"`
	Handle          string           `json:"handle,omitempty"`
	ConfigurationID string           `json:"configuration_id"`
	VCT             string           `json:"vct"`
	Claims          map[string]any   `json:"claims,omitempty"`
	Sealed          string           `json:"sealed,omitempty"`
	Evidence        schemas.Evidence `json:"evidence"`
	Reference       string           `json:"reference,omitempty"`
	// ReferenceHash is the keyed hash of the reference (for finding the
	// credential by reference once issued); Batch names the offer-batch
	// drive that made it, if any.
	ReferenceHash string    `json:"reference_hash,omitempty"`
	Batch         string    `json:"batch,omitempty"`
	CodeHash      string    `json:"code_hash"`
	TxCodeHash    string    `json:"tx_code_hash,omitempty"`
	TxCodeLength  int       `json:"tx_code_length,omitempty"`
	TxAttempts    int       `json:"tx_attempts"`
	State         string    `json:"state"`
	CreatedAt     time.Time `json:"created_at"`
	ExpiresAt     time.Time `json:"expires_at"`
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

// Record is what stays after issuance: no claim values; the offer's
// reference, when one was given, only as its keyed hash (ReferenceHash),
// so 'cairn issuer list --reference' finds it while the record itself
// does not say it.
type Record struct {
	CredentialID string `json:"credential_id"`
	// Format is FormatJPT for a jpt credential (no status entry: StatusList
	// is empty, and no holder key); empty for an SD-JWT VC.
	Format           string    `json:"format,omitempty"`
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
	ReferenceHash    string    `json:"reference_hash,omitempty"`
	OfferHandle      string    `json:"offer_handle,omitempty"`
	// Copies are the credential ids of the other copies of a batch
	// issuance (copies.go); a status change applies to all of them.
	Copies []string `json:"copies,omitempty"`
}

// StatusList is one status list of this issuer: 2 bits per entry (valid,
// revoked, suspended), with its allocator state. Stores keep Bits and
// Allocator as raw bytes beside the rest.
type StatusList struct {
	ID        string `json:"id"`
	Size      int    `json:"size"`
	Bits      []byte `json:"bits"`      // statuslist.List.Bytes()
	Allocator []byte `json:"allocator"` // statuslist.Allocator.MarshalBinary()
	Revision  uint64 `json:"revision"`
}

// Reservation states.
const (
	ReservationPending = "pending" // index reserved, credential being signed
	ReservationFailed  = "failed"  // signing failed; the index stays unused
)

// Reservation is phase one of an issuance (IssueCredential): the nonce
// and the access token are consumed and a status index is reserved for
// CredentialID, before the credential is signed outside any transaction.
// Phase three replaces it by the Record; a failed signature marks it
// failed and gives the token back. The index of a reservation is never
// handed out again: a failed one burns it, with its list entry untouched
// (VALID, and no credential refers to it). Sweep deletes reservations
// once ExpiresAt (the token's expiry) has passed.
type Reservation struct {
	CredentialID  string    `json:"credential_id"`
	OfferID       string    `json:"offer_id"`
	TokenHash     string    `json:"token_hash"`
	ReferenceHash string    `json:"reference_hash,omitempty"`
	OfferHandle   string    `json:"offer_handle,omitempty"`
	VCT           string    `json:"vct"`
	StatusList    string    `json:"status_list"`
	StatusIndex   int       `json:"status_index"`
	State         string    `json:"state"`
	CreatedAt     time.Time `json:"created_at"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// Store persists an issuer's state; the Service decides (every rule on
// offers, codes, tokens, nonces, status lists and credential states is in
// package issuer, not in a Store). A Store runs transactions over typed
// records; single-use values are consumed by reading and deleting them in
// one Update, so several service instances may share one store. The
// conformance suite is issuer/storetest.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Update runs fn in a read-write transaction that commits when fn
	// returns nil and changes nothing when it returns an error. Updates
	// are serializable: what fn read is unchanged when its writes
	// commit, so a read-check-write in one Update has exactly one
	// winner among concurrent ones.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Batch is Update whose commit may be shared with concurrent Batch
	// calls (one durable write for several). fn may run more than once,
	// so it must set its results afresh on each call.
	Batch(ctx context.Context, fn func(tx Tx) error) error
	Close() error
}

// Tx reads and writes one transaction's view of a Store. Getters return
// ErrNotFound for a missing key; the returned values are copies the
// caller may keep. Writes in a View transaction fail. ForEach callbacks
// must not write: collect, then write after the loop.
type Tx interface {
	// Offer returns an offer by id.
	Offer(id string) (*StoredOffer, error)
	// PutOffer stores o under o.ID, replacing any stored one.
	PutOffer(o *StoredOffer) error
	// DeleteOffer deletes an offer (nothing when absent).
	DeleteOffer(id string) error
	// ForEachOffer calls fn with every stored offer.
	ForEachOffer(fn func(o *StoredOffer) error) error

	// OfferByCode returns the id of the offer whose code hashes to
	// codeHash.
	OfferByCode(codeHash string) (string, error)
	// PutCode indexes codeHash to offerID.
	PutCode(codeHash, offerID string) error
	// DeleteCode removes a code hash (nothing when absent).
	DeleteCode(codeHash string) error

	// Token returns an access token by hash.
	Token(hash string) (*AccessToken, error)
	// PutToken stores t under t.Hash, replacing any stored one.
	PutToken(t *AccessToken) error
	// AddToken stores a new token: ErrExists, and nothing changes, when
	// t.Hash is taken. (A store may decide that by the key's uniqueness
	// alone, without the read of a missing key that PutToken after Token
	// needs, which a serializable store locks around the key.)
	AddToken(t *AccessToken) error
	// DeleteToken deletes a token (nothing when absent).
	DeleteToken(hash string) error
	// ForEachToken calls fn with every stored token.
	ForEachToken(fn func(t *AccessToken) error) error

	// Nonce returns the expiry of a stored nonce hash.
	Nonce(hash string) (time.Time, error)
	// PutNonce stores a nonce hash until expires, replacing any.
	PutNonce(hash string, expires time.Time) error
	// AddNonce stores a new nonce hash until expires: ErrExists, and
	// nothing changes, when it is stored (used) already.
	AddNonce(hash string, expires time.Time) error
	// DeleteNonce deletes a nonce hash (ErrNotFound when absent, so a
	// nonce is consumed once).
	DeleteNonce(hash string) error
	// NonceCount is the number of stored nonces (expired ones included
	// until deleted), without a scan.
	NonceCount() (int, error)
	// ForEachNonce calls fn with every stored nonce.
	ForEachNonce(fn func(hash string, expires time.Time) error) error

	// Record returns an issuance record by credential id.
	Record(credentialID string) (*Record, error)
	// PutRecord stores r under r.CredentialID, replacing any stored one.
	PutRecord(r *Record) error
	// AddRecord stores a new record: ErrExists, and nothing changes,
	// when r.CredentialID has one.
	AddRecord(r *Record) error
	// ForEachRecord calls fn with every record, in no particular order.
	ForEachRecord(fn func(r *Record) error) error

	// Reservation returns an issuance reservation by credential id.
	Reservation(credentialID string) (*Reservation, error)
	// PutReservation stores r under r.CredentialID.
	PutReservation(r *Reservation) error
	// AddReservation stores a new reservation: ErrExists, and nothing
	// changes, when r.CredentialID has one.
	AddReservation(r *Reservation) error
	// DeleteReservation deletes a reservation (nothing when absent).
	DeleteReservation(credentialID string) error
	// ForEachReservation calls fn with every reservation.
	ForEachReservation(fn func(r *Reservation) error) error

	// StatusList returns a whole list (Bits and Allocator included).
	StatusList(id string) (*StatusList, error)
	// StatusListRevision returns a list's Revision alone.
	StatusListRevision(id string) (uint64, error)
	// PutStatusList stores a whole list.
	PutStatusList(l *StatusList) error
	// PutStatusListBits replaces a list's Bits and Revision.
	PutStatusListBits(id string, bits []byte, revision uint64) error
	// PutStatusListAllocator replaces a list's Allocator and Revision
	// (and with them every index claimed since: the state is whole).
	PutStatusListAllocator(id string, allocator []byte, revision uint64) error
	// StatusListSize returns a list's Size alone.
	StatusListSize(id string) (int, error)
	// ClaimStatusIndex marks index idx of list id used, unless it
	// already is (in the allocator state or by an earlier claim):
	// ErrExists then, and nothing changes. ErrNotFound without the list;
	// an error for an index outside [0, Size). The list's Revision stays
	// (its entries do not change). A store may keep claims apart from
	// the Allocator it was given (one row per index, so that concurrent
	// issuances do not rewrite one shared value); StatusListAllocation
	// includes them.
	ClaimStatusIndex(id string, idx int) error
	// StatusListAllocation returns the list's allocator state
	// (statuslist.Allocator.MarshalBinary form) with every claimed
	// index marked used.
	StatusListAllocation(id string) ([]byte, error)
	// CurrentStatusList is the id of the list new credentials draw from
	// ("" and no error before the first).
	CurrentStatusList() (string, error)
	// SetCurrentStatusList records the current list.
	SetCurrentStatusList(id string) error
}

// ErrNonce marks nonce failures of IssueCredential; ErrBadToken marks an
// unknown or expired access token in Notify.
var (
	ErrNonce    = errors.New("issuer: nonce")
	ErrBadToken = errors.New("issuer: access token")
)

// SweepStats counts what a Sweep deleted.
type SweepStats struct {
	Offers, Nonces, Tokens, Reservations int
}

// ClaimInAllocatorState is ClaimStatusIndex for a store that keeps the
// claims in the allocator state (statuslist.Allocator.MarshalBinary
// form) itself: the state with idx marked used, ErrExists when it
// already was.
func ClaimInAllocatorState(state []byte, idx int) ([]byte, error) {
	next, err := statuslist.MarkUsedState(state, idx)
	if errors.Is(err, statuslist.ErrIndexInUse) {
		return nil, fmt.Errorf("%w: status index %d", ErrExists, idx)
	}
	return next, err
}
