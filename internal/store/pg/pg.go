// Package pg is the shared PostgreSQL layer of Cairn's stores (issue 13:
// several instances of every service on one database; DESIGN.md §6 keeps
// bbolt as the default). It owns opening a pgxpool from a postgres:// URL
// whose password never appears in a message (Redact, Resolve), the
// versioned schema migrations of each service applied on open under an
// advisory lock (two instances starting together migrate once), and
// transactions that match internal/store/bolt's: View on a consistent
// read-only snapshot, Update SERIALIZABLE and retried on serialization
// failures and deadlocks with bounded, jittered backoff, Batch an Update.
//
// Each service lives in its own PostgreSQL schema, <prefix>_<service>
// (prefix "cairn" unless the URL's cairn_schema_prefix parameter names
// another), so one database hosts several services and several
// deployments. It knows nothing of what the stores keep: issuer/pgstore,
// registry/pgstore, wallet/pgstore and verifier/pgstore build their
// tables on it, opening through OpenService and embedding Store[T] for
// their own transaction type. It implements no protocol specification.
package pg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors of the layer; match them with errors.Is.
var (
	// ErrNotFound: a Get found no row.
	ErrNotFound = errors.New("store: not found")
	// ErrRetriesExhausted: an Update kept failing on serialization
	// conflicts for Options.MaxAttempts attempts (the last conflict is
	// wrapped too).
	ErrRetriesExhausted = errors.New("store: transaction kept conflicting with concurrent ones")
	// ErrSchemaNewer: the database holds a schema version this binary
	// does not know (a newer Cairn migrated it).
	ErrSchemaNewer = errors.New("store: the database schema is newer than this program")
	// ErrBadMigration: a migration file name or sequence is wrong.
	ErrBadMigration = errors.New("store: bad migration")
)

// Defaults of Options.
const (
	DefaultPrefix      = "cairn"
	DefaultMaxAttempts = 30
	DefaultBaseDelay   = 2 * time.Millisecond
	DefaultMaxDelay    = 250 * time.Millisecond
)

// PrefixParam is the URL query parameter naming the schema prefix; Open
// removes it before connecting.
const PrefixParam = "cairn_schema_prefix"

// Options configures Open.
type Options struct {
	// Service names the schema: <prefix>_<Service> (required; lower
	// case letters, digits, underscore).
	Service string
	// Migrations holds the service's schema as NNNN_name.sql files at
	// its root, applied in order from 0001; each runs once per schema.
	Migrations fs.FS
	// MaxConns bounds the pool (pgxpool's default when zero: the
	// larger of 4 and the CPU count; the URL's pool_max_conns wins).
	MaxConns int32
	// MaxAttempts bounds the attempts of one Update
	// (DefaultMaxAttempts).
	MaxAttempts int
	// BaseDelay and MaxDelay bound the backoff between attempts: the
	// n-th retry waits between d/2 and d, d = min(MaxDelay,
	// BaseDelay·2^(n-1)).
	BaseDelay, MaxDelay time.Duration
	// Jitter returns a random integer in [0, n) (math/rand/v2 when
	// nil); it spreads the retries of conflicting transactions.
	Jitter func(n int64) int64
	// Logger receives retries and migrations (none when nil). It never
	// sees the URL's password.
	Logger *slog.Logger
	// Tracer, when set, sees every statement the pool's connections run
	// (BEGIN and COMMIT included): for counting round trips in tests and
	// benchmarks.
	Tracer pgx.QueryTracer
}

// DB is an open PostgreSQL store of one service.
type DB struct {
	pool     *pgxpool.Pool
	schema   string
	o        Options
	secrets  []string
	redacted string
	applied  []int
}

var identRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)

