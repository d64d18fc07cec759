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
	"sync"
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
	// Prepare runs in the opening transaction after the buckets exist
	// (read-write opens only), e.g. to recount a counter.
	Prepare func(tx *Tx) error
}

// DB is an open bbolt file.
type DB struct {
	db       *bbolt.DB
	maxValue int

	batchMu  sync.Mutex
	pending  []*batchCall // Batch calls waiting for the next commit
	flushing bool         // a goroutine is committing batches
}

type batchCall struct {
	fn  func(tx *Tx) error
	err chan error
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

// Batch is Update for concurrent writers, committed as a group: the calls
// that arrive while a commit is being written share the next transaction
// and its one fsync. A lone writer waits for nothing (unlike bbolt's own
// DB.Batch, which holds every batch for MaxBatchDelay). fn may run more
// than once (a group is retried without a member whose fn failed), so it
// must assign its results afresh on every call and have no effect outside
// the transaction. A fn that returns an error is rerun alone and its
// error returned; the others commit.
func (d *DB) Batch(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &batchCall{fn: withContext(ctx, fn), err: make(chan error, 1)}
	d.batchMu.Lock()
	d.pending = append(d.pending, c)
	if !d.flushing {
		d.flushing = true
		go d.flush()
	}
	d.batchMu.Unlock()
	err := <-c.err
	if p, ok := err.(panicked); ok {
		panic(p.reason) // in the caller's goroutine, as Update would
	}
	return err
}

// panicked carries a panic of a Batch callback from the committing
// goroutine to its caller.
type panicked struct{ reason any }

func (p panicked) Error() string { return fmt.Sprint("store: batch callback panicked: ", p.reason) }

// call runs fn, turning a panic into a panicked error.
func call(fn func(tx *Tx) error, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicked{r}
		}
	}()
	return fn(tx)
}

// flush commits the pending calls, group by group, until none are left.
func (d *DB) flush() {
	for {
		d.batchMu.Lock()
		calls := d.pending
		d.pending = nil
		if len(calls) == 0 {
			d.flushing = false
			d.batchMu.Unlock()
			return
		}
		d.batchMu.Unlock()
		d.commitGroup(calls)
	}
}

// commitGroup runs calls in one transaction. When one fn fails, the
// transaction is rolled back, that call is run alone (its own result is
// reported) and the group is retried without it.
func (d *DB) commitGroup(calls []*batchCall) {
	for len(calls) > 0 {
		failed := -1
		err := d.db.Update(func(tx *Tx) error {
			for i, c := range calls {
				if err := call(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range calls {
				c.err <- err
			}
			return
		}
		c := calls[failed]
		c.err <- d.db.Update(func(tx *Tx) error { return call(c.fn, tx) })
		calls = append(calls[:failed:failed], calls[failed+1:]...)
	}
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
	return DecodeJSON(key, b.Get(key), v)
}

// DecodeJSON decodes raw, the value stored under key, into v as GetJSON
// does (ErrNotFound for a nil raw, ErrCorrupt): for a ForEach callback,
// which has the value in hand and need not look the key up again.
func DecodeJSON(key, raw []byte, v any) error {
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
