package registry_test

import (
	"path/filepath"
	"testing"

	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/registry/boltstore"
)

// newBolt is an empty bbolt store for the service and handler tests.
func newBolt(t *testing.T) registry.Store {
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
