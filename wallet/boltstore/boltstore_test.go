package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/boltstore"
	"github.com/cairn-id/cairn/wallet/storetest"
)

func openStore(t testing.TB, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.StoreConformance(t, func(t *testing.T) wallet.Store {
		return openStore(t, filepath.Join(t.TempDir(), "wallet.db"))
	})
}
