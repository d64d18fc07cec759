// Package pgstore is the wallet agent's PostgreSQL Store (issue 13:
// several agent instances on one database), on internal/store/pg. It
// keeps what wallet/boltstore keeps, in the schema <prefix>_wallet
// (migrations/): holders (JSON: ids, salts, KDF parameters, wrapped data
// keys, lockout counters), the recovery-lookup index, session records
// (0002: the data key wrapped under the client's token, never the token),
// and sealed records keyed by (holder, kind, id), so a wipe deletes a holder's records in
// one statement. It decides nothing and never sees a plaintext: the rules
// and the encryption are package wallet's. Updates are SERIALIZABLE and
// rerun on conflicts (PIN attempt counters stay exact across instances);
// Batch is Update. It runs the conformance suite of wallet/storetest.
package pgstore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/wallet"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Service is the schema suffix: tables live in <prefix>_wallet.
const Service = "wallet"

// MaxStoredValue bounds one stored value, as wallet/boltstore does.
const MaxStoredValue = 1 << 20

// Store is the PostgreSQL wallet.Store.
type Store struct {
	pg.Store[wallet.Tx] // DB, Close, View, Update, Batch
}

var _ wallet.Store = (*Store)(nil)

// Open connects to the database at url (postgres://…) and migrates the
// wallet's schema. o tunes the pool and the retries; its Service and
// Migrations are the wallet's.
func Open(ctx context.Context, url string, o pg.Options) (*Store, error) {
	db, err := pg.OpenService(ctx, url, o, Service, migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return &Store{pg.NewStore(db, func(t *pg.Tx) wallet.Tx { return &txn{t} })}, nil
}

type txn struct{ t *pg.Tx }

func wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pg.ErrNotFound):
		return wallet.ErrNotFound
	}
	return fmt.Errorf("wallet: %w", err)
}

func (t *txn) exec(stmt string, args ...any) error {
	_, err := t.t.Exec(stmt, args...)
	return wrap(err)
}

func (t *txn) Holder(id string) (*wallet.Holder, error) {
	if id == "" {
		return nil, wallet.ErrNotFound
	}
	var raw []byte
	if err := t.t.Get("SELECT data FROM holders WHERE id = $1", []any{id}, &raw); err != nil {
		return nil, wrap(err)
	}
	h := new(wallet.Holder)
	if err := json.Unmarshal(raw, h); err != nil {
		return nil, fmt.Errorf("wallet: stored holder is corrupt: %w", err)
	}
	return h, nil
}

func (t *txn) PutHolder(h *wallet.Holder) error {
	if h.ID == "" {
		return errors.New("wallet: holder without id")
	}
	raw, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	if len(raw) > MaxStoredValue {
		return fmt.Errorf("wallet: holder: %d bytes exceed %d", len(raw), MaxStoredValue)
	}
	return t.exec("INSERT INTO holders (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data", h.ID, raw)
}

// DeleteHolder implements wallet.Tx: the holder and its records, not
// its recovery index entry (the Service deletes that itself).
func (t *txn) DeleteHolder(id string) error {
	if id == "" {
		return nil
	}
	if err := t.exec("DELETE FROM holders WHERE id = $1", id); err != nil {
		return err
	}
	return t.exec("DELETE FROM records WHERE holder_id = $1", id)
}

func (t *txn) HolderCount() (int, error) {
	var n int
	err := t.t.Get("SELECT count(*) FROM holders", nil, &n)
	return n, wrap(err)
}

func (t *txn) HolderByRecovery(lookup string) (string, error) {
	if lookup == "" {
		return "", wallet.ErrNotFound
	}
	var id string
	if err := t.t.Get("SELECT holder_id FROM recovery WHERE lookup = $1", []any{lookup}, &id); err != nil {
		return "", wrap(err)
	}
	return id, nil
}

func (t *txn) PutRecoveryLookup(lookup, holderID string) error {
	if lookup == "" || holderID == "" {
		return errors.New("wallet: empty recovery lookup or holder id")
	}
	return t.exec("INSERT INTO recovery (lookup, holder_id) VALUES ($1, $2) ON CONFLICT (lookup) DO UPDATE SET holder_id = excluded.holder_id", lookup, holderID)
}

func (t *txn) DeleteRecoveryLookup(lookup string) error {
	if lookup == "" {
		return nil
	}
	return t.exec("DELETE FROM recovery WHERE lookup = $1", lookup)
}

