package pgstore_test

import (
	"testing"

	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/wallet/storetest"
)

// TestTablesHoldNoSessionSecret: with sessions open on two agent
// instances, no column of the wallet's tables holds a session token,
// secret or session key, or a data or record key.
func TestTablesHoldNoSessionSecret(t *testing.T) {
	st := open(t, pgtest.URL(t))
	defer st.Close()
	storetest.NoSessionSecretStored(t, st, func(t *testing.T) []byte { return pgtest.Dump(t, st.DB().Schema()) })
}
