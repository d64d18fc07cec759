// Package pgstore is the verifier's PostgreSQL Store (issue 13: several
// verifier instances on one database), on internal/store/pg. It keeps
// what verifier/boltstore keeps, one table per bucket in the schema
// <prefix>_verifier (migrations/): sessions (ephemeral key sealed),
// results (outcome code in clear, the result sealed), reviews (reason
// sealed) and seen jpt proofs (keyed hashes only), as the same JSON documents. It decides nothing: the rules
// (single use, expiry, retention) are package verifier's. Updates are
// SERIALIZABLE and rerun on conflicts, so a request_uri is served and a
// response accepted once across instances; Batch is Update. It runs the
// conformance suite of verifier/storetest.
package pgstore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/verifier"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Service is the schema suffix: tables live in <prefix>_verifier.
const Service = "verifier"

// MaxStoredValue bounds one stored document (a sealed result), as
// verifier/boltstore does.
const MaxStoredValue = 4 << 20

// Store is the PostgreSQL verifier.Store.
type Store struct {
	pg.Store[verifier.Tx] // DB, Close, View, Update, Batch
}

var _ verifier.Store = (*Store)(nil)

// Open connects to the database at url (postgres://…) and migrates the
// verifier's schema. o tunes the pool and the retries; its Service and
// Migrations are the verifier's.
func Open(ctx context.Context, url string, o pg.Options) (*Store, error) {
	db, err := pg.OpenService(ctx, url, o, Service, migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return &Store{pg.NewStore(db, func(t *pg.Tx) verifier.Tx { return &txn{t} })}, nil
}

type txn struct{ t *pg.Tx }

// A table of (key, JSON document).
type table struct{ name, key string }

var (
	sessions = table{"sessions", "id"}
	results  = table{"results", "session_id"}
	reviews  = table{"reviews", "session_id"}
	seen     = table{"seen_proofs", "digest"}
)

func wrap(err error, key string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pg.ErrNotFound):
		return fmt.Errorf("%w: %s", verifier.ErrNotFound, key)
	}
	return fmt.Errorf("verifier: %w", err)
}

func get[T any](t *txn, tb table, key string) (*T, error) {
	var raw []byte
	if err := t.t.Get("SELECT data FROM "+tb.name+" WHERE "+tb.key+" = $1", []any{key}, &raw); err != nil {
		return nil, wrap(err, key)
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("verifier: stored value %s is corrupt: %w", key, err)
	}
	return v, nil
}

// Conflict clauses of put.
const (
	replace    = "DO UPDATE SET data = excluded.data" // upsert
	keepStored = "DO NOTHING"                         // 0 rows when the key exists
)

// put inserts the document of key; onConflict (replace or keepStored)
// says what a row already holding the key gets. It returns the rows
// written.
func put(t *txn, tb table, key string, v any, onConflict string) (int64, error) {
	if key == "" {
		return 0, errors.New("verifier: empty key")
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("verifier: %w", err)
	}
	if len(raw) > MaxStoredValue {
		return 0, fmt.Errorf("verifier: %s %s: %d bytes exceed %d", tb.name, key, len(raw), MaxStoredValue)
	}
	n, err := t.t.Exec("INSERT INTO "+tb.name+" ("+tb.key+", data) VALUES ($1, $2) ON CONFLICT ("+tb.key+") "+onConflict, key, raw)
	return n, wrap(err, key)
}

// del deletes the row of key (ErrNotFound when there is none).
func del(t *txn, tb table, key string) error {
	n, err := t.t.Exec("DELETE FROM "+tb.name+" WHERE "+tb.key+" = $1", key)
	if err != nil {
		return wrap(err, key)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", verifier.ErrNotFound, key)
	}
	return nil
}

func each[T any](t *txn, tb table, fn func(*T) error) error {
	rows, err := pg.Collect(t.t, "SELECT "+tb.key+", data FROM "+tb.name+" ORDER BY "+tb.key, nil, func(row pgx.CollectableRow) ([2][]byte, error) {
		var k string
		var raw []byte
		err := row.Scan(&k, &raw)
		return [2][]byte{[]byte(k), raw}, err
	})
	if err != nil {
		return wrap(err, tb.name)
	}
	for _, r := range rows {
		v := new(T)
		if err := json.Unmarshal(r[1], v); err != nil {
			return fmt.Errorf("verifier: stored value %s is corrupt: %w", r[0], err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) Session(id string) (*verifier.Session, error) {
	return get[verifier.Session](t, sessions, id)
}
func (t *txn) PutSession(s *verifier.Session) error {
	_, err := put(t, sessions, s.ID, s, replace)
	return err
}
func (t *txn) DeleteSession(id string) error { return del(t, sessions, id) }
func (t *txn) ForEachSession(fn func(*verifier.Session) error) error {
	return each(t, sessions, fn)
}

func (t *txn) Result(id string) (*verifier.StoredResult, error) {
	return get[verifier.StoredResult](t, results, id)
}

// PutResult implements verifier.Tx: ErrExists when the session has one.
// One statement, no read before it: a SERIALIZABLE read of a missing key
// locks the index page where it would be, and concurrent responses
// inserting their results beside it then fail each other (40001) and
// rerun; the unique key decides instead.
func (t *txn) PutResult(r *verifier.StoredResult) error {
	n, err := put(t, results, r.SessionID, r, keepStored)
	if err == nil && n == 0 {
		err = fmt.Errorf("%w: result of %s", verifier.ErrExists, r.SessionID)
	}
	return err
}
func (t *txn) DeleteResult(id string) error { return del(t, results, id) }
func (t *txn) ForEachResult(fn func(*verifier.StoredResult) error) error {
	return each(t, results, fn)
}

func (t *txn) Review(id string) (*verifier.Review, error) {
	return get[verifier.Review](t, reviews, id)
}
func (t *txn) PutReview(r *verifier.Review) error {
	_, err := put(t, reviews, r.SessionID, r, replace)
	return err
}
func (t *txn) DeleteReview(id string) error { return del(t, reviews, id) }

func (t *txn) SeenProof(d string) (*verifier.SeenProof, error) {
	return get[verifier.SeenProof](t, seen, d)
}
func (t *txn) PutSeenProof(p *verifier.SeenProof) error {
	n, err := put(t, seen, p.Digest, p, keepStored)
	if err == nil && n == 0 {
		return fmt.Errorf("%w: seen proof", verifier.ErrExists)
	}
	return err
}
func (t *txn) DeleteSeenProof(d string) error { return del(t, seen, d) }
func (t *txn) ForEachSeenProof(fn func(*verifier.SeenProof) error) error {
	return each(t, seen, fn)
}
