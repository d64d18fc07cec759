package pgstore_test

import (
	"context"
	"testing"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/pgstore"
	"github.com/cairn-id/cairn/issuer/storetest"
)

func open(t *testing.T, url string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), url, pg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformance runs issuer/storetest against PostgreSQL, each case
// on a schema of its own.
func TestConformance(t *testing.T) {
	pgtest.Base(t)
	storetest.StoreConformance(t, func(t *testing.T) issuer.Store { return open(t, pgtest.URL(t)) })
}
