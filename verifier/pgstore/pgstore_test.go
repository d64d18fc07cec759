package pgstore_test

import (
	"context"
	"testing"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/pgstore"
	"github.com/cairn-id/cairn/verifier/storetest"
)

// TestConformance runs verifier/storetest against PostgreSQL, each case
// on a schema of its own.
func TestConformance(t *testing.T) {
	pgtest.Base(t)
	storetest.StoreConformance(t, func(t *testing.T) verifier.Store {
		s, err := pgstore.Open(context.Background(), pgtest.URL(t), pg.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
