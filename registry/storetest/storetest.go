// Package storetest holds the conformance suite every registry.Store
// implementation must pass (DESIGN.md §6: one suite, two stores).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
)

func sampleState() *registry.State {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	return &registry.State{
		Authority: registry.Authority{DID: "did:example:board", KeyID: "did:example:board#0"},
		Registry: trust.Registry{
			ID: "urn:test", Name: "Test", Authority: "did:example:board",
			Entities: []trust.Entity{{
				DID: "did:example:ngo", Role: trust.RoleIssuer, Status: trust.StatusActive,
				Names:                map[string]string{"en": "NGO", "ar": "منظمة"},
				StatusHistory:        []trust.StatusChange{{Status: trust.StatusActive, At: at}},
				ValidFrom:            at,
				IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: "urn:vct", MaxStrength: 2, MaxValidity: 2, From: at}},
			}},
		},
	}
}

// StoreConformance runs the suite. newStore must return an empty store
// that the suite may close.
func StoreConformance(t *testing.T, newStore func(t *testing.T) registry.Store) {
	ctx := context.Background()

	t.Run("empty", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		if _, err := s.Get(ctx); !errors.Is(err, registry.ErrNotInitialized) {
			t.Errorf("Get on empty store: %v, want ErrNotInitialized", err)
		}
		if _, _, err := s.Latest(ctx); !errors.Is(err, registry.ErrNoSnapshot) {
			t.Errorf("Latest on empty store: %v, want ErrNoSnapshot", err)
		}
		if _, err := s.Snapshot(ctx, 1); !errors.Is(err, registry.ErrNoSnapshot) {
			t.Errorf("Snapshot on empty store: %v, want ErrNoSnapshot", err)
		}
	})

	t.Run("put get round trip and revisions", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		st := sampleState()
		rev, err := s.Put(ctx, st)
		if err != nil || rev != 1 {
			t.Fatalf("first Put: rev %d, %v", rev, err)
		}
		got, err := s.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.Revision != 1 || got.Authority.DID != st.Authority.DID || len(got.Registry.Entities) != 1 ||
			got.Registry.Entities[0].Names["ar"] != "منظمة" || !got.Registry.Entities[0].ValidFrom.Equal(st.Registry.Entities[0].ValidFrom) {
			t.Fatalf("round trip lost data: %+v", got)
		}
		// A writer holding an old revision loses.
		stale := *got
		stale.Revision = 0
		if _, err := s.Put(ctx, &stale); !errors.Is(err, registry.ErrConflict) {
			t.Fatalf("stale Put: %v, want ErrConflict", err)
		}
		got.Registry.Name = "Renamed"
		if rev, err := s.Put(ctx, got); err != nil || rev != 2 {
			t.Fatalf("second Put: rev %d, %v", rev, err)
		}
		again, _ := s.Get(ctx)
		if again.Registry.Name != "Renamed" || again.Revision != 2 {
			t.Fatalf("second Put not stored: %+v", again.Registry.Name)
		}
	})

	t.Run("publish", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		st := sampleState()
		rev, err := s.Put(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		st.Revision = rev
		for v := uint64(1); v <= 3; v++ {
			st.Registry.Version = v
			if st.Revision, err = s.Publish(ctx, st, fmt.Sprintf("snap-%d", v)); err != nil {
				t.Fatalf("publish %d: %v", v, err)
			}
		}
		v, compact, err := s.Latest(ctx)
		if err != nil || v != 3 || compact != "snap-3" {
			t.Fatalf("Latest = %d %q %v", v, compact, err)
		}
		if c, err := s.Snapshot(ctx, 2); err != nil || c != "snap-2" {
			t.Fatalf("Snapshot(2) = %q %v", c, err)
		}
		got, _ := s.Get(ctx)
		if got.Registry.Version != 3 || got.Revision != st.Revision {
			t.Fatalf("state after publish: version %d revision %d", got.Registry.Version, got.Revision)
		}
		// Republishing a version changes nothing, state included.
		st.Registry.Name = "should not be stored"
		if _, err := s.Publish(ctx, st, "other"); !errors.Is(err, registry.ErrVersionExists) {
			t.Fatalf("republish: %v, want ErrVersionExists", err)
		}
		if got, _ := s.Get(ctx); got.Registry.Name == "should not be stored" {
			t.Fatal("failed publish stored the state")
		}
		if _, c, _ := s.Latest(ctx); c != "snap-3" {
			t.Fatalf("failed publish changed the latest snapshot: %q", c)
		}
		// A stale writer cannot publish either.
		st.Registry.Version, st.Revision = 4, 1
		if _, err := s.Publish(ctx, st, "snap-4"); !errors.Is(err, registry.ErrConflict) {
			t.Fatalf("stale publish: %v, want ErrConflict", err)
		}
		if _, err := s.Snapshot(ctx, 4); !errors.Is(err, registry.ErrNoSnapshot) {
			t.Fatalf("stale publish stored its snapshot: %v", err)
		}
	})

	t.Run("retention is bounded", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		st := sampleState()
		var err error
		for v := uint64(1); v <= registry.KeepSnapshots+5; v++ {
			st.Registry.Version = v
			if st.Revision, err = s.Publish(ctx, st, fmt.Sprintf("snap-%d", v)); err != nil {
				t.Fatalf("publish %d: %v", v, err)
			}
		}
		if _, err := s.Snapshot(ctx, 5); !errors.Is(err, registry.ErrNoSnapshot) {
			t.Errorf("snapshot 5 kept beyond retention: %v", err)
		}
		if c, err := s.Snapshot(ctx, 6); err != nil || c != "snap-6" {
			t.Errorf("snapshot 6 pruned too early: %v", err)
		}
	})

	t.Run("size limits", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		st := sampleState()
		st.Registry.Name = strings.Repeat("x", registry.MaxStateLen)
		if _, err := s.Put(ctx, st); !errors.Is(err, registry.ErrTooLarge) {
			t.Errorf("oversize state: %v, want ErrTooLarge", err)
		}
		if _, err := s.Get(ctx); !errors.Is(err, registry.ErrNotInitialized) {
			t.Errorf("oversize state was stored: %v", err)
		}
		st = sampleState()
		st.Registry.Version = 1
		if _, err := s.Publish(ctx, st, strings.Repeat("x", trust.MaxSnapshotLen+1)); !errors.Is(err, registry.ErrTooLarge) {
			t.Errorf("oversize snapshot: %v, want ErrTooLarge", err)
		}
	})

	t.Run("concurrent writers", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		if _, err := s.Put(ctx, sampleState()); err != nil {
			t.Fatal(err)
		}
		// Eight writers read revision 1 and race; exactly one may win.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := sampleState()
				st.Revision = 1
				st.Registry.Name = fmt.Sprint("writer-", i)
				if _, err := s.Put(ctx, st); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, registry.ErrConflict) {
					t.Errorf("writer %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d writers won, want 1", wins)
		}
	})

	t.Run("cancelled context", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, sampleState()); err == nil {
			t.Error("Put with cancelled context succeeded")
		}
	})
}
