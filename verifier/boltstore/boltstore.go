// Package boltstore is the verifier's embedded Store (DESIGN.md §6): one
// bbolt file per verifier, on internal/store/bolt. It persists sessions,
// sealed results, reviews and the keyed hashes of seen jpt proofs as typed
// records and decides nothing: the
// rules (single use, expiry, retention) are package verifier's. It runs
// the conformance suite of verifier/storetest.
package boltstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/cairn-id/cairn/internal/store/bolt"
	"github.com/cairn-id/cairn/verifier"
)

var (
	bucketSessions = []byte("sessions")
	bucketResults  = []byte("results")
	bucketReviews  = []byte("reviews")
	bucketSeen     = []byte("seen_proofs")
	allBuckets     = [][]byte{bucketSessions, bucketResults, bucketReviews, bucketSeen}
)

// MaxStoredValue bounds one stored value (a sealed result).
const MaxStoredValue = 4 << 20

// Store is the embedded verifier.Store.
type Store struct{ db *bolt.DB }

var _ verifier.Store = (*Store)(nil)

// Open opens (creating if needed, mode 0600) the bbolt file at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, bolt.Options{Buckets: allBuckets, MaxValue: MaxStoredValue})
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// View implements verifier.Store.
func (s *Store) View(ctx context.Context, fn func(tx verifier.Tx) error) error {
	return s.db.View(ctx, func(tx *bolt.Tx) error { return fn(&txn{tx: tx}) })
}

// Update implements verifier.Store.
func (s *Store) Update(ctx context.Context, fn func(tx verifier.Tx) error) error {
	return s.db.Update(ctx, func(tx *bolt.Tx) error { return fn(&txn{tx: tx}) })
}

// Batch implements verifier.Store with grouped commits.
func (s *Store) Batch(ctx context.Context, fn func(tx verifier.Tx) error) error {
	return s.db.Batch(ctx, func(tx *bolt.Tx) error { return fn(&txn{tx: tx}) })
}

type txn struct{ tx *bolt.Tx }

func notFound(err error) error {
	if errors.Is(err, bolt.ErrNotFound) {
		return fmt.Errorf("%w: %w", verifier.ErrNotFound, err)
	}
	return err
}

func get[T any](t *txn, bucket []byte, key string) (*T, error) {
	b, err := bolt.BucketOf(t.tx, bucket)
	if err != nil {
		return nil, err
	}
	var v T
	if err := bolt.GetJSON(b, []byte(key), &v); err != nil {
		return nil, notFound(err)
	}
	return &v, nil
}

func put(t *txn, bucket []byte, key string, v any) error {
	if key == "" {
		return errors.New("verifier: empty key")
	}
	b, err := bolt.BucketOf(t.tx, bucket)
	if err != nil {
		return err
	}
	return bolt.PutJSON(b, []byte(key), v, MaxStoredValue)
}

func del(t *txn, bucket []byte, key string) error {
	b, err := bolt.BucketOf(t.tx, bucket)
	if err != nil {
		return err
	}
	if b.Get([]byte(key)) == nil {
		return fmt.Errorf("%w: %s", verifier.ErrNotFound, key)
	}
	return b.Delete([]byte(key))
}

func each[T any](t *txn, bucket []byte, fn func(*T) error) error {
	b, err := bolt.BucketOf(t.tx, bucket)
	if err != nil {
		return err
	}
	return b.ForEach(func(k, raw []byte) error {
		var v T
		if err := bolt.DecodeJSON(k, raw, &v); err != nil {
			return err
		}
		return fn(&v)
	})
}

func (t *txn) Session(id string) (*verifier.Session, error) {
	return get[verifier.Session](t, bucketSessions, id)
}
func (t *txn) PutSession(s *verifier.Session) error { return put(t, bucketSessions, s.ID, s) }
func (t *txn) DeleteSession(id string) error        { return del(t, bucketSessions, id) }
func (t *txn) ForEachSession(fn func(*verifier.Session) error) error {
	return each(t, bucketSessions, fn)
}

func (t *txn) Result(id string) (*verifier.StoredResult, error) {
	return get[verifier.StoredResult](t, bucketResults, id)
}

func (t *txn) PutResult(r *verifier.StoredResult) error {
	b, err := bolt.BucketOf(t.tx, bucketResults)
	if err != nil {
		return err
	}
	if b.Get([]byte(r.SessionID)) != nil {
		return fmt.Errorf("%w: result of %s", verifier.ErrExists, r.SessionID)
	}
	return put(t, bucketResults, r.SessionID, r)
}
func (t *txn) DeleteResult(id string) error { return del(t, bucketResults, id) }
func (t *txn) ForEachResult(fn func(*verifier.StoredResult) error) error {
	return each(t, bucketResults, fn)
}

func (t *txn) Review(id string) (*verifier.Review, error) {
	return get[verifier.Review](t, bucketReviews, id)
}
func (t *txn) PutReview(r *verifier.Review) error { return put(t, bucketReviews, r.SessionID, r) }
func (t *txn) DeleteReview(id string) error       { return del(t, bucketReviews, id) }

func (t *txn) SeenProof(d string) (*verifier.SeenProof, error) {
	return get[verifier.SeenProof](t, bucketSeen, d)
}

func (t *txn) PutSeenProof(p *verifier.SeenProof) error {
	b, err := bolt.BucketOf(t.tx, bucketSeen)
	if err != nil {
		return err
	}
	if b.Get([]byte(p.Digest)) != nil {
		return fmt.Errorf("%w: seen proof", verifier.ErrExists)
	}
	return put(t, bucketSeen, p.Digest, p)
}
func (t *txn) DeleteSeenProof(d string) error { return del(t, bucketSeen, d) }
func (t *txn) ForEachSeenProof(fn func(*verifier.SeenProof) error) error {
	return each(t, bucketSeen, fn)
}
