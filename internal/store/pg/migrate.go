package pg

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// Migration is one versioned step of a service's schema.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// LoadMigrations reads the NNNN_name.sql files at the root of fsys,
// which must be numbered 0001, 0002, … without a gap. Other files are
// an error, so a misnamed migration is not silently skipped.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	if fsys == nil {
		return nil, fmt.Errorf("%w: no migrations", ErrBadMigration)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadMigration, err)
	}
	var out []Migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("%w: %q is not NNNN_name.sql", ErrBadMigration, e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		sql, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadMigration, err)
		}
		out = append(out, Migration{Version: v, Name: m[2], SQL: string(sql)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if i > 0 && out[i-1].Version == m.Version {
			return nil, fmt.Errorf("%w: two migrations numbered %04d (%s and %s): renumber the later one", ErrBadMigration, m.Version, out[i-1].Name, m.Name)
		}
		if m.Version != i+1 {
			return nil, fmt.Errorf("%w: version %d where %d was expected", ErrBadMigration, m.Version, i+1)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no migrations", ErrBadMigration)
	}
	return out, nil
}

// lockKey is the advisory lock of a schema's migrations.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("cairn:migrate:" + schema))
	return int64(h.Sum64())
}

// migrate creates the schema and applies the missing migrations in one
// READ COMMITTED transaction that first takes the schema's advisory
// lock: a second instance waits, then sees the versions the first one
// recorded and applies nothing. The lock ends with the transaction.
func (d *DB) migrate(ctx context.Context, ms []Migration) error {
	tx, err := d.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey(d.schema)); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	ident := pgx.Identifier{d.schema}.Sanitize()
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", d.schema).Scan(&exists); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !exists { // checked first: a role without CREATE on the database may use a schema made for it
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
			return fmt.Errorf("migrate: create schema %s: %w", d.schema, err)
		}
	}
	if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+ident); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	done := map[int]bool{}
	for _, v := range versions {
		if int(v) > len(ms) {
			return fmt.Errorf("%w: schema %s is at version %d, this program knows %d", ErrSchemaNewer, d.schema, v, len(ms))
		}
		done[int(v)] = true
	}
	var applied []int
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate: %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return fmt.Errorf("migrate: %04d_%s: %w", m.Version, m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	d.applied = applied
	if len(applied) > 0 {
		d.o.Logger.Info("store: schema migrated", "schema", d.schema, "versions", applied)
	}
	return nil
}
