// Package boltstore is the registry's embedded Store (DESIGN.md §4, §6):
// one bbolt file per registry holding the revisioned working state and the
// published snapshots (the newest registry.KeepSnapshots), with the state written
// and a snapshot added in one transaction (atomic publish). File opens the
// file per call so a server does not hold its lock while the CLI publishes.
// It runs the conformance suite of registry/storetest.
package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/cairn-id/cairn/internal/store/bolt"
	"github.com/cairn-id/cairn/registry"
)

var (
	bucketState     = []byte("state")
	bucketSnapshots = []byte("snapshots")
	keyState        = []byte("state")
)

// Store is the embedded registry.Store: one bbolt file per registry.
type Store struct {
	db *bolt.DB
}

var _ registry.Store = (*Store)(nil)

// Open opens (creating if needed) the bbolt file at path. It waits at
// most a second for another process holding the file.
func Open(path string) (*Store, error) { return OpenWithin(path, 0) }

// DefaultFileWait is how long a File call waits for the file's lock.
// 'registry serve' holds it for milliseconds per reload, but a burst of
// readers and writers (or a loaded machine) can keep it busy for longer
// than Open's one second, and a publication must not be lost to that.
const DefaultFileWait = 10 * time.Second

// OpenWithin is Open waiting up to wait for another process holding the
// file (bbolt's default of one second when wait is zero).
func OpenWithin(path string, wait time.Duration) (*Store, error) {
	db, err := bolt.Open(path, bolt.Options{Buckets: [][]byte{bucketState, bucketSnapshots}, MaxValue: registry.MaxStateLen, LockTimeout: wait})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func versionKey(v uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], v)
	return k[:]
}

