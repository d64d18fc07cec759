package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/boltstore"
	"github.com/cairn-id/cairn/verifier/storetest"
)

func TestConformance(t *testing.T) {
	storetest.StoreConformance(t, func(t *testing.T) verifier.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "verifier.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
