// Package boltstore is the issuer's embedded Store (DESIGN.md §6): one
// bbolt file per issuer, on internal/store/bolt. It persists typed records
// (offers, the code-hash index, access tokens, nonces, issuance records
// and reservations, status lists) and decides nothing: the rules are
// package issuer's. Status list bits and allocator states are stored as
// raw bytes under their own keys, so an issuance rewrites the allocator
// alone and a status change the bits alone. Batch groups concurrent
// commits into one fsync. It runs the conformance suite of
// issuer/storetest.
package boltstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	bbolterrors "go.etcd.io/bbolt/errors"

	"github.com/cairn-id/cairn/internal/store/bolt"
	"github.com/cairn-id/cairn/issuer"
)

var (
	bucketOffers       = []byte("offers")
	bucketCodes        = []byte("codes")
	bucketTokens       = []byte("tokens")
	bucketNonces       = []byte("nonces")
	bucketRecords      = []byte("records")
	bucketReservations = []byte("reservations")
	bucketLists        = []byte("lists")      // id -> listMeta (JSON)
	bucketListBits     = []byte("list_bits")  // id -> raw status bits
	bucketListAlloc    = []byte("list_alloc") // id -> raw allocator state
	bucketMeta         = []byte("meta")
	keyCurrent         = []byte("current_list")
	keyNonceCount      = []byte("nonce_count") // entries in bucketNonces, so the cap costs no scan
	allBuckets         = [][]byte{bucketOffers, bucketCodes, bucketTokens, bucketNonces, bucketRecords,
		bucketReservations, bucketLists, bucketListBits, bucketListAlloc, bucketMeta}
)

// MaxStoredValue bounds one stored value (an offer with its claims, a
// status list's bits).
const MaxStoredValue = 4 << 20

// Store is the embedded issuer.Store.
type Store struct {
	db *bolt.DB
}

var _ issuer.Store = (*Store)(nil)

// Open opens (creating if needed, mode 0600) the bbolt file at path. It
// waits at most a second for another process holding the file.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, bolt.Options{Buckets: allBuckets, MaxValue: MaxStoredValue,
		// Recount once at open: a file written before the counter
		// existed, or by a crash between versions, gets a true count.
		Prepare: func(tx *bolt.Tx) error {
			if err := migrateLists(tx); err != nil {
				return err
			}
			return setNonceCount(tx, tx.Bucket(bucketNonces).Stats().KeyN)
		},
	})
	if errors.Is(err, bbolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w (%w)", issuer.ErrStoreLocked, err)
	}
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	return &Store{db: db}, nil
}