// Get implements registry.Store.
func (s *Store) Get(ctx context.Context) (*registry.State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var st *registry.State
	err := s.db.View(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketState).Get(keyState)
		if b == nil {
			return registry.ErrNotInitialized
		}
		st = new(registry.State)
		if err := json.Unmarshal(b, st); err != nil {
			return fmt.Errorf("registry: stored state is corrupt: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

func putState(tx *bolt.Tx, st *registry.State) (uint64, error) {
	bk := tx.Bucket(bucketState)
	var stored uint64
	if b := bk.Get(keyState); b != nil {
		var cur struct {
			Revision uint64 `json:"revision"`
		}
		if err := json.Unmarshal(b, &cur); err != nil {
			return 0, fmt.Errorf("registry: stored state is corrupt: %w", err)
		}
		stored = cur.Revision
		if stored == 0 {
			return 0, fmt.Errorf("registry: stored state has no revision")
		}
	}
	rev, b, err := registry.NextState(stored, st)
	if err != nil {
		return 0, err
	}
	return rev, bk.Put(keyState, b)
}

// Put implements registry.Store.
func (s *Store) Put(ctx context.Context, st *registry.State) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var rev uint64
	err := s.db.Update(ctx, func(tx *bolt.Tx) error {
		var err error
		rev, err = putState(tx, st)
		return err
	})
	return rev, err
}

// Publish implements registry.Store.
func (s *Store) Publish(ctx context.Context, st *registry.State, compact string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := registry.CheckPublish(st, compact); err != nil {
		return 0, err
	}
	var rev uint64
	err := s.db.Update(ctx, func(tx *bolt.Tx) error {
		snaps := tx.Bucket(bucketSnapshots)
		key := versionKey(st.Registry.Version)
		if snaps.Get(key) != nil {
			return fmt.Errorf("%w: version %d", registry.ErrVersionExists, st.Registry.Version)
		}
		var err error
		if rev, err = putState(tx, st); err != nil {
			return err
		}
		if err := snaps.Put(key, []byte(compact)); err != nil {
			return err
		}
		// Prune the oldest beyond registry.KeepSnapshots: walk back from the newest
		// and delete what lies past the limit.
		c := snaps.Cursor()
		kept := 0
		var old [][]byte
		for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
			if kept++; kept > registry.KeepSnapshots {
				old = append(old, append([]byte(nil), k...))
			}
		}
		for _, k := range old {
			if err := snaps.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return rev, err
}

// Latest implements registry.Store.
func (s *Store) Latest(ctx context.Context) (uint64, string, error) {
	if err := ctx.Err(); err != nil {
		return 0, "", err
	}
	var v uint64
	var compact string
	err := s.db.View(ctx, func(tx *bolt.Tx) error {
		k, val := tx.Bucket(bucketSnapshots).Cursor().Last()
		if k == nil {
			return registry.ErrNoSnapshot
		}
		v, compact = binary.BigEndian.Uint64(k), string(val)
		return nil
	})
	return v, compact, err
}

// Snapshot implements registry.Store.
func (s *Store) Snapshot(ctx context.Context, version uint64) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var compact string
	err := s.db.View(ctx, func(tx *bolt.Tx) error {
		val := tx.Bucket(bucketSnapshots).Get(versionKey(version))
		if val == nil {
			return fmt.Errorf("%w: version %d", registry.ErrNoSnapshot, version)
		}
		compact = string(val)
		return nil
	})
	return compact, err
}

// File is a Store that opens the bbolt file for each call and closes
// it again, so a long-running server does not hold the file's lock and the
// authority can publish with the CLI while it serves. Reads open the file
// read-only (a shared lock). It suits low-traffic services; the registry
// server asks the store once per request.
type File struct {
	Path string
	// Wait bounds each call's wait for the file's lock (DefaultFileWait
	// when zero).
	Wait time.Duration
}

func (f File) wait() time.Duration {
	if f.Wait > 0 {
		return f.Wait
	}
	return DefaultFileWait
}

var _ registry.Store = File{}

func (f File) with(readOnly bool, fn func(s *Store) error) error {
	if readOnly {
		if _, statErr := os.Stat(f.Path); errors.Is(statErr, fs.ErrNotExist) {
			return fmt.Errorf("%w: no database at %s", registry.ErrNotInitialized, f.Path)
		}
		db, err := bolt.Open(f.Path, bolt.Options{ReadOnly: true, LockTimeout: f.wait()})
		if err != nil {
			return fmt.Errorf("registry: %w", err)
		}
		err = fn(&Store{db: db})
		db.Close()
		return err
	}
	s, err := OpenWithin(f.Path, f.wait())
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

// Get implements registry.Store.
func (f File) Get(ctx context.Context) (st *registry.State, err error) {
	err = f.with(true, func(s *Store) error { st, err = s.Get(ctx); return err })
	return st, err
}

// Put implements registry.Store.
func (f File) Put(ctx context.Context, st *registry.State) (rev uint64, err error) {
	err = f.with(false, func(s *Store) error { rev, err = s.Put(ctx, st); return err })
	return rev, err
}

// Publish implements registry.Store.
func (f File) Publish(ctx context.Context, st *registry.State, compact string) (rev uint64, err error) {
	err = f.with(false, func(s *Store) error { rev, err = s.Publish(ctx, st, compact); return err })
	return rev, err
}

// Latest implements registry.Store.
func (f File) Latest(ctx context.Context) (v uint64, compact string, err error) {
	err = f.with(true, func(s *Store) error { v, compact, err = s.Latest(ctx); return err })
	if errors.Is(err, registry.ErrNotInitialized) {
		err = fmt.Errorf("%w: %w", registry.ErrNoSnapshot, err)
	}
	return v, compact, err
}

// Snapshot implements registry.Store.
func (f File) Snapshot(ctx context.Context, version uint64) (compact string, err error) {
	err = f.with(true, func(s *Store) error { compact, err = s.Snapshot(ctx, version); return err })
	if errors.Is(err, registry.ErrNotInitialized) {
		err = fmt.Errorf("%w: %w", registry.ErrNoSnapshot, err)
	}
	return compact, err
}

// Close implements registry.Store; there is nothing held open.
func (File) Close() error { return nil }
