package issuer

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/store/sweep"
	"github.com/cairn-id/cairn/schemas"
)

// The issuer's rules over the Store: offer states, transaction-code
// attempts, single use of codes, tokens and nonces, the nonce cap, status
// index allocation, status list bits and credential state transitions.
// The HTTP handlers and the admin API (issuer/api) call these methods; a
// Store only persists.

// ErrRevoked: a revoked credential cannot be suspended or reinstated.
var ErrRevoked = errors.New("issuer: credential is revoked for good")

// statusListBits is the entry width of the issuer's lists: valid,
// revoked, suspended.
const statusListBits = 2

var stateStatus = map[string]uint8{
	StateValid:     statuslist.StatusValid,
	StateRevoked:   statuslist.StatusInvalid,
	StateSuspended: statuslist.StatusSuspended,
}

// putOffer stores a new offer and indexes its code hash (ErrExists when
// the id or the code hash is taken).
func (s *Service) putOffer(ctx context.Context, o *StoredOffer) error {
	if o.ID == "" || o.CodeHash == "" {
		return errors.New("issuer: offer needs an id and a code hash")
	}
	return s.cfg.Store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Offer(o.ID); !errors.Is(err, ErrNotFound) {
			return orExists(err)
		}
		if _, err := tx.OfferByCode(o.CodeHash); !errors.Is(err, ErrNotFound) {
			return orExists(err)
		}
		if err := tx.PutOffer(o); err != nil {
			return err
		}
		return tx.PutCode(o.CodeHash, o.ID)
	})
}

// orExists is ErrExists for a lookup that found something, else its error.
func orExists(err error) error {
	if err == nil {
		return ErrExists
	}
	return err
}

