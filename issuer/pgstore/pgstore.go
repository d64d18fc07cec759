// Package pgstore is the issuer's PostgreSQL Store (issue 13: several
// issuer instances on one database), on internal/store/pg. It keeps what
// issuer/boltstore keeps, one table per bucket in the schema
// <prefix>_issuer (migrations/): offers, access tokens, issuance records
// and reservations as the same JSON documents (offer claims sealed,
// records without claim values), the code-hash index, used nonces with
// their expiry, status lists with their bits and allocator state in
// their own columns, the status indices claimed since (one row each:
// concurrent issuances insert different rows and do not conflict), and
// the current list. It decides nothing: the rules
// are package issuer's. Updates are SERIALIZABLE and rerun on conflicts,
// so a read-check-write in one Update has one winner across instances;
// Batch is Update. It runs the conformance suite of issuer/storetest.
package pgstore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/issuer"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Service is the schema suffix: tables live in <prefix>_issuer.
const Service = "issuer"

// MaxStoredValue bounds one stored document (an offer with its sealed
// claims), as issuer/boltstore does.
const MaxStoredValue = 4 << 20

// Store is the PostgreSQL issuer.Store.
type Store struct {
	pg.Store[issuer.Tx] // DB, Close, View, Update, Batch
}

var _ issuer.Store = (*Store)(nil)

// Open connects to the database at url (postgres://…) and migrates the
// issuer's schema. o tunes the pool and the retries; its Service and
// Migrations are the issuer's.
func Open(ctx context.Context, url string, o pg.Options) (*Store, error) {
	db, err := pg.OpenService(ctx, url, o, Service, migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return &Store{pg.NewStore(db, func(t *pg.Tx) issuer.Tx { return &txn{t} })}, nil
}

// txn is an issuer.Tx over a pg transaction.
type txn struct{ t *pg.Tx }

// wrap maps the layer's ErrNotFound to issuer.ErrNotFound.
func wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pg.ErrNotFound):
		return issuer.ErrNotFound
	}
	return fmt.Errorf("issuer: %w", err)
}

// getDoc decodes the JSON document of query's one row.
func getDoc[T any](t *txn, query, key string) (*T, error) {
	var raw []byte
	if err := t.t.Get(query, []any{key}, &raw); err != nil {
		return nil, wrap(err)
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("issuer: stored value %s is corrupt: %w", key, err)
	}
	return v, nil
}

// addDoc stores v as the JSON document of a new key with an INSERT … ON
// CONFLICT DO NOTHING taking ($1 key, $2 document): ErrExists when the
// key is taken. One statement and no read of the missing key: under
// SERIALIZABLE that read would lock the index page where the key would
// go, and concurrent transactions adding keys beside it would then fail
// each other; the primary key decides instead.
func (t *txn) addDoc(stmt, what, key string, v any) error {
	n, err := t.putDocN(stmt, what, key, v)
	if err == nil && n == 0 {
		err = fmt.Errorf("%w: %s %s", issuer.ErrExists, what, key)
	}
	return err
}

// putDoc stores v as the JSON document of key with an upsert statement
// taking ($1 key, $2 document).
func (t *txn) putDoc(stmt, what, key string, v any) error {
	_, err := t.putDocN(stmt, what, key, v)
	return err
}

func (t *txn) putDocN(stmt, what, key string, v any) (int64, error) {
	if key == "" {
		return 0, fmt.Errorf("issuer: empty key in %s", what)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("issuer: %w", err)
	}
	if len(raw) > MaxStoredValue {
		return 0, fmt.Errorf("issuer: %s %s: %d bytes exceed %d", what, key, len(raw), MaxStoredValue)
	}
	n, err := t.t.Exec(stmt, key, raw)
	return n, wrap(err)
}

func (t *txn) exec(stmt string, args ...any) error {
	_, err := t.t.Exec(stmt, args...)
	return wrap(err)
}

// docs returns every (key, document) row of a query, read to the end.
func (t *txn) docs(query string) ([]keyDoc, error) {
	out, err := pg.Collect(t.t, query, nil, func(row pgx.CollectableRow) (keyDoc, error) {
		var kd keyDoc
		return kd, row.Scan(&kd.key, &kd.raw)
	})
	return out, wrap(err)
}

type keyDoc struct {
	key string
	raw []byte
}