// migrateLists moves the bits and allocator state of lists written by
// earlier versions (base64 inside the list's JSON) to their raw keys.
func migrateLists(tx *bolt.Tx) error {
	lists := tx.Bucket(bucketLists)
	var old []issuer.StatusList
	err := lists.ForEach(func(k, raw []byte) error {
		var l issuer.StatusList
		if err := bolt.DecodeJSON(k, raw, &l); err != nil {
			return err
		}
		if len(l.Bits) > 0 || len(l.Allocator) > 0 {
			old = append(old, l)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range old {
		if err := (&txn{tx: tx, max: MaxStoredValue}).PutStatusList(&old[i]); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// View implements issuer.Store.
func (s *Store) View(ctx context.Context, fn func(tx issuer.Tx) error) error {
	return s.db.View(ctx, func(tx *bolt.Tx) error { return fn(&txn{tx: tx, max: MaxStoredValue}) })
}

// Update implements issuer.Store.
func (s *Store) Update(ctx context.Context, fn func(tx issuer.Tx) error) error {
	return s.db.Update(ctx, func(tx *bolt.Tx) error { return fn(&txn{tx: tx, max: MaxStoredValue}) })
}

// Batch implements issuer.Store with bbolt's grouped commits.
func (s *Store) Batch(ctx context.Context, fn func(tx issuer.Tx) error) error {
	return s.db.Batch(ctx, func(tx *bolt.Tx) error { return fn(&txn{tx: tx, max: MaxStoredValue}) })
}

// txn is an issuer.Tx over a bbolt transaction.
type txn struct {
	tx  *bolt.Tx
	max int
}

// notFound maps the layer's ErrNotFound to issuer.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, bolt.ErrNotFound) {
		return issuer.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	return nil
}

func get[T any](t *txn, bucket []byte, key string) (*T, error) {
	v := new(T)
	if err := bolt.GetJSON(t.tx.Bucket(bucket), []byte(key), v); err != nil {
		return nil, notFound(err)
	}
	return v, nil
}

func (t *txn) put(bucket []byte, key string, v any) error {
	if key == "" {
		return fmt.Errorf("issuer: empty key in %s", bucket)
	}
	return bolt.PutJSON(t.tx.Bucket(bucket), []byte(key), v, t.max)
}

// add is put of a key not stored yet (issuer.ErrExists).
func (t *txn) add(bucket []byte, key string, v any) error {
	if t.tx.Bucket(bucket).Get([]byte(key)) != nil {
		return fmt.Errorf("%w: %s %q", issuer.ErrExists, bucket, key)
	}
	return t.put(bucket, key, v)
}

func (t *txn) del(bucket []byte, key string) error { return t.tx.Bucket(bucket).Delete([]byte(key)) }

func forEach[T any](t *txn, bucket []byte, fn func(k []byte, v *T) error) error {
	return t.tx.Bucket(bucket).ForEach(func(k, raw []byte) error {
		v := new(T)
		if err := bolt.DecodeJSON(k, raw, v); err != nil {
			return notFound(err)
		}
		return fn(k, v)
	})
}

func (t *txn) Offer(id string) (*issuer.StoredOffer, error) {
	return get[issuer.StoredOffer](t, bucketOffers, id)
}
func (t *txn) PutOffer(o *issuer.StoredOffer) error { return t.put(bucketOffers, o.ID, o) }
func (t *txn) DeleteOffer(id string) error          { return t.del(bucketOffers, id) }
func (t *txn) ForEachOffer(fn func(o *issuer.StoredOffer) error) error {
	return forEach(t, bucketOffers, func(_ []byte, o *issuer.StoredOffer) error { return fn(o) })
}

func (t *txn) OfferByCode(codeHash string) (string, error) {
	v := t.tx.Bucket(bucketCodes).Get([]byte(codeHash))
	if v == nil {
		return "", issuer.ErrNotFound
	}
	return string(v), nil
}

func (t *txn) PutCode(codeHash, offerID string) error {
	if codeHash == "" {
		return errors.New("issuer: empty code hash")
	}
	return t.tx.Bucket(bucketCodes).Put([]byte(codeHash), []byte(offerID))
}
func (t *txn) DeleteCode(codeHash string) error { return t.del(bucketCodes, codeHash) }

func (t *txn) Token(hash string) (*issuer.AccessToken, error) {
	return get[issuer.AccessToken](t, bucketTokens, hash)
}
func (t *txn) PutToken(tok *issuer.AccessToken) error { return t.put(bucketTokens, tok.Hash, tok) }
func (t *txn) AddToken(tok *issuer.AccessToken) error { return t.add(bucketTokens, tok.Hash, tok) }
func (t *txn) DeleteToken(hash string) error          { return t.del(bucketTokens, hash) }

// ForEachToken implements issuer.Tx. A token that no longer decodes is
// reported by its key with a zero expiry, so Sweep removes it.
func (t *txn) ForEachToken(fn func(tok *issuer.AccessToken) error) error {
	b := t.tx.Bucket(bucketTokens)
	return b.ForEach(func(k, raw []byte) error {
		tok := new(issuer.AccessToken)
		if err := bolt.DecodeJSON(k, raw, tok); err != nil {
			tok = &issuer.AccessToken{Hash: string(k)}
		}
		return fn(tok)
	})
}

func (t *txn) Nonce(hash string) (time.Time, error) {
	v := t.tx.Bucket(bucketNonces).Get([]byte(hash))
	if v == nil {
		return time.Time{}, issuer.ErrNotFound
	}
	return nonceExpiry(v)
}

func (t *txn) AddNonce(hash string, expires time.Time) error {
	if t.tx.Bucket(bucketNonces).Get([]byte(hash)) != nil {
		return fmt.Errorf("%w: nonce", issuer.ErrExists)
	}
	return t.PutNonce(hash, expires)
}

func (t *txn) PutNonce(hash string, expires time.Time) error {
	if hash == "" {
		return errors.New("issuer: empty nonce hash")
	}
	b := t.tx.Bucket(bucketNonces)
	isNew := b.Get([]byte(hash)) == nil
	if err := b.Put([]byte(hash), []byte(strconv.FormatInt(expires.UnixNano(), 10))); err != nil {
		return err
	}
	if isNew {
		return addNonceCount(t.tx, 1)
	}
	return nil
}

func (t *txn) DeleteNonce(hash string) error {
	b := t.tx.Bucket(bucketNonces)
	if b.Get([]byte(hash)) == nil {
		return issuer.ErrNotFound
	}
	if err := b.Delete([]byte(hash)); err != nil {
		return err
	}
	return addNonceCount(t.tx, -1)
}

func (t *txn) NonceCount() (int, error) { return nonceCount(t.tx) }

// ForEachNonce implements issuer.Tx. A nonce whose expiry no longer
// decodes is reported with a zero expiry, so Sweep removes it.
func (t *txn) ForEachNonce(fn func(hash string, expires time.Time) error) error {
	return t.tx.Bucket(bucketNonces).ForEach(func(k, v []byte) error {
		exp, _ := nonceExpiry(v)
		return fn(string(k), exp)
	})
}

func nonceCount(tx *bolt.Tx) (int, error) {
	v := tx.Bucket(bucketMeta).Get(keyNonceCount)
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 {
		return 0, errors.New("issuer: stored nonce counter is corrupt")
	}
	return n, nil
}

func setNonceCount(tx *bolt.Tx, n int) error {
	return tx.Bucket(bucketMeta).Put(keyNonceCount, []byte(strconv.Itoa(max(n, 0))))
}

func addNonceCount(tx *bolt.Tx, d int) error {
	n, err := nonceCount(tx)
	if err != nil {
		return err
	}
	return setNonceCount(tx, n+d)
}

func nonceExpiry(v []byte) (time.Time, error) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("issuer: stored nonce is corrupt: %w", err)
	}
	return time.Unix(0, n), nil
}

func (t *txn) Record(id string) (*issuer.Record, error) {
	return get[issuer.Record](t, bucketRecords, id)
}
func (t *txn) PutRecord(r *issuer.Record) error { return t.put(bucketRecords, r.CredentialID, r) }
func (t *txn) AddRecord(r *issuer.Record) error { return t.add(bucketRecords, r.CredentialID, r) }
func (t *txn) ForEachRecord(fn func(r *issuer.Record) error) error {
	return forEach(t, bucketRecords, func(_ []byte, r *issuer.Record) error { return fn(r) })
}

func (t *txn) Reservation(id string) (*issuer.Reservation, error) {
	return get[issuer.Reservation](t, bucketReservations, id)
}
func (t *txn) PutReservation(r *issuer.Reservation) error {
	return t.put(bucketReservations, r.CredentialID, r)
}
func (t *txn) AddReservation(r *issuer.Reservation) error {
	return t.add(bucketReservations, r.CredentialID, r)
}
func (t *txn) DeleteReservation(id string) error { return t.del(bucketReservations, id) }
func (t *txn) ForEachReservation(fn func(r *issuer.Reservation) error) error {
	return forEach(t, bucketReservations, func(_ []byte, r *issuer.Reservation) error { return fn(r) })
}

// listMeta is a status list without its bits and allocator state.
type listMeta struct {
	ID       string `json:"id"`
	Size     int    `json:"size"`
	Revision uint64 `json:"revision"`
}

func (t *txn) StatusList(id string) (*issuer.StatusList, error) {
	m, err := get[listMeta](t, bucketLists, id)
	if err != nil {
		return nil, err
	}
	bits, err := bolt.GetBytes(t.tx.Bucket(bucketListBits), []byte(id))
	if err != nil {
		return nil, fmt.Errorf("issuer: status list %s bits: %w", id, notFound(err))
	}
	alloc, err := bolt.GetBytes(t.tx.Bucket(bucketListAlloc), []byte(id))
	if err != nil {
		return nil, fmt.Errorf("issuer: status list %s allocator: %w", id, notFound(err))
	}
	return &issuer.StatusList{ID: m.ID, Size: m.Size, Revision: m.Revision, Bits: bits, Allocator: alloc}, nil
}

func (t *txn) StatusListRevision(id string) (uint64, error) {
	m, err := get[listMeta](t, bucketLists, id)
	if err != nil {
		return 0, err
	}
	return m.Revision, nil
}

func (t *txn) PutStatusList(l *issuer.StatusList) error {
	if err := t.put(bucketLists, l.ID, &listMeta{ID: l.ID, Size: l.Size, Revision: l.Revision}); err != nil {
		return err
	}
	if err := bolt.PutBytes(t.tx.Bucket(bucketListBits), []byte(l.ID), clone(l.Bits), t.max); err != nil {
		return err
	}
	return bolt.PutBytes(t.tx.Bucket(bucketListAlloc), []byte(l.ID), clone(l.Allocator), t.max)
}

func (t *txn) setRevision(id string, revision uint64) error {
	m, err := get[listMeta](t, bucketLists, id)
	if err != nil {
		return err
	}
	m.Revision = revision
	return t.put(bucketLists, id, m)
}

func (t *txn) PutStatusListBits(id string, bits []byte, revision uint64) error {
	if err := t.setRevision(id, revision); err != nil {
		return err
	}
	return bolt.PutBytes(t.tx.Bucket(bucketListBits), []byte(id), clone(bits), t.max)
}

func (t *txn) PutStatusListAllocator(id string, alloc []byte, revision uint64) error {
	if err := t.setRevision(id, revision); err != nil {
		return err
	}
	return bolt.PutBytes(t.tx.Bucket(bucketListAlloc), []byte(id), clone(alloc), t.max)
}

func (t *txn) StatusListSize(id string) (int, error) {
	m, err := get[listMeta](t, bucketLists, id)
	if err != nil {
		return 0, err
	}
	return m.Size, nil
}

// ClaimStatusIndex implements issuer.Tx in the allocator state itself:
// bbolt runs one writer at a time, so rewriting it conflicts with no one.
func (t *txn) ClaimStatusIndex(id string, idx int) error {
	alloc, err := t.StatusListAllocation(id)
	if err != nil {
		return err
	}
	next, err := issuer.ClaimInAllocatorState(alloc, idx)
	if err != nil {
		return fmt.Errorf("issuer: status list %s: %w", id, err)
	}
	return bolt.PutBytes(t.tx.Bucket(bucketListAlloc), []byte(id), next, t.max)
}

func (t *txn) StatusListAllocation(id string) ([]byte, error) {
	if _, err := get[listMeta](t, bucketLists, id); err != nil {
		return nil, err
	}
	alloc, err := bolt.GetBytes(t.tx.Bucket(bucketListAlloc), []byte(id))
	if err != nil {
		return nil, fmt.Errorf("issuer: status list %s allocator: %w", id, notFound(err))
	}
	return alloc, nil
}

func (t *txn) CurrentStatusList() (string, error) {
	return string(t.tx.Bucket(bucketMeta).Get(keyCurrent)), nil
}

func (t *txn) SetCurrentStatusList(id string) error {
	return t.tx.Bucket(bucketMeta).Put(keyCurrent, []byte(id))
}

// clone copies a value bbolt keeps until commit, so the caller may reuse
// its slice.
func clone(b []byte) []byte { return append([]byte(nil), b...) }
