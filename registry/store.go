// Package registry is the governance authority's side of the Cairn trust
// registry (DESIGN.md §4): the working state of a registry kept in a Store
// (bbolt by default, DESIGN.md §6), a Service that admits, authorizes,
// suspends, reinstates and revokes entities and publishes signed snapshots
// (the format lives in internal/trust). Its HTTP API (the latest
// snapshot, entity look-ups, TRQP v2-shaped queries) is registry/api.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/trust"
)

// Store errors. Implementations wrap these so callers can match them.
var (
	ErrNotInitialized = errors.New("registry: not initialized")
	ErrConflict       = errors.New("registry: state changed concurrently; retry")
	ErrVersionExists  = errors.New("registry: snapshot version already published")
	ErrNoSnapshot     = errors.New("registry: nothing published yet")
	ErrTooLarge       = errors.New("registry: value exceeds store limit")
)

// Store bounds.
const (
	MaxStateLen = 8 << 20
	// KeepSnapshots is how many published snapshots a store retains; older
	// ones are pruned in the same transaction that adds a new one.
	KeepSnapshots = 64
)

// Authority is the registry's configuration: who signs it. The private
// key never enters the store; Publish is handed the key and checks it
// against PublicJWK.
type Authority struct {
	DID       string    `json:"did"`
	KeyID     string    `json:"kid"`
	PublicJWK *jose.JWK `json:"public_jwk"`
}

// State is everything an authority keeps between commands: its
// configuration and the working copy of the registry. Registry.Version is
// the last published version. Revision increases with every write and
// guards against lost updates when several processes share a store.
type State struct {
	Revision  uint64         `json:"revision"`
	Authority Authority      `json:"authority"`
	Registry  trust.Registry `json:"registry"`
	// Lists records the trusted lists imported (ImportList), one per
	// scheme, so an older list is refused.
	Lists []ImportedList `json:"lists,omitempty"`
}

// Store keeps one registry's state and its published snapshots. Every
// method is one transaction.
type Store interface {
	// Get returns the state, or ErrNotInitialized.
	Get(ctx context.Context) (*State, error)
	// Put stores st if the stored revision still equals st.Revision (0
	// when nothing is stored) and returns the new revision; otherwise it
	// fails with ErrConflict and changes nothing.
	Put(ctx context.Context, st *State) (uint64, error)
	// Publish does what Put does and, in the same transaction, stores
	// compact as snapshot st.Registry.Version (ErrVersionExists if that
	// version is already stored).
	Publish(ctx context.Context, st *State, compact string) (uint64, error)
	// Latest returns the newest published snapshot and its version, or
	// ErrNoSnapshot.
	Latest(ctx context.Context) (uint64, string, error)
	// Snapshot returns a published snapshot by version, or ErrNoSnapshot.
	Snapshot(ctx context.Context, version uint64) (string, error)
	Close() error
}

// NextState is the write rule every Store's Put and Publish share: st
// replaces the state stored at revision stored (0: none) only if it was
// read at that revision (ErrConflict). It returns the next revision and
// st encoded at it, within MaxStateLen (ErrTooLarge).
func NextState(stored uint64, st *State) (uint64, []byte, error) {
	if stored != st.Revision {
		return 0, nil, fmt.Errorf("%w: stored revision %d, writer had %d", ErrConflict, stored, st.Revision)
	}
	next := *st
	next.Revision = stored + 1
	b, err := json.Marshal(&next)
	if err != nil {
		return 0, nil, fmt.Errorf("registry: encode state: %w", err)
	}
	if len(b) > MaxStateLen {
		return 0, nil, fmt.Errorf("%w: state has %d bytes, limit %d", ErrTooLarge, len(b), MaxStateLen)
	}
	return next.Revision, b, nil
}

// CheckPublish checks a Publish call's arguments before a Store opens a
// transaction: a snapshot within trust.MaxSnapshotLen (ErrTooLarge), a
// version and a snapshot.
func CheckPublish(st *State, compact string) error {
	if len(compact) > trust.MaxSnapshotLen {
		return fmt.Errorf("%w: snapshot has %d bytes", ErrTooLarge, len(compact))
	}
	if st.Registry.Version == 0 || compact == "" {
		return fmt.Errorf("registry: publish needs a version and a snapshot")
	}
	return nil
}