// GetOffer returns a stored offer by id: ErrNotFound, or ErrExpired once
// past its expiry (the offer is left for Sweep). Callers check State.
func (s *Service) GetOffer(ctx context.Context, id string) (*StoredOffer, error) {
	var o *StoredOffer
	err := s.cfg.Store.View(ctx, func(tx Tx) (err error) {
		o, err = tx.Offer(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !s.cfg.Now().Before(o.ExpiresAt) {
		return nil, ErrExpired
	}
	return o, nil
}

// TokenGrant is a redeemed pre-authorized code.
type TokenGrant struct {
	AccessToken string
	// ExpiresAt is the token's expiry, or the offer's if that is sooner.
	ExpiresAt time.Time
	Offer     *StoredOffer
}

// RedeemCode redeems a pre-authorized code (OpenID4VCI §6.1) with the
// transaction code the client sent ("" for none) and returns a new access
// token. A wrong transaction code counts against the offer (ErrTxCode; at
// MaxTxAttempts the offer locks and the error also matches ErrLocked);
// every other refusal (ErrNotFound, ErrExpired, ErrUsed, ErrLocked,
// ErrTxRequired, ErrTxUnwanted) changes nothing. Of concurrent redeems of
// one code exactly one succeeds.
func (s *Service) RedeemCode(ctx context.Context, code, txCode string) (*TokenGrant, error) {
	now := s.cfg.Now()
	raw, err := s.random(32)
	if err != nil {
		return nil, err
	}
	codeHash, txHash := s.hash("code", code), ""
	if txCode != "" {
		txHash = s.hash("tx_code", code+"\x00"+txCode)
	}
	tok := AccessToken{Hash: s.hash("access_token", raw), ExpiresAt: now.Add(s.cfg.TokenTTL)}
	var out *StoredOffer
	var txErr error // a wrong code commits the counter, then reports
	err = s.cfg.Store.Batch(ctx, func(tx Tx) error {
		out, txErr = nil, nil
		id, err := tx.OfferByCode(codeHash)
		if err != nil {
			return err
		}
		o, err := tx.Offer(id)
		if err != nil {
			return err
		}
		if !now.Before(o.ExpiresAt) {
			return ErrExpired
		}
		switch o.State {
		case OfferPending:
		case OfferLocked:
			return ErrLocked
		default:
			return ErrUsed
		}
		switch {
		case o.TxCodeHash == "" && txHash != "":
			return ErrTxUnwanted
		case o.TxCodeHash != "" && txHash == "":
			return ErrTxRequired
		case o.TxCodeHash != "" && subtle.ConstantTimeCompare([]byte(o.TxCodeHash), []byte(txHash)) != 1:
			o.TxAttempts++
			txErr = ErrTxCode
			if s.cfg.MaxTxAttempts > 0 && o.TxAttempts >= s.cfg.MaxTxAttempts {
				o.State = OfferLocked
				txErr = fmt.Errorf("%w (%w)", ErrTxCode, ErrLocked)
			}
			return tx.PutOffer(o)
		}
		o.State = OfferRedeemed
		if err := tx.PutOffer(o); err != nil {
			return err
		}
		t := tok
		t.OfferID = o.ID
		if err := tx.AddToken(&t); errors.Is(err, ErrExists) {
			return fmt.Errorf("issuer: access token hash taken: %w", err)
		} else if err != nil {
			return err
		}
		out = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	if txErr != nil {
		return nil, txErr
	}
	exp := tok.ExpiresAt
	if out.ExpiresAt.Before(exp) {
		exp = out.ExpiresAt
	}
	return &TokenGrant{AccessToken: raw, ExpiresAt: exp, Offer: out}, nil
}

// NewNonce returns a fresh c_nonce (OpenID4VCI §7) without touching the
// store: a nonce is stateless, the MAC under a key derived from HashKey
// of its expiry and 16 random bytes. An anonymous client asking for
// nonces therefore costs the issuer no storage and cannot exhaust a
// shared resource; single use is recorded only when a credential request
// consumes the nonce (IssueCredential, inside the issuance transaction,
// which needs a valid access token).
func (s *Service) NewNonce(ctx context.Context) (string, error) {
	var b [nonceLen]byte
	b[0] = nonceVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(s.cfg.Now().Add(s.cfg.NonceTTL).Unix()))
	if _, err := io.ReadFull(s.cfg.Rand, b[9:25]); err != nil {
		return "", fmt.Errorf("issuer: randomness: %w", err)
	}
	copy(b[25:], s.nonceMAC(b[:25]))
	return jose.B64.EncodeToString(b[:]), nil
}

// Stateless nonce layout: version (1) || expiry, Unix seconds (8) ||
// random (16) || HMAC-SHA-256 truncated to 16 bytes.
const (
	nonceVersion = 1
	nonceLen     = 1 + 8 + 16 + 16
)

func (s *Service) nonceMAC(b []byte) []byte {
	m := hmac.New(sha256.New, s.nonceKey)
	m.Write(b)
	return m.Sum(nil)[:16]
}

// checkNonce verifies a stateless nonce and returns its expiry: ErrNonce
// wrapping ErrNotFound (not one of ours) or ErrExpired.
func (s *Service) checkNonce(raw string, now time.Time) (time.Time, error) {
	b, err := jose.B64.DecodeString(raw)
	if err != nil || len(b) != nonceLen || b[0] != nonceVersion || !hmac.Equal(b[25:], s.nonceMAC(b[:25])) {
		return time.Time{}, fmt.Errorf("%w: %w", ErrNonce, ErrNotFound)
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(b[1:9])), 0)
	if !now.Before(exp) {
		return time.Time{}, fmt.Errorf("%w: %w", ErrNonce, ErrExpired)
	}
	return exp, nil
}

// NonceCount is the number of stored used nonces (expired ones until
// swept): one per credential request that consumed a nonce.
func (s *Service) NonceCount(ctx context.Context) (n int, err error) {
	err = s.cfg.Store.View(ctx, func(tx Tx) error { n, err = tx.NonceCount(); return err })
	return n, err
}

// peekToken checks an unused access token and its redeemed offer
// (ErrNotFound, ErrExpired, ErrUsed).
func peekToken(tx Tx, tokenHash string, now time.Time) (*AccessToken, *StoredOffer, error) {
	tok, err := tx.Token(tokenHash)
	if err != nil {
		return nil, nil, err
	}
	if !now.Before(tok.ExpiresAt) {
		return nil, nil, ErrExpired
	}
	if tok.CredentialID != "" {
		return nil, nil, ErrUsed
	}
	o, err := tx.Offer(tok.OfferID)
	if err != nil {
		return nil, nil, err
	}
	if !now.Before(o.ExpiresAt) {
		return nil, nil, ErrExpired
	}
	if o.State != OfferRedeemed {
		return nil, nil, ErrUsed
	}
	return tok, o, nil
}

// CheckAccessToken returns the offer an unused access token was granted
// for, changing nothing (ErrNotFound, ErrExpired, ErrUsed).
func (s *Service) CheckAccessToken(ctx context.Context, accessToken string) (*StoredOffer, error) {
	var o *StoredOffer
	err := s.cfg.Store.View(ctx, func(tx Tx) (err error) {
		_, o, err = peekToken(tx, s.hash("access_token", accessToken), s.cfg.Now())
		return err
	})
	return o, err
}

// CredentialRequest is a credential request whose key proof the caller
// has verified (OpenID4VCI §8, Appendix F.1).
type CredentialRequest struct {
	AccessToken     string
	ConfigurationID string
	// HolderJWK is the proof's key (the credential's cnf.jwk), HolderDID
	// its DID (the credential's sub), Nonce the proof's c_nonce.
	HolderJWK *jose.JWK
	HolderDID string
	Nonce     string
	// More are the keys of the further proofs of a batch request (same
	// c_nonce), one more copy each: at most BatchSize-1, no key twice.
	More []BatchHolder
}

// IssuedCredential is a signed credential and its issuance record.
type IssuedCredential struct {
	Credential string
	Record     *Record
	// More are the further copies of a batch, in the order of
	// CredentialRequest.More.
	More []IssuedCredential
}

// IssueCredential issues one credential in three steps, so that no store
// transaction stays open while signing:
//
//  1. the stateless nonce is checked (ErrNonce wrapping ErrNotFound or
//     ErrExpired), then one transaction records it used (ErrNonce
//     wrapping ErrUsed the second time), uses the access token (ErrNotFound, ErrExpired,
//     ErrUsed) and reserves a random unused status index (a Reservation);
//  2. the credential is signed outside any transaction;
//  3. one transaction replaces the reservation by the Record and deletes
//     the offer with its claims.
//
// When signing or step 3 fails, the reservation is marked failed (its
// index is never handed out again; its list entry stays untouched), no
// Record exists, the access token is given back so the wallet may retry
// with a new nonce, and the nonce stays consumed. Steps 2 and 3 run even
// if ctx is cancelled after step 1, so an issuance is never left half
// done by a client going away. Of concurrent calls with one token or one
// nonce at most one succeeds.
func (s *Service) IssueCredential(ctx context.Context, r CredentialRequest) (*IssuedCredential, error) {
	t, ok := s.types[r.ConfigurationID]
	if !ok {
		return nil, fmt.Errorf("%w: configuration %q", ErrUnknownType, r.ConfigurationID)
	}
	if r.HolderJWK == nil {
		return nil, errors.New("issuer: credential request without a holder key")
	}
	holders := append([]BatchHolder{{JWK: r.HolderJWK, DID: r.HolderDID}}, r.More...)
	if len(holders) > s.cfg.BatchSize {
		return nil, fmt.Errorf("%w: %d proofs, batch size %d", ErrBatch, len(holders), s.cfg.BatchSize)
	}
	seen := map[string]bool{}
	for _, h := range holders {
		if h.JWK == nil {
			return nil, errors.New("issuer: credential request without a holder key")
		}
		if tp := h.JWK.Thumbprint(); seen[tp] {
			return nil, fmt.Errorf("%w: two proofs of one key", ErrBatch)
		} else {
			seen[tp] = true
		}
	}
	now := s.cfg.Now()
	ids := make([]string, len(holders))
	for i := range ids {
		var err error
		if ids[i], err = s.credentialID(); err != nil {
			return nil, err
		}
	}
	nonceExp, err := s.checkNonce(r.Nonce, now)
	if err != nil {
		return nil, err
	}
	res, o, err := s.reserve(ctx, s.hash("access_token", r.AccessToken), s.hash("c_nonce", r.Nonce), nonceExp, ids, r.ConfigurationID, true, now)
	if err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	out := make([]IssuedCredential, len(holders))
	recs := make([]*Record, len(holders))
	for i, h := range holders {
		if out[i].Credential, recs[i], err = s.sign(o, t, h.JWK, h.DID, ids[i], res[i].StatusList, res[i].StatusIndex, now); err != nil {
			break
		}
		out[i].Record = recs[i]
		if len(ids) > 1 {
			recs[i].Copies = slices.Delete(slices.Clone(ids), i, i+1)
		}
	}
	if err == nil {
		if err = s.commitIssuance(ctx, res, recs, now); err == nil {
			first := out[0]
			first.More = out[1:]
			return &first, nil
		}
	}
	if relErr := s.releaseReservation(ctx, res); relErr != nil {
		return nil, fmt.Errorf("%w (and releasing the reservation: %w)", err, relErr)
	}
	return nil, err
}

// reserve is step 1 of IssueCredential (and IssueJPT): one reservation
// per credential id (the copies of a batch), in one transaction. An empty
// nonceHash consumes no nonce; without withStatus no status index is
// allocated (jpt credentials).
func (s *Service) reserve(ctx context.Context, tokenHash, nonceHash string, nonceExp time.Time, credIDs []string, configID string, withStatus bool, now time.Time) ([]*Reservation, *StoredOffer, error) {
	var res []*Reservation
	var offer *StoredOffer
	err := s.cfg.Store.Batch(ctx, func(tx Tx) error {
		res, offer = nil, nil
		// Used until it expires; added, not read first (Tx.AddNonce).
		// jpt issuance (no nonceHash) consumes no nonce.
		if nonceHash != "" {
			if err := tx.AddNonce(nonceHash, nonceExp); errors.Is(err, ErrExists) {
				return fmt.Errorf("%w: %w", ErrNonce, ErrUsed)
			} else if err != nil {
				return err
			}
		}
		tok, o, err := peekToken(tx, tokenHash, now)
		if err != nil {
			return err
		}
		if o.ConfigurationID != configID {
			return fmt.Errorf("%w: the access token was granted for %s", ErrUnknownType, o.ConfigurationID)
		}
		refHash := o.ReferenceHash
		if refHash == "" && o.Reference != "" { // stored by an earlier version
			refHash = s.ReferenceHash(o.Reference)
		}
		var rs []*Reservation
		for _, credID := range credIDs {
			var list string
			var idx int
			if withStatus {
				var err error
				if list, idx, err = s.allocate(tx); err != nil {
					return err
				}
			}
			r := &Reservation{CredentialID: credID, OfferID: o.ID, TokenHash: tokenHash, VCT: o.VCT, ReferenceHash: refHash, OfferHandle: o.Handle,
				StatusList: list, StatusIndex: idx, State: ReservationPending, CreatedAt: now, ExpiresAt: tok.ExpiresAt}
			// A credential id with a record already is refused by
			// commitIssuance's AddRecord.
			if err := tx.AddReservation(r); errors.Is(err, ErrExists) {
				return fmt.Errorf("issuer: credential id taken: %w", err)
			} else if err != nil {
				return err
			}
			rs = append(rs, r)
		}
		tok.CredentialID = credIDs[0]
		if err := tx.PutToken(tok); err != nil {
			return err
		}
		res, offer = rs, o
		return nil
	})
	return res, offer, err
}

// allocate draws a random unused index of the current list, starting a
// new list when it is full, and claims it (Tx.ClaimStatusIndex).
func (s *Service) allocate(tx Tx) (string, int, error) {
	size := s.cfg.StatusListSize
	if size <= 0 || size > statuslist.MaxEntries {
		return "", 0, fmt.Errorf("issuer: status list size %d out of range", size)
	}
	cur, err := tx.CurrentStatusList()
	if err != nil {
		return "", 0, err
	}
	for tries := 0; tries < 2; tries++ {
		if cur == "" {
			if cur, err = newStatusList(tx, "1", size); err != nil {
				return "", 0, err
			}
		}
		n, err := tx.StatusListSize(cur)
		if err != nil {
			// %v: a missing list is corruption, not a missing token
			return "", 0, fmt.Errorf("issuer: current status list %s: %v", cur, err)
		}
		idx, err := s.claimIndex(tx, cur, n)
		if errors.Is(err, statuslist.ErrListFull) {
			n, err := strconv.Atoi(cur)
			if err != nil {
				return "", 0, fmt.Errorf("issuer: stored list id %q: %w", cur, err)
			}
			if cur, err = newStatusList(tx, strconv.Itoa(n+1), size); err != nil {
				return "", 0, err
			}
			continue
		}
		if err != nil {
			return "", 0, err
		}
		return cur, idx, nil
	}
	return "", 0, ErrListFull
}

// claimIndex claims an index of list drawn uniformly among its unused
// ones, as statuslist.Allocator.Allocate draws: up to RandomTries
// uniform draws over the whole list, each claimed on its own (so
// concurrent issuances claim different indices without rewriting a
// shared allocator state, and conflict only when they draw the same
// index), then, on a crowded list, one pick among the free indices of
// the whole allocation (statuslist.ErrListFull when none is left).
func (s *Service) claimIndex(tx Tx, list string, size int) (int, error) {
	for range statuslist.RandomTries {
		idx, err := statuslist.Uniform(s.cfg.Rand, size)
		if err != nil {
			return 0, err
		}
		err = tx.ClaimStatusIndex(list, idx)
		if !errors.Is(err, ErrExists) {
			return idx, err
		}
	}
	state, err := tx.StatusListAllocation(list)
	if err != nil {
		return 0, err
	}
	a := statuslist.NewAllocator(size, s.cfg.Rand)
	if err := a.UnmarshalBinary(state); err != nil {
		return 0, fmt.Errorf("issuer: status list %s: %w", list, err)
	}
	idx, err := a.Allocate()
	if err != nil {
		return 0, err
	}
	if err := tx.ClaimStatusIndex(list, idx); err != nil {
		return 0, fmt.Errorf("issuer: status list %s: free index %d: %w", list, idx, err)
	}
	return idx, nil
}

// newStatusList stores an empty list id of size entries and makes it the
// current one.
func newStatusList(tx Tx, id string, size int) (string, error) {
	l, err := statuslist.New(statusListBits, size)
	if err != nil {
		return "", err
	}
	alloc, err := statuslist.NewAllocator(size, nil).MarshalBinary()
	if err != nil {
		return "", err
	}
	if err := tx.PutStatusList(&StatusList{ID: id, Size: size, Bits: l.Bytes(), Allocator: alloc}); err != nil {
		return "", err
	}
	return id, tx.SetCurrentStatusList(id)
}

// commitIssuance is step 3 of IssueCredential: recs[i] replaces res[i].
func (s *Service) commitIssuance(ctx context.Context, res []*Reservation, recs []*Record, now time.Time) error {
	for i, rec := range recs {
		rec.VCT, rec.StatusList, rec.StatusIndex = res[i].VCT, res[i].StatusList, res[i].StatusIndex
		rec.IssuedAt, rec.UpdatedAt, rec.State = now, now, StateValid
		rec.ReferenceHash, rec.OfferHandle = res[i].ReferenceHash, res[i].OfferHandle
	}
	return s.cfg.Store.Batch(ctx, func(tx Tx) error {
		for i, rec := range recs {
			cur, err := tx.Reservation(res[i].CredentialID)
			if err != nil {
				return fmt.Errorf("issuer: reservation of %s: %w", res[i].CredentialID, err)
			}
			if cur.State != ReservationPending {
				return fmt.Errorf("issuer: reservation of %s is %s", res[i].CredentialID, cur.State)
			}
			if err := tx.AddRecord(rec); errors.Is(err, ErrExists) {
				return fmt.Errorf("issuer: credential id %s taken: %w", rec.CredentialID, err)
			} else if err != nil {
				return err
			}
			if err := tx.DeleteReservation(res[i].CredentialID); err != nil {
				return err
			}
		}
		o, err := tx.Offer(res[0].OfferID)
		if errors.Is(err, ErrNotFound) {
			return nil // swept meanwhile
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteOffer(o.ID); err != nil {
			return err
		}
		return tx.DeleteCode(o.CodeHash)
	})
}

// releaseReservation marks a reservation failed and gives its access
// token back (the nonce stays consumed).
func (s *Service) releaseReservation(ctx context.Context, rs []*Reservation) error {
	res := rs[0]
	return s.cfg.Store.Update(ctx, func(tx Tx) error {
		pending := false
		for _, r := range rs {
			cur, err := tx.Reservation(r.CredentialID)
			if err != nil {
				return err
			}
			if cur.State != ReservationPending {
				continue
			}
			pending = true
			cur.State = ReservationFailed
			if err := tx.PutReservation(cur); err != nil {
				return err
			}
		}
		if !pending {
			return nil
		}
		tok, err := tx.Token(res.TokenHash)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if tok.CredentialID != res.CredentialID {
			return nil
		}
		tok.CredentialID = ""
		return tx.PutToken(tok)
	})
}

// offerClaims are the claims an offer's credential carries, whatever its
// format: the sealed content and the evidence claim.
func (s *Service) offerClaims(o *StoredOffer) (map[string]any, error) {
	content, _, err := s.OfferContent(o)
	if err != nil {
		return nil, err
	}
	claims := make(map[string]any, len(content)+2)
	for k, v := range content {
		claims[k] = v
	}
	ev, err := evidenceClaim(o.Evidence)
	if err != nil {
		return nil, err
	}
	claims["evidence"] = ev
	return claims, nil
}

// sign builds and signs the credential for an offer, with the reserved
// status entry, and returns its record (CredentialID, ExpiresAt,
// HolderThumbprint and NotificationID set).
func (s *Service) sign(o *StoredOffer, t *schemas.Type, holderJWK *jose.JWK, holderDID, credID, list string, idx int, now time.Time) (string, *Record, error) {
	claims, err := s.offerClaims(o)
	if err != nil {
		return "", nil, err
	}
	claims["sub"] = holderDID
	ttl := s.cfg.CredentialTTL
	if t.MaxTTL > 0 && t.MaxTTL < ttl {
		ttl = t.MaxTTL
	}
	cred, err := sdjwtvc.Issue(sdjwtvc.Credential{
		VCT: o.VCT, Issuer: s.did, IssuedAt: now, ExpiresAt: now.Add(ttl), HolderJWK: holderJWK,
		Status:      statuslist.Reference{Index: idx, URI: s.StatusListURI(list)}.Claim(),
		Claims:      claims,
		Disclosable: presentPaths(claims, t.DisclosablePaths()),
	}, sdjwtvc.IssueOptions{Signer: s.signer, Rand: s.cfg.Rand})
	if err != nil {
		return "", nil, fmt.Errorf("issuer: sign credential: %w", err)
	}
	nid, err := s.random(16)
	if err != nil {
		return "", nil, err
	}
	return cred, &Record{CredentialID: credID, ExpiresAt: now.Add(ttl), HolderThumbprint: holderJWK.Thumbprint(), NotificationID: nid}, nil
}

// Notify records a wallet event (OpenID4VCI §11) on the credential issued
// with the access token: ErrBadToken wrapping ErrNotFound or ErrExpired
// for a bad token, ErrNotFound when the token did not issue
// notificationID.
func (s *Service) Notify(ctx context.Context, accessToken, notificationID, event string) error {
	now := s.cfg.Now()
	hash := s.hash("access_token", accessToken)
	return s.cfg.Store.Update(ctx, func(tx Tx) error {
		tok, err := tx.Token(hash)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBadToken, err)
		}
		if !now.Before(tok.ExpiresAt) {
			return fmt.Errorf("%w: %w", ErrBadToken, ErrExpired)
		}
		if tok.CredentialID == "" {
			return ErrNotFound
		}
		rec, err := tx.Record(tok.CredentialID)
		if err != nil {
			return err
		}
		if rec.NotificationID == "" || subtle.ConstantTimeCompare([]byte(rec.NotificationID), []byte(notificationID)) != 1 {
			return ErrNotFound
		}
		rec.Notification, rec.UpdatedAt = event, now
		return tx.PutRecord(rec)
	})
}

// changeStatus sets a credential's state and its status list entry; a
// revoked credential stays revoked (ErrRevoked).
func (s *Service) changeStatus(ctx context.Context, credentialID, state string) (*Record, error) {
	status, ok := stateStatus[state]
	if !ok {
		return nil, fmt.Errorf("issuer: unknown state %q", state)
	}
	now := s.cfg.Now()
	var out *Record
	err := s.cfg.Store.Update(ctx, func(tx Tx) error {
		rec, err := tx.Record(credentialID)
		if err != nil {
			return err
		}
		if rec.Format == FormatJPT {
			return fmt.Errorf("%w (%s expires at %s)", ErrNoStatus, credentialID, rec.ExpiresAt.UTC().Format(time.RFC3339))
		}
		// Every copy of a batch issuance changes together.
		recs := []*Record{rec}
		for _, id := range rec.Copies {
			c, err := tx.Record(id)
			if err != nil {
				return fmt.Errorf("issuer: copy %s of %s: %v", id, credentialID, err)
			}
			recs = append(recs, c)
		}
		for _, r := range recs {
			if r.State == StateRevoked && state != StateRevoked {
				return ErrRevoked
			}
		}
		// Copies usually share a list: set their bits in one copy of each
		// list and write each list once, with one revision step.
		type changed struct {
			l   *StatusList
			lst *statuslist.List
		}
		var order []string
		lists := map[string]*changed{}
		for _, r := range recs {
			c := lists[r.StatusList]
			if c == nil {
				l, err := tx.StatusList(r.StatusList)
				if err != nil {
					return err
				}
				lst, err := statuslist.FromBytes(statusListBits, l.Size, l.Bits)
				if err != nil {
					return fmt.Errorf("issuer: status list %s: %w", l.ID, err)
				}
				c = &changed{l: l, lst: lst}
				lists[r.StatusList] = c
				order = append(order, r.StatusList)
			}
			if err := c.lst.Set(r.StatusIndex, status); err != nil {
				return err
			}
			r.State, r.UpdatedAt = state, now
			if err := tx.PutRecord(r); err != nil {
				return err
			}
		}
		for _, id := range order {
			c := lists[id]
			if err := tx.PutStatusListBits(c.l.ID, c.lst.Bytes(), c.l.Revision+1); err != nil {
				return err
			}
		}
		out = rec
		return nil
	})
	return out, err
}

// StatusList returns a status list by id (ErrNotFound).
func (s *Service) StatusList(ctx context.Context, id string) (l *StatusList, err error) {
	err = s.cfg.Store.View(ctx, func(tx Tx) error { l, err = tx.StatusList(id); return err })
	return l, err
}

// StatusListRevision returns a list's revision (ErrNotFound), which grows
// with every status change on the list (an issuance claims an index
// whose entry stays valid, so the list does not change): caches of the
// signed list are keyed by it.
func (s *Service) StatusListRevision(ctx context.Context, id string) (rev uint64, err error) {
	err = s.cfg.Store.View(ctx, func(tx Tx) error { rev, err = tx.StatusListRevision(id); return err })
	return rev, err
}

// Ready reports whether the store answers a read.
func (s *Service) Ready(ctx context.Context) error {
	return s.cfg.Store.View(ctx, func(tx Tx) error {
		_, err := tx.CurrentStatusList()
		return err
	})
}

// Records returns every issuance record (no claim values), sorted by
// IssuedAt then credential id.
func (s *Service) Records(ctx context.Context) ([]Record, error) {
	var out []Record
	err := s.cfg.Store.View(ctx, func(tx Tx) error {
		return tx.ForEachRecord(func(r *Record) error { out = append(out, *r); return nil })
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].IssuedAt.Equal(out[j].IssuedAt) {
			return out[i].IssuedAt.Before(out[j].IssuedAt)
		}
		return out[i].CredentialID < out[j].CredentialID
	})
	return out, nil
}

// Sweep deletes expired offers (and their claims), nonces, tokens and
// reservations. A server calls it periodically, and several instances may
// sweep one store at once. The candidates are found on one read-only
// snapshot (View), so the scan takes no write locks and never conflicts;
// they are then deleted by key, at most sweep.Batch per Update, each one's
// expiry read again inside that transaction: a value a concurrent
// transaction changed or deleted since the scan is left to it, and every
// deletion is counted once across sweepers.
func (s *Service) Sweep(ctx context.Context) (SweepStats, error) {
	now := s.cfg.Now()
	var offers, nonces, tokens, reservations []string
	err := s.cfg.Store.View(ctx, func(tx Tx) error {
		offers, nonces, tokens, reservations = nil, nil, nil, nil
		return errors.Join(
			tx.ForEachOffer(func(o *StoredOffer) error {
				if !now.Before(o.ExpiresAt) {
					offers = append(offers, o.ID)
				}
				return nil
			}),
			tx.ForEachNonce(func(h string, exp time.Time) error {
				if !now.Before(exp) {
					nonces = append(nonces, h)
				}
				return nil
			}),
			tx.ForEachToken(func(t *AccessToken) error {
				if !now.Before(t.ExpiresAt) {
					tokens = append(tokens, t.Hash)
				}
				return nil
			}),
			tx.ForEachReservation(func(r *Reservation) error {
				if !now.Before(r.ExpiresAt) {
					reservations = append(reservations, r.CredentialID)
				}
				return nil
			}),
		)
	})
	if err != nil {
		return SweepStats{}, err
	}
	var st SweepStats
	for _, step := range []struct {
		keys []string
		n    *int
		del  func(tx Tx, key string) (bool, error)
	}{
		{offers, &st.Offers, func(tx Tx, id string) (bool, error) {
			o, err := tx.Offer(id)
			if errors.Is(err, ErrNotFound) || (err == nil && now.Before(o.ExpiresAt)) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			if err := tx.DeleteCode(o.CodeHash); err != nil && !errors.Is(err, ErrNotFound) {
				return false, err
			}
			return true, tx.DeleteOffer(id)
		}},
		{nonces, &st.Nonces, func(tx Tx, h string) (bool, error) {
			exp, err := tx.Nonce(h)
			if errors.Is(err, ErrNotFound) || (err == nil && now.Before(exp)) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return true, tx.DeleteNonce(h)
		}},
		{tokens, &st.Tokens, func(tx Tx, h string) (bool, error) {
			t, err := tx.Token(h)
			if errors.Is(err, ErrNotFound) || (err == nil && now.Before(t.ExpiresAt)) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return true, tx.DeleteToken(h)
		}},
		{reservations, &st.Reservations, func(tx Tx, id string) (bool, error) {
			r, err := tx.Reservation(id)
			if errors.Is(err, ErrNotFound) || (err == nil && now.Before(r.ExpiresAt)) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return true, tx.DeleteReservation(id)
		}},
	} {
		n, err := sweep.Delete(ctx, step.keys, s.cfg.Store.Update, step.del)
		*step.n += n
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// presentPaths keeps the JSON Pointers (with "*" for every array element)
// that lead to a value in claims (claimpath.Present): a type marks optional
// claims as always disclosable, and an offer need not carry them. A path
// that is not a pointer names nothing.
func presentPaths(claims map[string]any, paths []string) []string {
	var out []string
	for _, p := range paths {
		if segs, err := claimpath.Split(p); err == nil && claimpath.Present(claims, segs) {
			out = append(out, p)
		}
	}
	return out
}