// forEachDoc decodes each document and calls fn; a document that does
// not decode is an error.
func forEachDoc[T any](t *txn, query string, fn func(v *T) error) error {
	rows, err := t.docs(query)
	if err != nil {
		return err
	}
	for _, r := range rows {
		v := new(T)
		if err := json.Unmarshal(r.raw, v); err != nil {
			return fmt.Errorf("issuer: stored value %s is corrupt: %w", r.key, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) Offer(id string) (*issuer.StoredOffer, error) {
	return getDoc[issuer.StoredOffer](t, "SELECT data FROM offers WHERE id = $1", id)
}

func (t *txn) PutOffer(o *issuer.StoredOffer) error {
	return t.putDoc("INSERT INTO offers (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data", "offers", o.ID, o)
}

func (t *txn) DeleteOffer(id string) error { return t.exec("DELETE FROM offers WHERE id = $1", id) }

func (t *txn) ForEachOffer(fn func(o *issuer.StoredOffer) error) error {
	return forEachDoc(t, "SELECT id, data FROM offers ORDER BY id", fn)
}

func (t *txn) OfferByCode(codeHash string) (string, error) {
	var id string
	if err := t.t.Get("SELECT offer_id FROM codes WHERE code_hash = $1", []any{codeHash}, &id); err != nil {
		return "", wrap(err)
	}
	return id, nil
}

func (t *txn) PutCode(codeHash, offerID string) error {
	if codeHash == "" {
		return errors.New("issuer: empty code hash")
	}
	return t.exec("INSERT INTO codes (code_hash, offer_id) VALUES ($1, $2) ON CONFLICT (code_hash) DO UPDATE SET offer_id = excluded.offer_id", codeHash, offerID)
}

func (t *txn) DeleteCode(codeHash string) error {
	return t.exec("DELETE FROM codes WHERE code_hash = $1", codeHash)
}

func (t *txn) Token(hash string) (*issuer.AccessToken, error) {
	return getDoc[issuer.AccessToken](t, "SELECT data FROM tokens WHERE hash = $1", hash)
}

func (t *txn) PutToken(tok *issuer.AccessToken) error {
	return t.putDoc("INSERT INTO tokens (hash, data) VALUES ($1, $2) ON CONFLICT (hash) DO UPDATE SET data = excluded.data", "tokens", tok.Hash, tok)
}

func (t *txn) AddToken(tok *issuer.AccessToken) error {
	return t.addDoc("INSERT INTO tokens (hash, data) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING", "tokens", tok.Hash, tok)
}

func (t *txn) DeleteToken(hash string) error {
	return t.exec("DELETE FROM tokens WHERE hash = $1", hash)
}

// ForEachToken implements issuer.Tx. A token that no longer decodes is
// reported by its key with a zero expiry, so Sweep removes it (as
// issuer/boltstore does).
func (t *txn) ForEachToken(fn func(tok *issuer.AccessToken) error) error {
	rows, err := t.docs("SELECT hash, data FROM tokens ORDER BY hash")
	if err != nil {
		return err
	}
	for _, r := range rows {
		tok := new(issuer.AccessToken)
		if err := json.Unmarshal(r.raw, tok); err != nil {
			tok = &issuer.AccessToken{Hash: r.key}
		}
		if err := fn(tok); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) Nonce(hash string) (time.Time, error) {
	var exp time.Time
	if err := t.t.Get("SELECT expires_at FROM nonces WHERE hash = $1", []any{hash}, &exp); err != nil {
		return time.Time{}, wrap(err)
	}
	return exp, nil
}

func (t *txn) PutNonce(hash string, expires time.Time) error {
	if hash == "" {
		return errors.New("issuer: empty nonce hash")
	}
	return t.exec("INSERT INTO nonces (hash, expires_at) VALUES ($1, $2) ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at", hash, expires)
}

// AddNonce implements issuer.Tx in one statement (addDoc says why).
func (t *txn) AddNonce(hash string, expires time.Time) error {
	if hash == "" {
		return errors.New("issuer: empty nonce hash")
	}
	n, err := t.t.Exec("INSERT INTO nonces (hash, expires_at) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING", hash, expires)
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return fmt.Errorf("%w: nonce", issuer.ErrExists)
	}
	return nil
}

func (t *txn) DeleteNonce(hash string) error {
	n, err := t.t.Exec("DELETE FROM nonces WHERE hash = $1", hash)
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return issuer.ErrNotFound
	}
	return nil
}

// NonceCount implements issuer.Tx with count(*) on the primary key's
// index (no counter row every nonce write would contend on).
func (t *txn) NonceCount() (int, error) {
	var n int
	if err := t.t.Get("SELECT count(*) FROM nonces", nil, &n); err != nil {
		return 0, wrap(err)
	}
	return n, nil
}

func (t *txn) ForEachNonce(fn func(hash string, expires time.Time) error) error {
	type nonce struct {
		hash string
		exp  time.Time
	}
	rows, err := pg.Collect(t.t, "SELECT hash, expires_at FROM nonces ORDER BY hash", nil, func(row pgx.CollectableRow) (nonce, error) {
		var n nonce
		return n, row.Scan(&n.hash, &n.exp)
	})
	if err != nil {
		return wrap(err)
	}
	for _, n := range rows {
		if err := fn(n.hash, n.exp); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) Record(id string) (*issuer.Record, error) {
	return getDoc[issuer.Record](t, "SELECT data FROM records WHERE credential_id = $1", id)
}

func (t *txn) PutRecord(r *issuer.Record) error {
	return t.putDoc("INSERT INTO records (credential_id, data) VALUES ($1, $2) ON CONFLICT (credential_id) DO UPDATE SET data = excluded.data", "records", r.CredentialID, r)
}

func (t *txn) AddRecord(r *issuer.Record) error {
	return t.addDoc("INSERT INTO records (credential_id, data) VALUES ($1, $2) ON CONFLICT (credential_id) DO NOTHING", "records", r.CredentialID, r)
}

func (t *txn) ForEachRecord(fn func(r *issuer.Record) error) error {
	return forEachDoc(t, "SELECT credential_id, data FROM records", fn)
}

func (t *txn) Reservation(id string) (*issuer.Reservation, error) {
	return getDoc[issuer.Reservation](t, "SELECT data FROM reservations WHERE credential_id = $1", id)
}

func (t *txn) PutReservation(r *issuer.Reservation) error {
	return t.putDoc("INSERT INTO reservations (credential_id, data) VALUES ($1, $2) ON CONFLICT (credential_id) DO UPDATE SET data = excluded.data", "reservations", r.CredentialID, r)
}

func (t *txn) AddReservation(r *issuer.Reservation) error {
	return t.addDoc("INSERT INTO reservations (credential_id, data) VALUES ($1, $2) ON CONFLICT (credential_id) DO NOTHING", "reservations", r.CredentialID, r)
}

func (t *txn) DeleteReservation(id string) error {
	return t.exec("DELETE FROM reservations WHERE credential_id = $1", id)
}

func (t *txn) ForEachReservation(fn func(r *issuer.Reservation) error) error {
	return forEachDoc(t, "SELECT credential_id, data FROM reservations ORDER BY credential_id", fn)
}

func (t *txn) StatusList(id string) (*issuer.StatusList, error) {
	l := &issuer.StatusList{ID: id}
	var rev int64
	if err := t.t.Get("SELECT size, revision, bits, allocator_base FROM status_lists WHERE id = $1", []any{id}, &l.Size, &rev, &l.Bits, &l.Allocator); err != nil {
		return nil, wrap(err)
	}
	l.Revision = uint64(rev)
	return l, nil
}

func (t *txn) StatusListRevision(id string) (uint64, error) {
	var rev int64
	if err := t.t.Get("SELECT revision FROM status_lists WHERE id = $1", []any{id}, &rev); err != nil {
		return 0, wrap(err)
	}
	return uint64(rev), nil
}

func checkLen(what string, b []byte) error {
	if len(b) > MaxStoredValue {
		return fmt.Errorf("issuer: status list %s: %d bytes exceed %d", what, len(b), MaxStoredValue)
	}
	return nil
}

func (t *txn) PutStatusList(l *issuer.StatusList) error {
	if l.ID == "" {
		return errors.New("issuer: empty key in lists")
	}
	if err := errors.Join(checkLen("bits", l.Bits), checkLen("allocator", l.Allocator)); err != nil {
		return err
	}
	if err := t.exec(`INSERT INTO status_lists (id, size, revision, bits, allocator_base) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET size = excluded.size, revision = excluded.revision, bits = excluded.bits, allocator_base = excluded.allocator_base`,
		l.ID, l.Size, int64(l.Revision), nonNil(l.Bits), nonNil(l.Allocator)); err != nil {
		return err
	}
	return t.exec("DELETE FROM status_indices WHERE list_id = $1", l.ID) // the state put is whole
}

// updateList runs an UPDATE of one list: ErrNotFound when it is absent.
func (t *txn) updateList(stmt, id string, b []byte, revision uint64) error {
	n, err := t.t.Exec(stmt, id, nonNil(b), int64(revision))
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return issuer.ErrNotFound
	}
	return nil
}

func (t *txn) PutStatusListBits(id string, bits []byte, revision uint64) error {
	if err := checkLen("bits", bits); err != nil {
		return err
	}
	return t.updateList("UPDATE status_lists SET bits = $2, revision = $3 WHERE id = $1", id, bits, revision)
}

func (t *txn) PutStatusListAllocator(id string, alloc []byte, revision uint64) error {
	if err := checkLen("allocator", alloc); err != nil {
		return err
	}
	if err := t.updateList("UPDATE status_lists SET allocator_base = $2, revision = $3 WHERE id = $1", id, alloc, revision); err != nil {
		return err
	}
	return t.exec("DELETE FROM status_indices WHERE list_id = $1", id) // the state put is whole
}

func (t *txn) StatusListSize(id string) (int, error) {
	var n int
	if err := t.t.Get("SELECT size FROM status_lists WHERE id = $1", []any{id}, &n); err != nil {
		return 0, wrap(err)
	}
	return n, nil
}

// ClaimStatusIndex implements issuer.Tx with one row per claimed index,
// inserted by one statement that reads nothing other claims write:
// concurrent issuances claiming different indices do not conflict (the
// primary key decides between two claiming the same one). An index
// marked in the list's allocator state counts as claimed.
func (t *txn) ClaimStatusIndex(id string, idx int) error {
	n, err := t.t.Exec(`INSERT INTO status_indices (list_id, idx)
		SELECT id, $2::integer FROM status_lists WHERE id = $1 AND CASE
			WHEN $2::integer < 0 OR $2::integer >= size THEN false
			WHEN octet_length(allocator_base) > 5 + $2::integer / 8 THEN get_bit(allocator_base, 40 + $2::integer) = 0
			ELSE true END
		ON CONFLICT DO NOTHING`, id, idx)
	if err != nil {
		return wrap(err)
	}
	if n == 1 {
		return nil
	}
	size, err := t.StatusListSize(id)
	switch {
	case err != nil:
		return err
	case idx < 0 || idx >= size:
		return fmt.Errorf("issuer: status list %s: %w: %d not in [0, %d)", id, statuslist.ErrIndexOutOfRange, idx, size)
	}
	return fmt.Errorf("%w: status index %d of list %s", issuer.ErrExists, idx, id)
}

// StatusListAllocation implements issuer.Tx: the allocator state as put,
// with the claimed rows marked.
func (t *txn) StatusListAllocation(id string) ([]byte, error) {
	var size int
	var base []byte
	if err := t.t.Get("SELECT size, allocator_base FROM status_lists WHERE id = $1", []any{id}, &size, &base); err != nil {
		return nil, wrap(err)
	}
	a := statuslist.NewAllocator(size, nil)
	if len(base) > 0 {
		if err := a.UnmarshalBinary(base); err != nil {
			return nil, fmt.Errorf("issuer: status list %s: %w", id, err)
		}
	}
	claimed, err := pg.Collect(t.t, "SELECT idx FROM status_indices WHERE list_id = $1", []any{id}, pgx.RowTo[int32])
	if err != nil {
		return nil, wrap(err)
	}
	for _, i := range claimed {
		if err := a.MarkUsed(int(i)); err != nil {
			return nil, fmt.Errorf("issuer: status list %s: claimed index: %w", id, err)
		}
	}
	return a.MarshalBinary()
}

const keyCurrent = "current_list"

func (t *txn) CurrentStatusList() (string, error) {
	var id string
	err := t.t.Get("SELECT value FROM meta WHERE key = $1", []any{keyCurrent}, &id)
	if errors.Is(err, pg.ErrNotFound) {
		return "", nil
	}
	return id, wrap(err)
}

func (t *txn) SetCurrentStatusList(id string) error {
	return t.exec("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", keyCurrent, id)
}

// nonNil keeps NOT NULL columns satisfied by an empty value.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
