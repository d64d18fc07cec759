// Package bolt is the shared bbolt layer of Cairn's embedded stores
// (DESIGN.md §6: one bbolt file per issuer or registry). It owns opening a
// file (mode 0600, a bounded wait for another process's lock, the buckets
// a store needs), transactions that honour a context, grouped commits
// (Batch: concurrent writers share one fsync) and bounded JSON values.
//
// It knows nothing of what the stores keep: the issuer and registry stores
// (issuer/boltstore, registry/boltstore) build their typed records on it.
// It implements no protocol specification.
package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// Tx and Bucket are bbolt's: stores read and write through them inside
// Update, View and Batch.
type (
	Tx     = bbolt.Tx
	Bucket = bbolt.Bucket
)

// Errors of the helpers; match them with errors.Is.
var (
	// ErrNotFound: no value under the key.
	ErrNotFound = errors.New("store: not found")
	// ErrTooLarge: a value exceeds Options.MaxValue.
	ErrTooLarge = errors.New("store: value too large")
	// ErrCorrupt: a stored value does not decode.
	ErrCorrupt = errors.New("store: stored value is corrupt")
	// ErrNoBucket: a bucket the store needs is missing (a read-only
	// open of a file that was never prepared).
	ErrNoBucket = errors.New("store: bucket missing")
)

// Defaults of Options.
const (
	DefaultLockTimeout = time.Second
	DefaultMaxValue    = 4 << 20
	// DefaultBatchDelay is how long Batch waits for other writers to
	// join a commit. bbolt's own default (10ms) would add that much to a
	// lone writer; a millisecond still gathers concurrent requests.
	DefaultBatchDelay = time.Millisecond
)

// Options configures Open. The zero value opens read-write with the
// defaults.
type Options struct {
	// LockTimeout bounds the wait for another process holding the file
	// (DefaultLockTimeout when zero; negative waits forever).
	LockTimeout time.Duration
	// ReadOnly opens with a shared lock; Buckets are then not created.
	ReadOnly bool
	// Buckets are created when missing (read-write opens only).
	Buckets [][]byte
	// MaxValue bounds a value written with PutJSON (DefaultMaxValue).
	MaxValue int
	// BatchDelay is bbolt's MaxBatchDelay (DefaultBatchDelay).
	BatchDelay time.Duration
	// Prepare runs in the opening transaction after the buckets exist
	// (read-write opens only), e.g. to recount a counter.
	Prepare func(tx *Tx) error
}

// DB is an open bbolt file.
type DB struct {
	db       *bbolt.DB
	maxValue int
}

// Open opens (creating if needed, mode 0600) the bbolt file at path.
func Open(path string, o Options) (*DB, error) {
	timeout := o.LockTimeout
	switch {
	case timeout == 0:
		timeout = DefaultLockTimeout
	case timeout < 0:
		timeout = 0 // bbolt: wait forever
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, ReadOnly: o.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.MaxBatchDelay = DefaultBatchDelay
	if o.BatchDelay > 0 {
		db.MaxBatchDelay = o.BatchDelay
	}
	d := &DB{db: db, maxValue: o.MaxValue}
	if d.maxValue <= 0 {
		d.maxValue = DefaultMaxValue
	}
	if o.ReadOnly {
		return d, nil
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range o.Buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if o.Prepare != nil {
			return o.Prepare(tx)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare %s: %w", path, err)
	}
	return d, nil
}

// Close closes the file, waiting for open transactions.
func (d *DB) Close() error { return d.db.Close() }

// MaxValue is the bound PutJSON applies.
func (d *DB) MaxValue() int { return d.maxValue }

// Update runs fn in a read-write transaction and commits (one fsync)
// when fn returns nil; any error rolls everything back. A context done
// before fn starts or when it returns rolls back too.
func (d *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.db.Update(withContext(ctx, fn))
}

// View runs fn in a read-only transaction.
func (d *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.db.View(fn)
}

// Batch is Update for concurrent writers: calls from several goroutines
// within Options.BatchDelay share one transaction and one fsync. fn may
// run more than once (when a batch is retried without a failing member),
// so it must assign its results afresh on every call and have no effect
// outside the transaction. A fn that returns an error is rerun alone and
// its error returned; the others commit.
func (d *DB) Batch(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.db.Batch(withContext(ctx, fn))
}

func withContext(ctx context.Context, fn func(tx *Tx) error) func(tx *Tx) error {
	return func(tx *Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return ctx.Err()
	}
}

// BucketOf returns the named bucket of tx, or ErrNoBucket.
func BucketOf(tx *Tx, name []byte) (*Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoBucket, name)
	}
	return b, nil
}

// GetJSON decodes the value under key into v (ErrNotFound, ErrCorrupt).
func GetJSON(b *Bucket, key []byte, v any) error {
	raw := b.Get(key)
	if raw == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, key, err)
	}
	return nil
}

// PutJSON stores v as JSON under key, refusing values over max bytes
// (ErrTooLarge; max <= 0 means DefaultMaxValue).
func PutJSON(b *Bucket, key []byte, v any, max int) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return PutBytes(b, key, raw, max)
}

// PutBytes stores raw under key with the same bound as PutJSON. bbolt
// keeps raw until the transaction ends: do not modify it before then.
func PutBytes(b *Bucket, key, raw []byte, max int) error {
	if max <= 0 {
		max = DefaultMaxValue
	}
	if len(raw) > max {
		return fmt.Errorf("%w: %d bytes exceed %d", ErrTooLarge, len(raw), max)
	}
	return b.Put(key, raw)
}

// GetBytes returns a copy of the value under key (ErrNotFound): bbolt's
// own slice is valid only inside the transaction.
func GetBytes(b *Bucket, key []byte) ([]byte, error) {
	raw := b.Get(key)
	if raw == nil {
		return nil, ErrNotFound
	}
	return append([]byte(nil), raw...), nil
}
