package pgstore_test

import (
	"context"
	"testing"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/registry/pgstore"
	"github.com/cairn-id/cairn/registry/storetest"
)

// TestConformance runs registry/storetest against PostgreSQL, each case
// on a schema of its own.
func TestConformance(t *testing.T) {
	pgtest.Base(t)
	storetest.StoreConformance(t, func(t *testing.T) registry.Store {
		s, err := pgstore.Open(context.Background(), pgtest.URL(t), pg.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
