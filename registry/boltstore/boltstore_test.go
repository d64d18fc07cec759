package boltstore_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/registry/boltstore"
	"github.com/cairn-id/cairn/registry/storetest"
)

func newKey(t testing.TB) crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newBolt(t *testing.T) registry.Store {
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "registry.db"))
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
		return boltstore.File{Path: filepath.Join(t.TempDir(), "registry.db")}
	})
}

func TestBoltFileDoesNotHoldTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	f := boltstore.File{Path: path}
	svc := &registry.Service{Store: f}
	if _, err := svc.Init(context.Background(), "", "Board", newKey(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A second writer can open the file while f is "serving".
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatalf("file still locked: %v", err)
	}
	s.Close()
}
