package pg

import (
	"context"
	"fmt"
	"io/fs"
)

// OpenService opens the database at rawURL for service, migrating its
// schema with the migrations in directory dir of files (a store's embedded
// migrations/). o tunes the pool and the retries; its Service and
// Migrations are set here. Open's errors are prefixed with the service.
func OpenService(ctx context.Context, rawURL string, o Options, service string, files fs.FS, dir string) (*DB, error) {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		return nil, err
	}
	o.Service, o.Migrations = service, sub
	db, err := Open(ctx, rawURL, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", service, err)
	}
	return db, nil
}

// Store is what every role's PostgreSQL store shares: the database, its
// Close, and View, Update and Batch handing fn the role's own transaction
// type T, made from a *Tx by newTx. A role's store embeds it, so its
// methods satisfy the role's Store interface.
type Store[T any] struct {
	db    *DB
	newTx func(*Tx) T
}

// NewStore is a Store over db whose transactions are newTx(tx).
func NewStore[T any](db *DB, newTx func(*Tx) T) Store[T] {
	return Store[T]{db: db, newTx: newTx}
}

// DB is the underlying database (for its schema name and tests).
func (s *Store[T]) DB() *DB { return s.db }

// Close closes the pool.
func (s *Store[T]) Close() error { s.db.Close(); return nil }

// View runs fn on one consistent read-only snapshot (DB.View).
func (s *Store[T]) View(ctx context.Context, fn func(tx T) error) error {
	return s.db.View(ctx, func(tx *Tx) error { return fn(s.newTx(tx)) })
}

// Update runs fn SERIALIZABLE, rerun on a conflict (DB.Update).
func (s *Store[T]) Update(ctx context.Context, fn func(tx T) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(s.newTx(tx)) })
}

// Batch is Update (DB.Batch: PostgreSQL groups commits).
func (s *Store[T]) Batch(ctx context.Context, fn func(tx T) error) error {
	return s.db.Batch(ctx, func(tx *Tx) error { return fn(s.newTx(tx)) })
}