// Open connects to the database at rawURL (postgres:// or
// postgresql://), creates the service's schema if needed and applies its
// missing migrations, holding a transaction-scoped advisory lock of the
// schema so concurrent opens migrate once. Its errors and log lines show
// the URL only with the password redacted.
func Open(ctx context.Context, rawURL string, o Options) (*DB, error) {
	if !IsURL(rawURL) {
		return nil, ErrNotURL
	}
	if !identRE.MatchString(o.Service) {
		return nil, fmt.Errorf("store: bad service name %q", o.Service)
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = DefaultBaseDelay
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.Jitter == nil {
		o.Jitter = rand.Int64N
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	d := &DB{o: o, secrets: secrets(rawURL), redacted: Redact(rawURL)}
	connURL, prefix, err := splitPrefix(rawURL)
	if err != nil {
		return nil, d.redact(err)
	}
	d.schema = prefix + "_" + o.Service
	migrations, err := LoadMigrations(o.Migrations)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(connURL)
	if err != nil {
		return nil, d.redact(fmt.Errorf("store %s: %w", d.redacted, err))
	}
	if o.MaxConns > 0 && !hasParam(connURL, "pool_max_conns") {
		cfg.MaxConns = o.MaxConns
	}
	if o.Tracer != nil {
		cfg.ConnConfig.Tracer = o.Tracer
	}
	rp := cfg.ConnConfig.RuntimeParams
	rp["search_path"] = d.schema // tables are named unqualified
	if rp["application_name"] == "" {
		rp["application_name"] = "cairn-" + o.Service
	}
	if d.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, d.redact(fmt.Errorf("store %s: %w", d.redacted, err))
	}
	if err := d.migrate(ctx, migrations); err != nil {
		d.pool.Close()
		return nil, d.redact(fmt.Errorf("store %s: %w", d.redacted, err))
	}
	return d, nil
}

// splitPrefix removes PrefixParam from the URL and returns the prefix
// (DefaultPrefix when absent).
func splitPrefix(raw string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", ErrNotURL // url's error would quote the password
	}
	q := u.Query()
	if !q.Has(PrefixParam) {
		return raw, DefaultPrefix, nil
	}
	prefix := q.Get(PrefixParam)
	if !identRE.MatchString(prefix) {
		return "", "", ErrBadSchemaPrefix
	}
	q.Del(PrefixParam)
	u.RawQuery = q.Encode()
	return u.String(), prefix, nil
}

func hasParam(raw, name string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Query().Has(name)
}

// Schema is the PostgreSQL schema holding the service's tables.
func (d *DB) Schema() string { return d.schema }

// Applied lists the migration versions this Open applied (none when
// the schema was current or another instance migrated it).
func (d *DB) Applied() []int { return append([]int(nil), d.applied...) }

// URL is the store's URL with its password redacted.
func (d *DB) URL() string { return d.redacted }

// Close closes the pool, waiting for connections in use.
func (d *DB) Close() { d.pool.Close() }

func (d *DB) redact(err error) error { return redactErr(err, d.secrets) }

// Tx is one transaction of a View or an Update. Its methods run in the
// context the transaction was started with. A failed statement aborts
// the transaction: the error is remembered, and an Update retries a
// serialization failure even when the callback swallowed or rewrapped
// it. Statements of a View that write fail (a read-only transaction).
//
// The transaction begins with its first statement: BEGIN is sent with
// it in one round trip (a pipelined batch), not in one of its own, and
// a callback that runs no statement costs none.
type Tx struct {
	ctx   context.Context
	conn  *pgx.Conn
	begin string // the BEGIN statement, sent with the first statement
	begun bool
	err   error // the first statement error
}

func (t *Tx) record(err error) error {
	if err != nil && t.err == nil && !errors.Is(err, pgx.ErrNoRows) {
		t.err = err
	}
	return err
}

// aborted is the error of a statement after a failed one, which is not
// sent (the server would refuse it in the aborted transaction).
func (t *Tx) aborted() error {
	if t.err != nil {
		return fmt.Errorf("store: transaction aborted by an earlier statement: %w", t.err)
	}
	return nil
}

// first queues BEGIN and the first statement in one batch; the caller
// reads the statement's result from the batch after BEGIN's (beginErr).
func (t *Tx) first(sql string, args []any) *batch {
	var b pgx.Batch
	b.Queue(t.begin)
	b.Queue(sql, args...)
	return &batch{BatchResults: t.conn.SendBatch(t.ctx, &b), t: t}
}

// batch is the results of a first statement's batch. Its Close notes
// whether the transaction began: a statement that failed to prepare
// sends nothing, BEGIN included.
type batch struct {
	pgx.BatchResults
	t *Tx
}

func (b *batch) Close() error {
	err := b.BatchResults.Close()
	b.t.begun = b.t.conn.PgConn().TxStatus() != 'I'
	return err
}

// beginErr reads BEGIN's result from the batch of the first statement.
func beginErr(br *batch) error {
	if _, err := br.Exec(); err != nil {
		br.Close()
		return fmt.Errorf("begin: %w", err)
	}
	return nil
}

