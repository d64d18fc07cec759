package pgstore_test

import (
	"context"
	"testing"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/pgstore"
	"github.com/cairn-id/cairn/wallet/storetest"
)

func open(t testing.TB, url string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), url, pg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformance runs wallet/storetest against PostgreSQL, each case
// on a schema of its own.
func TestConformance(t *testing.T) {
	pgtest.Base(t)
	storetest.StoreConformance(t, func(t *testing.T) wallet.Store { return open(t, pgtest.URL(t)) })
}
