// Package pgstore is the registry's PostgreSQL Store (issue 13: several
// registry instances and operators from any machine on one database), on
// internal/store/pg. It keeps what registry/boltstore keeps, in the
// schema <prefix>_registry (migrations/): the revisioned working state
// and the published snapshots (the newest registry.KeepSnapshots), the
// state written and a snapshot added in one SERIALIZABLE transaction
// (atomic publish). Every method is one transaction, rerun on a
// serialization conflict, so of concurrent writers holding one revision
// exactly one wins and the others get registry.ErrConflict. Its tables
// hold public data by design, what a snapshot publishes or will publish
// once published, and nothing else: the authority's private key never
// enters them (TestTablesHoldOnlyPublicData). It runs the conformance
// suite of registry/storetest.
package pgstore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/registry"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Service is the schema suffix: tables live in <prefix>_registry.
const Service = "registry"

// Store is the PostgreSQL registry.Store.
type Store struct {
	db *pg.DB
}

var _ registry.Store = (*Store)(nil)

// Open connects to the database at url (postgres://…) and migrates the
// registry's schema. o tunes the pool and the retries; its Service and
// Migrations are the registry's.
func Open(ctx context.Context, url string, o pg.Options) (*Store, error) {
	db, err := pg.OpenService(ctx, url, o, Service, migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// DB is the underlying database (for its schema name and tests).
func (s *Store) DB() *pg.DB { return s.db }

// Close closes the pool.
func (s *Store) Close() error { s.db.Close(); return nil }

// Get implements registry.Store.
func (s *Store) Get(ctx context.Context) (*registry.State, error) {
	var st *registry.State
	err := s.db.View(ctx, func(tx *pg.Tx) error {
		var raw []byte
		if err := tx.Get("SELECT data FROM state WHERE id = 1", nil, &raw); err != nil {
			if errors.Is(err, pg.ErrNotFound) {
				return registry.ErrNotInitialized
			}
			return fmt.Errorf("registry: %w", err)
		}
		st = new(registry.State)
		if err := json.Unmarshal(raw, st); err != nil {
			return fmt.Errorf("registry: stored state is corrupt: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// putState writes st if the stored revision is st.Revision and returns
// the new revision.
func putState(tx *pg.Tx, st *registry.State) (uint64, error) {
	var stored int64
	err := tx.Get("SELECT revision FROM state WHERE id = 1", nil, &stored)
	switch {
	case errors.Is(err, pg.ErrNotFound):
		stored = 0
	case err != nil:
		return 0, fmt.Errorf("registry: %w", err)
	case stored <= 0:
		return 0, fmt.Errorf("registry: stored state has no revision")
	}
	rev, b, err := registry.NextState(uint64(stored), st)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(`INSERT INTO state (id, revision, data) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, data = excluded.data`, int64(rev), b); err != nil {
		return 0, fmt.Errorf("registry: %w", err)
	}
	return rev, nil
}

// Put implements registry.Store.
func (s *Store) Put(ctx context.Context, st *registry.State) (uint64, error) {
	var rev uint64
	err := s.db.Update(ctx, func(tx *pg.Tx) (err error) {
		rev, err = putState(tx, st)
		return err
	})
	return rev, err
}

// Publish implements registry.Store.
func (s *Store) Publish(ctx context.Context, st *registry.State, compact string) (uint64, error) {
	if err := registry.CheckPublish(st, compact); err != nil {
		return 0, err
	}
	version := int64(st.Registry.Version)
	if version < 0 {
		return 0, fmt.Errorf("registry: version %d out of range", st.Registry.Version)
	}
	var rev uint64
	err := s.db.Update(ctx, func(tx *pg.Tx) error {
		var one int
		err := tx.Get("SELECT 1 FROM snapshots WHERE version = $1", []any{version}, &one)
		if err == nil {
			return fmt.Errorf("%w: version %d", registry.ErrVersionExists, version)
		}
		if !errors.Is(err, pg.ErrNotFound) {
			return fmt.Errorf("registry: %w", err)
		}
		if rev, err = putState(tx, st); err != nil {
			return err
		}
		if _, err := tx.Exec("INSERT INTO snapshots (version, compact) VALUES ($1, $2)", version, compact); err != nil {
			return fmt.Errorf("registry: %w", err)
		}
		// Keep the newest registry.KeepSnapshots.
		_, err = tx.Exec(`DELETE FROM snapshots WHERE version NOT IN
			(SELECT version FROM snapshots ORDER BY version DESC LIMIT $1)`, registry.KeepSnapshots)
		if err != nil {
			return fmt.Errorf("registry: %w", err)
		}
		return nil
	})
	return rev, err
}

// Latest implements registry.Store.
func (s *Store) Latest(ctx context.Context) (uint64, string, error) {
	var v int64
	var compact string
	err := s.db.View(ctx, func(tx *pg.Tx) error {
		err := tx.Get("SELECT version, compact FROM snapshots ORDER BY version DESC LIMIT 1", nil, &v, &compact)
		if errors.Is(err, pg.ErrNotFound) {
			return registry.ErrNoSnapshot
		}
		if err != nil {
			return fmt.Errorf("registry: %w", err)
		}
		return nil
	})
	return uint64(v), compact, err
}

// Snapshot implements registry.Store.
func (s *Store) Snapshot(ctx context.Context, version uint64) (string, error) {
	var compact string
	err := s.db.View(ctx, func(tx *pg.Tx) error {
		err := tx.Get("SELECT compact FROM snapshots WHERE version = $1", []any{int64(version)}, &compact)
		if errors.Is(err, pg.ErrNotFound) || int64(version) < 0 {
			return fmt.Errorf("%w: version %d", registry.ErrNoSnapshot, version)
		}
		if err != nil {
			return fmt.Errorf("registry: %w", err)
		}
		return nil
	})
	return compact, err
}

// Watch returns a signature of the store for registry/api's
// Options.Watch: the newest published version. It asks the database at
// most once per every (a second when zero), so a flood of requests
// costs the database nothing more; between asks it returns the last
// answer. now is the clock (time.Now when nil).
func (s *Store) Watch(every time.Duration, now func() time.Time) func() (string, error) {
	if every <= 0 {
		every = time.Second
	}
	if now == nil {
		now = time.Now
	}
	var mu sync.Mutex
	var last string
	var asked time.Time
	return func() (string, error) {
		mu.Lock()
		defer mu.Unlock()
		t := now()
		if !asked.IsZero() && t.Sub(asked) < every && t.After(asked) {
			return last, nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var v int64
		err := s.db.View(ctx, func(tx *pg.Tx) error {
			return tx.Get("SELECT coalesce(max(version), 0) FROM snapshots", nil, &v)
		})
		if err != nil {
			return "", fmt.Errorf("registry: %w", err)
		}
		last, asked = strconv.FormatInt(v, 10), t
		return last, nil
	}
}
