package registry

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cairn-id/cairn/internal/trust"
)

var (
	bucketState     = []byte("state")
	bucketSnapshots = []byte("snapshots")
	keyState        = []byte("state")
)

// BoltStore is the embedded Store: one bbolt file per registry.
type BoltStore struct {
	db *bolt.DB
}

var _ Store = (*BoltStore)(nil)

// OpenBolt opens (creating if needed) the bbolt file at path. It waits at
// most a second for another process holding the file.
func OpenBolt(path string) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("registry: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketState, bucketSnapshots} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("registry: prepare %s: %w", path, err)
	}
	return &BoltStore{db: db}, nil
}

// Close closes the file.
func (s *BoltStore) Close() error { return s.db.Close() }

func versionKey(v uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], v)
	return k[:]
}

// Get implements Store.
func (s *BoltStore) Get(ctx context.Context) (*State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var st *State
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketState).Get(keyState)
		if b == nil {
			return ErrNotInitialized
		}
		st = new(State)
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

func putState(tx *bolt.Tx, st *State) (uint64, error) {
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
	if stored != st.Revision {
		return 0, fmt.Errorf("%w: stored revision %d, writer had %d", ErrConflict, stored, st.Revision)
	}
	next := *st
	next.Revision = stored + 1
	b, err := json.Marshal(&next)
	if err != nil {
		return 0, fmt.Errorf("registry: encode state: %w", err)
	}
	if len(b) > MaxStateLen {
		return 0, fmt.Errorf("%w: state has %d bytes, limit %d", ErrTooLarge, len(b), MaxStateLen)
	}
	return next.Revision, bk.Put(keyState, b)
}

// Put implements Store.
func (s *BoltStore) Put(ctx context.Context, st *State) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var rev uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		rev, err = putState(tx, st)
		return err
	})
	return rev, err
}

// Publish implements Store.
func (s *BoltStore) Publish(ctx context.Context, st *State, compact string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if len(compact) > trust.MaxSnapshotLen {
		return 0, fmt.Errorf("%w: snapshot has %d bytes", ErrTooLarge, len(compact))
	}
	if st.Registry.Version == 0 || compact == "" {
		return 0, fmt.Errorf("registry: publish needs a version and a snapshot")
	}
	var rev uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		snaps := tx.Bucket(bucketSnapshots)
		key := versionKey(st.Registry.Version)
		if snaps.Get(key) != nil {
			return fmt.Errorf("%w: version %d", ErrVersionExists, st.Registry.Version)
		}
		var err error
		if rev, err = putState(tx, st); err != nil {
			return err
		}
		if err := snaps.Put(key, []byte(compact)); err != nil {
			return err
		}
		// Prune the oldest beyond KeepSnapshots: walk back from the newest
		// and delete what lies past the limit.
		c := snaps.Cursor()
		kept := 0
		var old [][]byte
		for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
			if kept++; kept > KeepSnapshots {
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

// Latest implements Store.
func (s *BoltStore) Latest(ctx context.Context) (uint64, string, error) {
	if err := ctx.Err(); err != nil {
		return 0, "", err
	}
	var v uint64
	var compact string
	err := s.db.View(func(tx *bolt.Tx) error {
		k, val := tx.Bucket(bucketSnapshots).Cursor().Last()
		if k == nil {
			return ErrNoSnapshot
		}
		v, compact = binary.BigEndian.Uint64(k), string(val)
		return nil
	})
	return v, compact, err
}

// Snapshot implements Store.
func (s *BoltStore) Snapshot(ctx context.Context, version uint64) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var compact string
	err := s.db.View(func(tx *bolt.Tx) error {
		val := tx.Bucket(bucketSnapshots).Get(versionKey(version))
		if val == nil {
			return fmt.Errorf("%w: version %d", ErrNoSnapshot, version)
		}
		compact = string(val)
		return nil
	})
	return compact, err
}

// BoltFile is a Store that opens the bbolt file for each call and closes
// it again, so a long-running server does not hold the file's lock and the
// authority can publish with the CLI while it serves. Reads open the file
// read-only (a shared lock). It suits low-traffic services; the registry
// server asks the store once per request.
type BoltFile struct {
	Path string
}

var _ Store = BoltFile{}

func (f BoltFile) with(readOnly bool, fn func(s *BoltStore) error) error {
	var (
		db  *bolt.DB
		err error
	)
	if readOnly {
		if _, statErr := os.Stat(f.Path); errors.Is(statErr, fs.ErrNotExist) {
			return fmt.Errorf("%w: no database at %s", ErrNotInitialized, f.Path)
		}
		db, err = bolt.Open(f.Path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
		if err != nil {
			return fmt.Errorf("registry: open %s: %w", f.Path, err)
		}
		err = fn(&BoltStore{db: db})
		db.Close()
		return err
	}
	s, err := OpenBolt(f.Path)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

// Get implements Store.
func (f BoltFile) Get(ctx context.Context) (st *State, err error) {
	err = f.with(true, func(s *BoltStore) error { st, err = s.Get(ctx); return err })
	return st, err
}

// Put implements Store.
func (f BoltFile) Put(ctx context.Context, st *State) (rev uint64, err error) {
	err = f.with(false, func(s *BoltStore) error { rev, err = s.Put(ctx, st); return err })
	return rev, err
}

// Publish implements Store.
func (f BoltFile) Publish(ctx context.Context, st *State, compact string) (rev uint64, err error) {
	err = f.with(false, func(s *BoltStore) error { rev, err = s.Publish(ctx, st, compact); return err })
	return rev, err
}

// Latest implements Store.
func (f BoltFile) Latest(ctx context.Context) (v uint64, compact string, err error) {
	err = f.with(true, func(s *BoltStore) error { v, compact, err = s.Latest(ctx); return err })
	if errors.Is(err, ErrNotInitialized) {
		err = fmt.Errorf("%w: %w", ErrNoSnapshot, err)
	}
	return v, compact, err
}

// Snapshot implements Store.
func (f BoltFile) Snapshot(ctx context.Context, version uint64) (compact string, err error) {
	err = f.with(true, func(s *BoltStore) error { compact, err = s.Snapshot(ctx, version); return err })
	if errors.Is(err, ErrNotInitialized) {
		err = fmt.Errorf("%w: %w", ErrNoSnapshot, err)
	}
	return compact, err
}

// Close implements Store; there is nothing held open.
func (BoltFile) Close() error { return nil }
