package issuer

import (
	"context"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/trust"
)

// RegistryLoader reads and verifies a registry snapshot at now (its
// signature against the pinned authority keys, its validity window). A
// server passes one that reads its --registry file.
type RegistryLoader func(ctx context.Context, now time.Time) (*trust.Registry, error)

// Registry returns the registry snapshot offers are checked against (nil
// when the Service runs without one).
func (s *Service) Registry() *trust.Registry { return s.registry.Load() }

// SetRegistry replaces the registry snapshot, unchecked: ReloadRegistry
// is the checked way.
func (s *Service) SetRegistry(r *trust.Registry) { s.registry.Store(r) }

// ReloadRegistry loads a snapshot with load and, when it verifies and is
// the same registry at a newer version than the one in use, makes it the
// one offers are checked against. Otherwise the snapshot in use stays,
// a warning is logged and the error says why: the loader's error (bad
// signature, expired, unreadable), or ErrRegistryReload wrapping
// trust.ErrSnapshotRollback for an older version. The same version again
// changes nothing and is no error. It returns the snapshot in use after
// the call.
//
// A snapshot in use that expires is not replaced by anything: offers then
// fail closed with ErrRegistryExpired until a fresh one loads.
func (s *Service) ReloadRegistry(ctx context.Context, load RegistryLoader) (*trust.Registry, error) {
	cur := s.registry.Load()
	next, err := load(ctx, s.cfg.Now())
	if err == nil && next == nil {
		err = fmt.Errorf("%w: the loader returned no registry", ErrRegistryReload)
	}
	if err == nil && cur != nil {
		switch {
		case next.ID != cur.ID || next.Authority != cur.Authority:
			err = fmt.Errorf("%w: snapshot is of registry %q (authority %s), the one in use is %q (authority %s)",
				ErrRegistryReload, next.ID, next.Authority, cur.ID, cur.Authority)
		case next.Version < cur.Version:
			err = fmt.Errorf("%w: %w: version %d, in use %d", ErrRegistryReload, trust.ErrSnapshotRollback, next.Version, cur.Version)
		case next.Version == cur.Version:
			s.counters().RegistryReload(ReloadUnchanged)
			return cur, nil
		}
	}
	if err != nil {
		s.counters().RegistryReload(ReloadRefused)
		args := []any{"err", err}
		if cur != nil {
			args = append(args, "registry", cur.ID, "version", cur.Version, "expires", cur.Expires.UTC().Format(time.RFC3339))
		}
		s.log.Warn("registry reload refused; keeping the snapshot in use", args...)
		return cur, err
	}
	s.registry.Store(next)
	s.counters().RegistryReload(ReloadLoaded)
	s.log.Info("trust registry loaded", "registry", next.ID, "version", next.Version, "expires", next.Expires.UTC().Format(time.RFC3339))
	return next, nil
}
