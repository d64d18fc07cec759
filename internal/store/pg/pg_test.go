package pg_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
)

var ctx = context.Background()

var testMigrations = fstest.MapFS{
	"0001_init.sql":    {Data: []byte(`CREATE TABLE kv (k text COLLATE "C" PRIMARY KEY, n bigint NOT NULL)`)},
	"0002_extra.sql":   {Data: []byte(`CREATE TABLE extra (id int PRIMARY KEY); CREATE INDEX extra_id ON extra (id)`)},
	"0003_default.sql": {Data: []byte(`ALTER TABLE kv ALTER COLUMN n SET DEFAULT 0`)},
}

func open(t *testing.T, u string, mut ...func(*pg.Options)) *pg.DB {
	t.Helper()
	o := pg.Options{Service: "test", Migrations: testMigrations}
	for _, m := range mut {
		m(&o)
	}
	db, err := pg.Open(ctx, u, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func TestLoadMigrations(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		ok   bool
	}{
		{"in order", testMigrations, true},
		{"gap", fstest.MapFS{"0001_a.sql": {}, "0003_c.sql": {}}, false},
		{"not from one", fstest.MapFS{"0002_b.sql": {}}, false},
		{"two of one number", fstest.MapFS{"0001_a.sql": {}, "0002_b.sql": {}, "0002_c.sql": {}}, false},
		{"stray file", fstest.MapFS{"0001_a.sql": {}, "README": {}}, false},
		{"bad name", fstest.MapFS{"1_a.sql": {}}, false},
		{"none", fstest.MapFS{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := pg.LoadMigrations(tc.fs)
			if tc.ok != (err == nil) {
				t.Fatalf("LoadMigrations: %v %v", ms, err)
			}
			if err != nil && !errors.Is(err, pg.ErrBadMigration) {
				t.Fatalf("error %v is not ErrBadMigration", err)
			}
		})
	}
}

// TestServiceMigrationsLoad loads every service's shipped migrations
// (role/pgstore/migrations), so two branches that each add the same
// next number fail here, without a database, rather than at the first
// start on PostgreSQL.
func TestServiceMigrationsLoad(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "..", "*", "pgstore", "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 4 {
		t.Fatalf("found %d pgstore migration directories (%v), want the four services'", len(dirs), dirs)
	}
	for _, d := range dirs {
		if _, err := pg.LoadMigrations(os.DirFS(d)); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

// TestOpenErrorsHideThePassword: a server that does not answer and one
// that refuses the password; neither the error nor the log shows it.
func TestOpenErrorsHideThePassword(t *testing.T) {
	const secret = "Zq9-very-secret"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	urls := []string{"postgres://cairn:" + secret + "@127.0.0.1:1/cairn?connect_timeout=2"}
	if base := pgEnv(); base != "" {
		u, _ := url.Parse(base)
		u.User = url.UserPassword(u.User.Username(), secret)
		urls = append(urls, u.String())
	}
	for _, u := range urls {
		_, err := pg.Open(ctx, u, pg.Options{Service: "test", Migrations: testMigrations, Logger: logger})
		if err == nil {
			t.Fatalf("Open of %s succeeded", pg.Redact(u))
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "xxxxx") {
			t.Errorf("error does not name the redacted URL: %v", err)
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("log shows the password: %s", logs.String())
	}
}

func pgEnv() string { return strings.TrimSpace(os.Getenv(pgtest.Env)) }

// TestConcurrentOpensMigrateOnce: four pools open one fresh schema at
// once; each migration is applied by exactly one of them.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	u := pgtest.URL(t)
	const n = 4
	dbs := make([]*pg.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = pg.Open(ctx, u, pg.Options{Service: "test", Migrations: testMigrations}) })
	}
	wg.Wait()
	applied := map[int]int{}
	for i, db := range dbs {
		if errs[i] != nil {
			t.Fatalf("open %d: %v", i, errs[i])
		}
		defer db.Close()
		for _, v := range db.Applied() {
			applied[v]++
		}
	}
	for v := 1; v <= 3; v++ {
		if applied[v] != 1 {
			t.Errorf("migration %d applied %d times, want 1", v, applied[v])
		}
	}
	var rows int
	if err := dbs[0].View(ctx, func(tx *pg.Tx) error {
		return tx.Get("SELECT count(*) FROM schema_migrations", nil, &rows)
	}); err != nil || rows != 3 {
		t.Errorf("schema_migrations has %d rows (%v), want 3", rows, err)
	}
	if again := open(t, u); len(again.Applied()) != 0 {
		t.Errorf("a reopen applied %v", again.Applied())
	}
}

func TestSchemaNewerIsRefused(t *testing.T) {
	u := pgtest.URL(t)
	open(t, u)
	_, err := pg.Open(ctx, u, pg.Options{Service: "test", Migrations: fstest.MapFS{"0001_init.sql": testMigrations["0001_init.sql"]}})
	if !errors.Is(err, pg.ErrSchemaNewer) {
		t.Fatalf("older program on a newer schema: %v, want ErrSchemaNewer", err)
	}
}

