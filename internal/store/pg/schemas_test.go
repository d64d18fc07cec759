package pg_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
)

func TestWithSchemaPrefix(t *testing.T) {
	for _, c := range []struct {
		raw, prefix, want string
		err               error
	}{
		{"postgres://u@h/db", "pilot_clinic", "postgres://u@h/db?cairn_schema_prefix=pilot_clinic", nil},
		{"postgres://u:pw@h/db?cairn_schema_prefix=a&sslmode=disable", "a_clinic", "postgres://u:pw@h/db?cairn_schema_prefix=a_clinic&sslmode=disable", nil},
		{"postgres://u@h/db", "Bad-Prefix", "", pg.ErrBadSchemaPrefix},
		{"mysql://u@h/db", "a", "", pg.ErrNotURL},
	} {
		got, err := pg.WithSchemaPrefix(c.raw, c.prefix)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("WithSchemaPrefix(%q, %q) = %q, %v", c.raw, c.prefix, got, err)
		}
		if c.err == nil {
			if p, err := pg.SchemaPrefix(got); p != c.prefix || err != nil {
				t.Errorf("SchemaPrefix(%q) = %q, %v", got, p, err)
			}
		}
	}
	if p, _ := pg.SchemaPrefix("postgres://u@h/db"); p != pg.DefaultPrefix {
		t.Errorf("default prefix %q", p)
	}
}

// TestDropSchemas drops the schemas named and no other; a bad name
// drops nothing.
func TestDropSchemas(t *testing.T) {
	u := pgtest.URL(t)
	p, _ := pg.SchemaPrefix(u)
	keep := open(t, u) // <p>_test
	other, err := pg.Open(ctx, u, pg.Options{Service: "gone", Migrations: testMigrations})
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	if err := pg.DropSchemas(ctx, u, []string{p + "_gone", "Robert'); DROP SCHEMA x;--"}); err == nil || !strings.Contains(err.Error(), "bad schema name") {
		t.Fatalf("a bad name: %v", err)
	}
	if err := pg.DropSchemas(ctx, u, []string{p + "_gone", p + "_never"}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := keep.View(ctx, func(tx *pg.Tx) error {
		return tx.Get("SELECT count(*) FROM pg_namespace WHERE nspname = ANY($1)", []any{[]string{p + "_gone", p + "_test"}}, &n)
	}); err != nil || n != 1 {
		t.Errorf("schemas left of _gone and _test: %d (%v), want 1 (_test)", n, err)
	}
}
