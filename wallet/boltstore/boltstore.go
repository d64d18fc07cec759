// Package boltstore is the wallet agent's embedded Store (DESIGN.md §6):
// one bbolt file per agent, on internal/store/bolt. It persists holders
// (JSON: ids, salts, KDF parameters, wrapped data keys, lockout counters),
// the recovery-lookup index, session records (with an index by holder),
// and sealed records in one nested bucket per holder and kind, so a wipe deletes a holder's records as one bucket. It
// decides nothing and never sees a plaintext: the rules and the
// encryption are package wallet's. It runs the conformance suite of
// wallet/storetest.
package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/store/bolt"
	"github.com/cairn-id/cairn/wallet"
)

var (
	bucketHolders  = []byte("holders")  // holder id -> wallet.Holder (JSON)
	bucketRecovery = []byte("recovery") // recovery lookup -> holder id
	bucketRecords  = []byte("records")  // holder id -> kind -> record id -> sealed bytes
	bucketSessions = []byte("sessions") // session id -> wallet.SessionRecord (JSON)
	// holder id 0x00 session id -> empty: a holder's sessions
	bucketHolderSessions = []byte("holder_sessions")
	allBuckets           = [][]byte{bucketHolders, bucketRecovery, bucketRecords, bucketSessions, bucketHolderSessions}
)

// MaxStoredValue bounds one stored value (a sealed credential is at most
// wallet.MaxCredentialLen plus its JSON and AEAD overhead).
const MaxStoredValue = 1 << 20

// Store is the embedded wallet.Store.
type Store struct {
	db *bolt.DB
}

var _ wallet.Store = (*Store)(nil)

// Open opens (creating if needed, mode 0600) the bbolt file at path. It
// waits at most a second for another process holding the file.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, bolt.Options{Buckets: allBuckets, MaxValue: MaxStoredValue})
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// View implements wallet.Store.
func (s *Store) View(ctx context.Context, fn func(tx wallet.Tx) error) error {
	return s.db.View(ctx, func(tx *bolt.Tx) error { return fn(&txn{tx: tx}) })
}

// Update implements wallet.Store.
func (s *Store) Update(ctx context.Context, fn func(tx wallet.Tx) error) error {
	return s.db.Update(ctx, func(tx *bolt.Tx) error { return fn(&txn{tx: tx}) })
}

// Batch implements wallet.Store with grouped commits.
func (s *Store) Batch(ctx context.Context, fn func(tx wallet.Tx) error) error {
	return s.db.Batch(ctx, func(tx *bolt.Tx) error { return fn(&txn{tx: tx}) })
}

type txn struct{ tx *bolt.Tx }

func wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bolt.ErrNotFound):
		return wallet.ErrNotFound
	default:
		return fmt.Errorf("wallet: %w", err)
	}
}

func (t *txn) Holder(id string) (*wallet.Holder, error) {
	if id == "" {
		return nil, wallet.ErrNotFound
	}
	h := new(wallet.Holder)
	if err := bolt.GetJSON(t.tx.Bucket(bucketHolders), []byte(id), h); err != nil {
		return nil, wrap(err)
	}
	return h, nil
}

func (t *txn) PutHolder(h *wallet.Holder) error {
	if h.ID == "" {
		return errors.New("wallet: holder without id")
	}
	return wrap(bolt.PutJSON(t.tx.Bucket(bucketHolders), []byte(h.ID), h, MaxStoredValue))
}

func (t *txn) DeleteHolder(id string) error {
	if id == "" {
		return nil
	}
	if err := t.tx.Bucket(bucketHolders).Delete([]byte(id)); err != nil {
		return wrap(err)
	}
	recs := t.tx.Bucket(bucketRecords)
	if recs.Bucket([]byte(id)) == nil {
		return nil
	}
	return wrap(recs.DeleteBucket([]byte(id)))
}

func (t *txn) HolderCount() (int, error) {
	n := 0
	err := t.tx.Bucket(bucketHolders).ForEach(func(_, _ []byte) error { n++; return nil })
	return n, wrap(err)
}

func (t *txn) HolderByRecovery(lookup string) (string, error) {
	if lookup == "" {
		return "", wallet.ErrNotFound
	}
	v := t.tx.Bucket(bucketRecovery).Get([]byte(lookup))
	if v == nil {
		return "", wallet.ErrNotFound
	}
	return string(v), nil
}

func (t *txn) PutRecoveryLookup(lookup, holderID string) error {
	if lookup == "" || holderID == "" {
		return errors.New("wallet: empty recovery lookup or holder id")
	}
	return wrap(t.tx.Bucket(bucketRecovery).Put([]byte(lookup), []byte(holderID)))
}

func (t *txn) DeleteRecoveryLookup(lookup string) error {
	if lookup == "" {
		return nil
	}
	return wrap(t.tx.Bucket(bucketRecovery).Delete([]byte(lookup)))
}

