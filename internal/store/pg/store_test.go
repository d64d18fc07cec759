package pg_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
)

// kvTx is a role's own transaction type, as a store would define it.
type kvTx struct{ t *pg.Tx }

func (k kvTx) put(key string, n int64) error {
	_, err := k.t.Exec("INSERT INTO kv (k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET n = excluded.n", key, n)
	return err
}

func (k kvTx) get(key string) (n int64, err error) {
	err = k.t.Get("SELECT n FROM kv WHERE k = $1", []any{key}, &n)
	return n, err
}

func TestOpenServiceErrors(t *testing.T) {
	files := fstest.MapFS{"migrations/0001_init.sql": testMigrations["0001_init.sql"]}
	tests := []struct {
		name, url, dir, want string
	}{
		{"bad directory", "postgres://u:secret@127.0.0.1:1/db", "../x", "invalid"},
		{"open fails, prefixed with the service", "mysql://u:secret@127.0.0.1:1/db", "migrations", "svc: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pg.OpenService(ctx, tc.url, pg.Options{}, "svc", files, tc.dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
				t.Fatalf("OpenService: %v, want an error with %q and no password", err, tc.want)
			}
		})
	}
}

func TestStoreHandsTheRoleTx(t *testing.T) {
	files := fstest.MapFS{"migrations/0001_init.sql": testMigrations["0001_init.sql"]}
	db, err := pg.OpenService(ctx, pgtest.URL(t), pg.Options{}, "svc", files, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	s := pg.NewStore(db, func(tx *pg.Tx) kvTx { return kvTx{tx} })
	defer s.Close()
	if got := s.DB().Schema(); !strings.HasSuffix(got, "_svc") {
		t.Fatalf("schema %q, want the service's", got)
	}
	tests := []struct {
		name string
		run  func(fn func(kvTx) error) error
		n    int64
	}{
		{"Update", func(fn func(kvTx) error) error { return s.Update(ctx, fn) }, 1},
		{"Batch", func(fn func(kvTx) error) error { return s.Batch(ctx, fn) }, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(func(tx kvTx) error { return tx.put("a", tc.n) }); err != nil {
				t.Fatal(err)
			}
			var got int64
			if err := s.View(ctx, func(tx kvTx) (err error) { got, err = tx.get("a"); return err }); err != nil {
				t.Fatal(err)
			}
			if got != tc.n {
				t.Fatalf("after %s: %d, want %d", tc.name, got, tc.n)
			}
		})
	}
	if err := s.View(ctx, func(tx kvTx) error { return tx.put("b", 1) }); err == nil {
		t.Fatal("a View wrote")
	}
}
