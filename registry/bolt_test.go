package registry_test

import (
	"path/filepath"
	"testing"

	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/registry/storetest"
)

func newBolt(t *testing.T) registry.Store {
	s, err := registry.OpenBolt(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBoltStoreConformance(t *testing.T) {
	storetest.StoreConformance(t, newBolt)
}