// kindBucket returns the bucket of (holder, kind), creating it when
// create is set (nil, nil when absent and not created).
func (t *txn) kindBucket(holderID, kind string, create bool) (*bolt.Bucket, error) {
	if holderID == "" || kind == "" {
		return nil, errors.New("wallet: empty holder id or record kind")
	}
	recs := t.tx.Bucket(bucketRecords)
	hb := recs.Bucket([]byte(holderID))
	if hb == nil {
		if !create {
			return nil, nil
		}
		var err error
		if hb, err = recs.CreateBucket([]byte(holderID)); err != nil {
			return nil, wrap(err)
		}
	}
	kb := hb.Bucket([]byte(kind))
	if kb == nil && create {
		var err error
		if kb, err = hb.CreateBucket([]byte(kind)); err != nil {
			return nil, wrap(err)
		}
	}
	return kb, nil
}

func (t *txn) Record(holderID, kind, id string) ([]byte, error) {
	b, err := t.kindBucket(holderID, kind, false)
	if err != nil {
		return nil, err
	}
	if b == nil || id == "" {
		return nil, wallet.ErrNotFound
	}
	v, err := bolt.GetBytes(b, []byte(id))
	return v, wrap(err)
}

func (t *txn) PutRecord(holderID, kind, id string, sealed []byte) error {
	if id == "" {
		return errors.New("wallet: empty record id")
	}
	b, err := t.kindBucket(holderID, kind, true)
	if err != nil {
		return err
	}
	return wrap(bolt.PutBytes(b, []byte(id), append([]byte(nil), sealed...), MaxStoredValue))
}

func (t *txn) DeleteRecord(holderID, kind, id string) error {
	b, err := t.kindBucket(holderID, kind, false)
	if err != nil || b == nil || id == "" {
		return err
	}
	return wrap(b.Delete([]byte(id)))
}

func (t *txn) ForEachRecord(holderID, kind string, fn func(id string, sealed []byte) error) error {
	b, err := t.kindBucket(holderID, kind, false)
	if err != nil || b == nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		if v == nil { // a nested bucket: not a record
			return nil
		}
		return fn(string(k), append([]byte(nil), v...))
	})
}

func (t *txn) RecordCount(holderID string) (int, error) {
	if holderID == "" {
		return 0, nil
	}
	hb := t.tx.Bucket(bucketRecords).Bucket([]byte(holderID))
	if hb == nil {
		return 0, nil
	}
	n := 0
	err := hb.ForEachBucket(func(k []byte) error {
		return hb.Bucket(k).ForEach(func(_, v []byte) error {
			if v != nil {
				n++
			}
			return nil
		})
	})
	return n, wrap(err)
}

func holderSessionKey(holderID, sid string) []byte {
	return []byte(holderID + "\x00" + sid)
}

func (t *txn) Session(id string) (*wallet.SessionRecord, error) {
	if id == "" {
		return nil, wallet.ErrNotFound
	}
	r := new(wallet.SessionRecord)
	if err := bolt.GetJSON(t.tx.Bucket(bucketSessions), []byte(id), r); err != nil {
		return nil, wrap(err)
	}
	return r, nil
}

func (t *txn) PutSession(r *wallet.SessionRecord) error {
	if r.ID == "" || r.HolderID == "" {
		return errors.New("wallet: session without id or holder")
	}
	if old, err := t.Session(r.ID); err == nil && old.HolderID != r.HolderID {
		if err := t.tx.Bucket(bucketHolderSessions).Delete(holderSessionKey(old.HolderID, old.ID)); err != nil {
			return wrap(err)
		}
	}
	if err := bolt.PutJSON(t.tx.Bucket(bucketSessions), []byte(r.ID), r, MaxStoredValue); err != nil {
		return wrap(err)
	}
	return wrap(t.tx.Bucket(bucketHolderSessions).Put(holderSessionKey(r.HolderID, r.ID), []byte{}))
}

func (t *txn) DeleteSession(id string) error {
	r, err := t.Session(id)
	if errors.Is(err, wallet.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return t.deleteSession(r.HolderID, id)
}

func (t *txn) deleteSession(holderID, id string) error {
	if err := t.tx.Bucket(bucketSessions).Delete([]byte(id)); err != nil {
		return wrap(err)
	}
	return wrap(t.tx.Bucket(bucketHolderSessions).Delete(holderSessionKey(holderID, id)))
}

func (t *txn) DeleteHolderSessions(holderID string) (int, error) {
	if holderID == "" {
		return 0, nil
	}
	prefix := holderSessionKey(holderID, "")
	var ids []string
	c := t.tx.Bucket(bucketHolderSessions).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	for _, id := range ids {
		if err := t.deleteSession(holderID, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func (t *txn) DeleteExpiredSessions(now time.Time) (int, error) {
	type hs struct{ holder, id string }
	var gone []hs
	err := t.tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
		var r wallet.SessionRecord
		if err := bolt.DecodeJSON(k, v, &r); err != nil {
			return err
		}
		if !now.Before(r.Until()) {
			gone = append(gone, hs{r.HolderID, string(k)})
		}
		return nil
	})
	if err != nil {
		return 0, wrap(err)
	}
	for _, g := range gone {
		if err := t.deleteSession(g.holder, g.id); err != nil {
			return 0, err
		}
	}
	return len(gone), nil
}
