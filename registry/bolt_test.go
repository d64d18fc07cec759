package registry_test

import (
	"context"
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

func TestBoltFileConformance(t *testing.T) {
	storetest.StoreConformance(t, func(t *testing.T) registry.Store {
		return registry.BoltFile{Path: filepath.Join(t.TempDir(), "registry.db")}
	})
}

func TestBoltFileDoesNotHoldTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	f := registry.BoltFile{Path: path}
	svc := &registry.Service{Store: f}
	if _, err := svc.Init(context.Background(), "", "Board", newKey(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A second writer can open the file while f is "serving".
	s, err := registry.OpenBolt(path)
	if err != nil {
		t.Fatalf("file still locked: %v", err)
	}
	s.Close()
}
