package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/issuer/storetest"
)

func TestConformance(t *testing.T) {
	storetest.StoreConformance(t, func(t *testing.T) issuer.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "issuer.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
