// Package pgtest gives tests a PostgreSQL store of their own (issue 13):
// URL returns the database named by CAIRN_TEST_POSTGRES with a fresh
// schema prefix, and drops every schema under that prefix when the test
// ends. Without CAIRN_TEST_POSTGRES a test is skipped, saying so, except
// under CI (CI set), where it fails: CI never skips the PostgreSQL tests.
// It implements no protocol specification.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cairn-id/cairn/internal/store/pg"
)

// Env names the database the PostgreSQL tests may create schemas in.
const Env = "CAIRN_TEST_POSTGRES"

// SkipMessage is what a test without Env says.
const SkipMessage = "PostgreSQL tests skipped: set " + Env + "=postgres://user:password@host/db (a database the tests may create schemas in; .ci/run sets it up)"

// Base returns the URL of Env, skipping the test when it is unset (or
// failing it under CI).
func Base(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(Env + " is not set: CI runs the PostgreSQL tests and never skips them")
		}
		t.Skip(SkipMessage)
	}
	if !pg.IsURL(u) {
		t.Fatalf("%s is not a postgres:// URL", Env)
	}
	return u
}

// URL returns a store URL for this test alone: Env with a new
// cairn_schema_prefix. Every schema the test's stores create under the
// prefix is dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	base := Base(t)
	var b [6]byte
	rand.Read(b[:])
	prefix := "t" + hex.EncodeToString(b[:])
	t.Cleanup(func() { drop(t, base, prefix) })
	return WithPrefix(t, base, prefix)
}

// WithPrefix returns raw with cairn_schema_prefix set to prefix.
func WithPrefix(t testing.TB, raw, prefix string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s does not parse as a URL", Env)
	}
	q := u.Query()
	q.Set(pg.PrefixParam, prefix)
	u.RawQuery = q.Encode()
	return u.String()
}

// drop removes the schemas named prefix_*.
func drop(t testing.TB, base, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("pgtest: cleanup: connect: %v", err) // pgx names no password
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, prefix+"_")
	if err != nil {
		t.Errorf("pgtest: cleanup: %v", err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Errorf("pgtest: cleanup: %v", err)
		return
	}
	for _, n := range names {
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{n}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("pgtest: cleanup: drop %s: %v", n, err)
		}
	}
}

// Dump returns every value of every table of schema as the server sends
// it in binary form (bytea as its bytes, text and jsonb as their text),
// concatenated: what a copy of the database would reveal, for tests that
// search a store for what it must not hold.
func Dump(t testing.TB, schema string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, Base(t))
	if err != nil {
		t.Fatalf("pgtest: dump: connect: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, schema)
	if err != nil {
		t.Fatalf("pgtest: dump: %v", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		t.Fatalf("pgtest: dump: schema %s has no tables (%v)", schema, err)
	}
	var out []byte
	for _, tbl := range tables {
		rows, err := conn.Query(ctx, "SELECT * FROM "+pgx.Identifier{schema, tbl}.Sanitize(), pgx.QueryResultFormats{pgx.BinaryFormatCode})
		if err != nil {
			t.Fatalf("pgtest: dump %s: %v", tbl, err)
		}
		for rows.Next() {
			for _, v := range rows.RawValues() {
				out = append(append(out, v...), 0)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("pgtest: dump %s: %v", tbl, err)
		}
	}
	return out
}