// Exec runs a statement and returns the number of rows it touched.
func (t *Tx) Exec(sql string, args ...any) (int64, error) {
	if err := t.aborted(); err != nil {
		return 0, err
	}
	var tag pgconn.CommandTag
	var err error
	if t.begun {
		tag, err = t.conn.Exec(t.ctx, sql, args...)
	} else {
		br := t.first(sql, args)
		if err = beginErr(br); err == nil {
			tag, err = br.Exec()
			err = errors.Join(err, br.Close())
		}
	}
	if t.record(err) != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Get scans the one row of a query into dest (ErrNotFound when none).
func (t *Tx) Get(sql string, args []any, dest ...any) error {
	if err := t.aborted(); err != nil {
		return err
	}
	var err error
	if t.begun {
		err = t.conn.QueryRow(t.ctx, sql, args...).Scan(dest...)
	} else {
		br := t.first(sql, args)
		if err = beginErr(br); err == nil {
			err = br.QueryRow().Scan(dest...)
			if cerr := br.Close(); err == nil || errors.Is(err, pgx.ErrNoRows) && cerr != nil {
				err = cerr
			}
		}
	}
	err = t.record(err)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return ErrNotFound
	case err != nil:
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Collect returns every row of a query, each scanned by scan. Rows are
// read to the end before Collect returns, so a caller may run other
// statements while walking the result.
func Collect[T any](t *Tx, sql string, args []any, scan func(row pgx.CollectableRow) (T, error)) ([]T, error) {
	if err := t.aborted(); err != nil {
		return nil, err
	}
	var out []T
	var err error
	if t.begun {
		var rows pgx.Rows
		if rows, err = t.conn.Query(t.ctx, sql, args...); err == nil {
			out, err = pgx.CollectRows(rows, scan)
		}
	} else {
		br := t.first(sql, args)
		if err = beginErr(br); err == nil {
			var rows pgx.Rows
			if rows, err = br.Query(); err == nil {
				out, err = pgx.CollectRows(rows, scan)
			}
			err = errors.Join(err, br.Close())
		}
	}
	if t.record(err) != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return out, nil
}

// View runs fn in a read-only REPEATABLE READ transaction: one
// consistent snapshot, as a bbolt View sees.
func (d *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	return d.run(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", fn)
}

// Update runs fn in a SERIALIZABLE transaction that commits when fn
// returns nil and rolls back otherwise. A serialization failure or a
// deadlock (SQLSTATE 40001, 40P01), whether from a statement of fn or
// from the commit, rolls back and runs fn again after a backoff, at most
// Options.MaxAttempts times: fn must therefore set its results afresh on
// each call and have no effect outside the transaction (as bbolt's
// Batch already requires). An error of fn is returned as is, after the
// rollback; a context done before the commit rolls back.
func (d *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return d.run(ctx, "BEGIN ISOLATION LEVEL SERIALIZABLE", fn)
}

// Batch is Update: PostgreSQL groups concurrent commits itself, so
// there is nothing for the store to gather (bbolt's Batch saves fsyncs).
func (d *DB) Batch(ctx context.Context, fn func(tx *Tx) error) error { return d.Update(ctx, fn) }

func (d *DB) run(ctx context.Context, begin string, fn func(tx *Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := d.attempt(ctx, begin, fn)
		if !Retryable(err) {
			return err
		}
		if attempt >= d.o.MaxAttempts {
			return fmt.Errorf("%w (%d attempts): %w", ErrRetriesExhausted, attempt, err)
		}
		wait := d.backoff(attempt)
		d.o.Logger.Debug("store: retrying a conflicting transaction", "schema", d.schema, "attempt", attempt, "sqlstate", sqlState(err), "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (while retrying after: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// backoff is the wait before retry n (1-based): between d/2 and d.
func (d *DB) backoff(n int) time.Duration {
	w := d.o.MaxDelay
	if n < 30 {
		w = min(d.o.MaxDelay, d.o.BaseDelay<<(n-1))
	}
	half := int64(w / 2)
	if half <= 0 {
		return w
	}
	return time.Duration(half + d.o.Jitter(half+1))
}

func (d *DB) attempt(ctx context.Context, begin string, fn func(tx *Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return d.redact(fmt.Errorf("store %s: begin: %w", d.redacted, err))
	}
	// A connection left inside a transaction (a failed ROLLBACK) is
	// closed by the pool on Release, not reused.
	defer conn.Release()
	tx := &Tx{ctx: ctx, conn: conn.Conn(), begin: begin}
	rollback := func() {
		if tx.begun {
			tx.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}
	done := false
	defer func() {
		if !done { // fn panicked
			rollback()
		}
	}()
	ferr := fn(tx)
	done = true
	switch {
	case Retryable(tx.err): // whatever fn made of it
		rollback()
		return tx.err
	case ferr != nil:
		rollback()
		return ferr
	case tx.err != nil: // fn ignored a failed statement: the transaction is void
		rollback()
		return fmt.Errorf("store: %w", tx.err)
	}
	if err := ctx.Err(); err != nil {
		rollback()
		return err
	}
	if !tx.begun { // no statement: nothing to commit
		return nil
	}
	tag, err := tx.conn.Exec(ctx, "COMMIT")
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if tag.String() == "ROLLBACK" { // the server had aborted the transaction
		return fmt.Errorf("store: commit: %w", pgx.ErrTxCommitRollback)
	}
	return nil
}

// Retryable reports whether err is a serialization failure or a
// deadlock, after which the whole transaction may be run again.
func Retryable(err error) bool {
	switch sqlState(err) {
	case "40001", "40P01":
		return true
	}
	return false
}

// IsUniqueViolation reports whether err is a unique-key violation.
func IsUniqueViolation(err error) bool { return sqlState(err) == "23505" }

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
