package issuer_test

import (
	"testing"

	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/storetest"
)

// TestMemoryStoreConformance: the in-memory Store passes the suite every
// Store passes (as issuer/boltstore does).
func TestMemoryStoreConformance(t *testing.T) {
	storetest.StoreConformance(t, func(t *testing.T) issuer.Store { return issuer.NewMemoryStore() })
}
