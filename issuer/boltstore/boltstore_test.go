package boltstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/cairn-id/cairn/internal/statuslist"
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

// TestOpenMigratesListsWithBitsInJSON: a file written before the bits and
// allocator state had their own keys opens with both moved there.
func TestOpenMigratesListsWithBitsInJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.db")
	alloc, _ := statuslist.NewAllocator(16, nil).MarshalBinary()
	old, _ := json.Marshal(issuer.StatusList{ID: "1", Size: 16, Bits: []byte{0, 0x40, 0, 0}, Allocator: alloc, Revision: 3})
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket([]byte("lists"))
		if err != nil {
			return err
		}
		return b.Put([]byte("1"), old)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ { // the second open finds nothing to migrate
		s, err := boltstore.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s.View(context.Background(), func(tx issuer.Tx) error {
			l, err := tx.StatusList("1")
			if err != nil || l.Size != 16 || l.Revision != 3 || !bytes.Equal(l.Bits, []byte{0, 0x40, 0, 0}) || !bytes.Equal(l.Allocator, alloc) {
				t.Errorf("open %d: list %+v %v", round, l, err)
			}
			return nil
		})
		s.Close()
	}
}
