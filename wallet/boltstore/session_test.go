package boltstore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-id/cairn/wallet/storetest"
)

// TestStoreFileHoldsNoSessionSecret: with sessions open on two agent
// instances, the bbolt file holds no session token, secret or session
// key, and no data or record key.
func TestStoreFileHoldsNoSessionSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.db")
	st := openStore(t, path)
	defer st.Close()
	storetest.NoSessionSecretStored(t, st, func(t *testing.T) []byte {
		b, err := os.ReadFile(path) // every commit is synced to the file
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