// TestServicesAndPrefixesAreSeparate: two services, and one service
// under two prefixes, in one database keep their own tables.
func TestServicesAndPrefixesAreSeparate(t *testing.T) {
	u := pgtest.URL(t)
	a := open(t, u)
	b := open(t, u, func(o *pg.Options) { o.Service = "other" })
	// The second prefix starts with the test's: its schema is dropped with it.
	c := open(t, pgtest.WithPrefix(t, u, strings.Split(a.Schema(), "_")[0]+"_two"))
	if a.Schema() == b.Schema() || a.Schema() == c.Schema() {
		t.Fatalf("schemas %s %s %s", a.Schema(), b.Schema(), c.Schema())
	}
	if err := a.Update(ctx, func(tx *pg.Tx) error {
		_, err := tx.Exec("INSERT INTO kv (k, n) VALUES ('x', 1)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, db := range []*pg.DB{b, c} {
		var n int64
		if err := db.View(ctx, func(tx *pg.Tx) error { return tx.Get("SELECT n FROM kv WHERE k = 'x'", nil, &n) }); !errors.Is(err, pg.ErrNotFound) {
			t.Errorf("%s sees %s's row: %d %v", db.Schema(), a.Schema(), n, err)
		}
	}
}

func TestTransactions(t *testing.T) {
	db := open(t, pgtest.URL(t))
	put := func(tx *pg.Tx, k string, n int64) error {
		_, err := tx.Exec("INSERT INTO kv (k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET n = excluded.n", k, n)
		return err
	}
	get := func(k string) (n int64, err error) {
		err = db.View(ctx, func(tx *pg.Tx) error { return tx.Get("SELECT n FROM kv WHERE k = $1", []any{k}, &n) })
		return n, err
	}

	t.Run("a failed Update changes nothing", func(t *testing.T) {
		boom := errors.New("boom")
		if err := db.Update(ctx, func(tx *pg.Tx) error { return errors.Join(put(tx, "a", 1), boom) }); !errors.Is(err, boom) {
			t.Fatalf("Update: %v", err)
		}
		if _, err := get("a"); !errors.Is(err, pg.ErrNotFound) {
			t.Fatalf("row of a failed Update: %v", err)
		}
	})

	t.Run("a View cannot write", func(t *testing.T) {
		if err := db.View(ctx, func(tx *pg.Tx) error { return put(tx, "a", 1) }); err == nil {
			t.Fatal("write in a View succeeded")
		}
	})

	t.Run("a swallowed statement error fails the Update", func(t *testing.T) {
		err := db.Update(ctx, func(tx *pg.Tx) error {
			tx.Exec("INSERT INTO no_such_table VALUES (1)")
			return put(tx, "b", 1)
		})
		if err == nil {
			t.Fatal("Update committed after a failed statement")
		}
		if _, err := get("b"); !errors.Is(err, pg.ErrNotFound) {
			t.Fatalf("row stored: %v", err)
		}
	})

	t.Run("a conflicting Update runs again and keeps both writes", func(t *testing.T) {
		if err := db.Update(ctx, func(tx *pg.Tx) error { return put(tx, "c", 0) }); err != nil {
			t.Fatal(err)
		}
		var runs atomic.Int32
		err := db.Update(ctx, func(tx *pg.Tx) error {
			var n int64
			if err := tx.Get("SELECT n FROM kv WHERE k = 'c'", nil, &n); err != nil {
				return err
			}
			if runs.Add(1) == 1 { // another transaction commits in between, once
				if err := db.Update(ctx, func(tx *pg.Tx) error { return put(tx, "c", 10) }); err != nil {
					return err
				}
			}
			return put(tx, "c", n+1)
		})
		if err != nil {
			t.Fatal(err)
		}
		if runs.Load() != 2 {
			t.Errorf("callback ran %d times, want 2 (one serialization failure)", runs.Load())
		}
		if n, _ := get("c"); n != 11 {
			t.Errorf("counter %d, want 11", n)
		}
	})

	t.Run("retries are bounded", func(t *testing.T) {
		var runs, waits int
		db := open(t, pgtest.URL(t), func(o *pg.Options) {
			o.MaxAttempts = 4
			o.Jitter = func(n int64) int64 { waits++; return 0 }
		})
		err := db.Update(ctx, func(tx *pg.Tx) error { runs++; return &pgconn.PgError{Code: "40001"} })
		if !errors.Is(err, pg.ErrRetriesExhausted) || !pg.Retryable(err) {
			t.Fatalf("Update: %v, want ErrRetriesExhausted wrapping the conflict", err)
		}
		if runs != 4 || waits != 3 {
			t.Errorf("%d runs and %d waits, want 4 and 3", runs, waits)
		}
	})

	t.Run("cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := db.Update(cctx, func(tx *pg.Tx) error { return put(tx, "d", 1) }); !errors.Is(err, context.Canceled) {
			t.Fatalf("Update: %v", err)
		}
	})

	t.Run("concurrent increments all count", func(t *testing.T) {
		if err := db.Update(ctx, func(tx *pg.Tx) error { return put(tx, "e", 0) }); err != nil {
			t.Fatal(err)
		}
		const n = 16
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				run := db.Update
				if i%2 == 0 {
					run = db.Batch
				}
				err := run(ctx, func(tx *pg.Tx) error {
					var v int64
					if err := tx.Get("SELECT n FROM kv WHERE k = 'e'", nil, &v); err != nil {
						return err
					}
					return put(tx, "e", v+1)
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if v, _ := get("e"); v != n {
			t.Errorf("counter %d after %d increments", v, n)
		}
	})
}