func checkAddress(holderID, kind string) error {
	if holderID == "" || kind == "" {
		return errors.New("wallet: empty holder id or record kind")
	}
	return nil
}

func (t *txn) Record(holderID, kind, id string) ([]byte, error) {
	if err := checkAddress(holderID, kind); err != nil {
		return nil, err
	}
	if id == "" {
		return nil, wallet.ErrNotFound
	}
	var sealed []byte
	if err := t.t.Get("SELECT sealed FROM records WHERE holder_id = $1 AND kind = $2 AND id = $3", []any{holderID, kind, id}, &sealed); err != nil {
		return nil, wrap(err)
	}
	return sealed, nil
}

func (t *txn) PutRecord(holderID, kind, id string, sealed []byte) error {
	if id == "" {
		return errors.New("wallet: empty record id")
	}
	if err := checkAddress(holderID, kind); err != nil {
		return err
	}
	if len(sealed) > MaxStoredValue {
		return fmt.Errorf("wallet: record: %d bytes exceed %d", len(sealed), MaxStoredValue)
	}
	if sealed == nil {
		sealed = []byte{}
	}
	return t.exec(`INSERT INTO records (holder_id, kind, id, sealed) VALUES ($1, $2, $3, $4)
		ON CONFLICT (holder_id, kind, id) DO UPDATE SET sealed = excluded.sealed`, holderID, kind, id, sealed)
}

func (t *txn) DeleteRecord(holderID, kind, id string) error {
	if err := checkAddress(holderID, kind); err != nil || id == "" {
		return err
	}
	return t.exec("DELETE FROM records WHERE holder_id = $1 AND kind = $2 AND id = $3", holderID, kind, id)
}

// ForEachRecord implements wallet.Tx, in ascending byte order of id
// (the "C" collation of the column).
func (t *txn) ForEachRecord(holderID, kind string, fn func(id string, sealed []byte) error) error {
	if err := checkAddress(holderID, kind); err != nil {
		return err
	}
	type rec struct {
		id     string
		sealed []byte
	}
	rows, err := pg.Collect(t.t, "SELECT id, sealed FROM records WHERE holder_id = $1 AND kind = $2 ORDER BY id",
		[]any{holderID, kind}, func(row pgx.CollectableRow) (rec, error) {
			var r rec
			return r, row.Scan(&r.id, &r.sealed)
		})
	if err != nil {
		return wrap(err)
	}
	for _, r := range rows {
		if err := fn(r.id, r.sealed); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) RecordCount(holderID string) (int, error) {
	if holderID == "" {
		return 0, nil
	}
	var n int
	err := t.t.Get("SELECT count(*) FROM records WHERE holder_id = $1", []any{holderID}, &n)
	return n, wrap(err)
}

func (t *txn) Session(id string) (*wallet.SessionRecord, error) {
	if id == "" {
		return nil, wallet.ErrNotFound
	}
	var raw []byte
	if err := t.t.Get("SELECT data FROM sessions WHERE id = $1", []any{id}, &raw); err != nil {
		return nil, wrap(err)
	}
	r := new(wallet.SessionRecord)
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("wallet: stored session is corrupt: %w", err)
	}
	return r, nil
}

func (t *txn) PutSession(r *wallet.SessionRecord) error {
	if r.ID == "" || r.HolderID == "" {
		return errors.New("wallet: session without id or holder")
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	if len(raw) > MaxStoredValue {
		return fmt.Errorf("wallet: session: %d bytes exceed %d", len(raw), MaxStoredValue)
	}
	return t.exec(`INSERT INTO sessions (id, holder_id, until, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET holder_id = excluded.holder_id, until = excluded.until, data = excluded.data`,
		r.ID, r.HolderID, r.Until(), raw)
}

func (t *txn) DeleteSession(id string) error {
	if id == "" {
		return nil
	}
	return t.exec("DELETE FROM sessions WHERE id = $1", id)
}

func (t *txn) DeleteHolderSessions(holderID string) (int, error) {
	if holderID == "" {
		return 0, nil
	}
	n, err := t.t.Exec("DELETE FROM sessions WHERE holder_id = $1", holderID)
	return int(n), wrap(err)
}

func (t *txn) DeleteExpiredSessions(now time.Time) (int, error) {
	n, err := t.t.Exec("DELETE FROM sessions WHERE until <= $1", now)
	return int(n), wrap(err)
}
