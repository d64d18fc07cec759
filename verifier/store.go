package verifier

import (
	"context"
	"errors"
	"time"
)

// Store errors; implementations wrap them so errors.Is matches.
var (
	ErrNotFound = errors.New("verifier: not found")
	ErrExists   = errors.New("verifier: already exists")
)

// Session states.
const (
	SessionCreated  = "created"  // request object not yet fetched
	SessionFetched  = "fetched"  // request object served (once)
	SessionAnswered = "answered" // a response was accepted (once)
)

// Session is a presentation request as the store keeps it. The ephemeral
// ECDH key is kept sealed (by the service's results key), never in the
// clear. Nonce and State are public values of the request object, kept
// while the session waits and cleared when it is answered: a store holds
// no nonce beside a result.
type Session struct {
	ID           string `json:"id"`
	Purpose      string `json:"purpose"`
	Nonce        string `json:"nonce"`
	State        string `json:"state"`
	ResponseMode string `json:"response_mode"`
	SealedKey    []byte `json:"sealed_key,omitempty"`
	// EncKid is the kid of the session's encryption key (its RFC 7638
	// thumbprint): a direct_post.jwt answer must name it.
	EncKid string `json:"enc_kid,omitempty"`
	// SameDevice: the answer is followed by a redirect carrying a
	// one-time response_code, and the result is released (ResultByCode)
	// only against it (OpenID4VP 1.0 §8.2, §13.3).
	SameDevice bool `json:"same_device,omitempty"`
	// ResponseCodeHash is the SHA-256 of the response_code handed out
	// when the answer was taken; ResponseCodeUsed once it was redeemed.
	ResponseCodeHash []byte    `json:"response_code_hash,omitempty"`
	ResponseCodeUsed bool      `json:"response_code_used,omitempty"`
	Status           string    `json:"status"`
	CreatedAt        time.Time `json:"created_at"`
	ExpiresAt        time.Time `json:"expires_at"`
	// ResultExpiresAt is when the result (once there is one) is deleted:
	// the purpose's retention after the session's creation.
	ResultExpiresAt time.Time `json:"result_expires_at"`
}

// StoredResult is a result as kept: its outcome code in the clear (for
// counting and sweeping, no claim values) and the full Result sealed.
type StoredResult struct {
	SessionID string    `json:"session_id"`
	Purpose   string    `json:"purpose"`
	Code      Code      `json:"code"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Sealed    []byte    `json:"sealed"`
}

// Review is a caseworker's reviewed decision on a result, kept beside the
// automated one and never replacing it (GDPR Art. 22). Its reason is
// sealed with the result's key when stored.
type Review struct {
	SessionID    string    `json:"session_id"`
	Decision     string    `json:"decision"` // "accept" or "reject"
	SealedReason []byte    `json:"sealed_reason"`
	Caseworker   string    `json:"caseworker"`
	At           time.Time `json:"at"`
}

// SeenProof records that a jpt presentation's proof was seen, for
// refusing a replay of that bearer presentation (CodeJPTReplayed). It
// keeps a keyed hash of the proof (Sealer.ProofDigest: HMAC-SHA256 under a
// key derived from the results key), never the proof, and only for the
// replay window: until the nonce it was made for stops being accepted,
// the session's expiry (Sweep deletes it after).
type SeenProof struct {
	Digest    string    `json:"digest"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Review decisions.
const (
	DecisionAccept = "accept"
	DecisionReject = "reject"
)

// Store persists a verifier's sessions, results and reviews; the Service
// decides (every rule is in this package, not in a Store). Single-use
// values (a request_uri, a response) are consumed by a read-check-write in
// one Update, so several service instances may share one store. The
// conformance suite is verifier/storetest.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Update runs fn in a serializable read-write transaction that commits
	// when fn returns nil and changes nothing otherwise.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Batch is Update whose commit may be shared with concurrent Batch
	// calls (one durable write for several). fn may run more than once,
	// so it must set its results afresh on each call.
	Batch(ctx context.Context, fn func(tx Tx) error) error
	Close() error
}

// Tx reads and writes one transaction's view of a Store. Getters return
// ErrNotFound for a missing key and copies the caller may keep. ForEach
// callbacks must not write.
type Tx interface {
	Session(id string) (*Session, error)
	// PutSession creates or replaces a session.
	PutSession(s *Session) error
	DeleteSession(id string) error
	ForEachSession(fn func(*Session) error) error

	Result(sessionID string) (*StoredResult, error)
	// PutResult stores a result; ErrExists when the session has one.
	PutResult(r *StoredResult) error
	DeleteResult(sessionID string) error
	ForEachResult(fn func(*StoredResult) error) error

	// SeenProof returns a seen proof by digest.
	SeenProof(digest string) (*SeenProof, error)
	// PutSeenProof records a seen proof; ErrExists when its digest is
	// already recorded.
	PutSeenProof(p *SeenProof) error
	DeleteSeenProof(digest string) error
	ForEachSeenProof(fn func(*SeenProof) error) error

	Review(sessionID string) (*Review, error)
	// PutReview creates or replaces a review.
	PutReview(r *Review) error
	DeleteReview(sessionID string) error
}
