package api

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
)

// errNotLoaded is the readiness failure of a handler in memory mode
// holding no snapshot.
var errNotLoaded = errors.New("registry/api: no published snapshot loaded")

// inMemory returns the snapshot held in memory (nil: none), first
// reloading it if the watched signature has changed. Only one request
// reloads at a time; the others go on with what is held.
func (h *Handler) inMemory(ctx context.Context) *loaded {
	// A reload serves every request after this one: a client that
	// hangs up does not abort it.
	h.check(context.WithoutCancel(ctx), false)
	return h.current.Load()
}

// check reloads when forced or when the signature differs from the one
// of the last load. It reports whether it reloaded successfully.
func (h *Handler) check(ctx context.Context, force bool) (bool, error) {
	sig, err := h.watch()
	if err != nil {
		h.storeErrors.Inc()
		return false, fmt.Errorf("registry/api: watch the store: %w", err)
	}
	if last := h.sig.Load(); !force && last != nil && *last == sig {
		return false, nil
	}
	if !force && h.backingOff(sig) {
		return false, nil
	}
	if !force {
		if !h.reloadMu.TryLock() {
			return false, nil // another request is reloading
		}
	} else {
		h.reloadMu.Lock()
	}
	defer h.reloadMu.Unlock()
	if last := h.sig.Load(); !force && last != nil && *last == sig {
		return false, nil // reloaded meanwhile
	}
	if err := h.load(ctx); err != nil {
		h.failed(sig)
		if !errors.Is(err, registry.ErrNoSnapshot) {
			// At most one reload runs at a time, each bounded by the
			// store's open timeout, so this line cannot flood the log.
			h.storeErrors.Inc()
			h.log.Warn("reloading the registry snapshot failed; serving the one held", "version", h.Version(), "err", err.Error())
		}
		return false, err
	}
	h.sig.Store(&sig)
	return true, nil
}

// retryPause is how long a failed reload (nothing published, the file
// held by a writer, a snapshot that does not verify) is not retried
// while the signature stays what it was: without it every request would
// open the store. It is measured on the real clock: it paces file
// opens, it decides nothing.
const retryPause = time.Second

// backingOff reports whether the last reload failed at this very
// signature less than retryPause ago.
func (h *Handler) backingOff(sig string) bool {
	h.failMu.Lock()
	defer h.failMu.Unlock()
	return sig == h.failedSig && time.Now().Before(h.retryAt)
}

func (h *Handler) failed(sig string) {
	h.failMu.Lock()
	defer h.failMu.Unlock()
	h.failedSig, h.retryAt = sig, time.Now().Add(retryPause)
}

// load reads the latest snapshot from the store, verifies it against
// the authority's key and holds it.
func (h *Handler) load(ctx context.Context) error {
	v, compact, err := h.store.Latest(ctx)
	if err != nil {
		return err
	}
	if cur := h.current.Load(); cur != nil && cur.version == v && cur.compact == compact {
		return nil
	}
	if cur := h.current.Load(); cur != nil && v < cur.version {
		return fmt.Errorf("registry/api: the store's latest snapshot %d is older than the one held (%d); keeping it", v, cur.version)
	}
	st, err := h.store.Get(ctx)
	if err != nil {
		return err
	}
	l := &loaded{version: v, compact: compact}
	l.reg, err = trust.VerifySnapshot(compact, []*jose.JWK{st.Authority.PublicJWK}, h.now())
	if errors.Is(err, trust.ErrSnapshotExpired) {
		l.reg, err = nil, nil // served as is; queries answer snapshot_expired
	}
	if err != nil {
		return fmt.Errorf("registry/api: stored snapshot %d does not verify: %w", v, err)
	}
	h.current.Store(l)
	h.log.Info("registry snapshot loaded", "version", v, "expired", l.reg == nil)
	return nil
}

// Reload reads the latest snapshot from the store now (on start and on
// SIGHUP) and returns the version held afterwards (0: none). Without
// Options.Watch it does nothing: the store is read on every request.
// registry.ErrNoSnapshot means nothing is published yet; any other error
// leaves the snapshot held before in place.
func (h *Handler) Reload(ctx context.Context) (uint64, error) {
	if h.watch == nil {
		return 0, nil
	}
	_, err := h.check(ctx, true)
	return h.Version(), err
}

// Version is the version of the snapshot held in memory (0: none).
func (h *Handler) Version() uint64 {
	if l := h.current.Load(); l != nil {
		return l.version
	}
	return 0
}

// ReloadHook is the server.Run hook that keeps the snapshot in memory
// current: on SIGHUP it reloads; every `every` (0: only on SIGHUP) it
// reloads if the watched signature has changed, so a publication is
// picked up even when no request comes.
func (h *Handler) ReloadHook(every time.Duration) server.Hook {
	return server.Hook{Name: "registry-snapshot", OnHangup: true, Every: every, Fn: func(ctx context.Context, why server.Trigger) error {
		if h.watch == nil {
			return nil
		}
		_, err := h.check(ctx, why == server.TriggerHangup)
		if errors.Is(err, registry.ErrNoSnapshot) {
			return nil
		}
		return err
	}}
}

// loadedReady is the readiness check in memory mode: a snapshot is held.
// It never opens the store unless the signature says it changed.
func (h *Handler) loadedReady(ctx context.Context) error {
	h.check(ctx, false)
	if h.current.Load() == nil {
		return errNotLoaded
	}
	return nil
}

// freshFor is how long after a change a file counts as fresh: file
// times are coarse (a few milliseconds on Linux, a second or two
// elsewhere), so a second write within one tick may leave size and time
// unchanged.
const freshFor = 2 * time.Second

// FileSignature returns an Options.Watch for a database file: its size
// and modification time (os.Stat only; it never opens or locks
// the file). While the file changed less than two seconds ago, the
// signature also changes every half second, so a write that left size
// and time as they were is still picked up. now is the clock compared
// with the file's time, the real one in production (nil: time.Now).
func FileSignature(path string, now func() time.Time) func() (string, error) {
	if now == nil {
		now = time.Now
	}
	return func() (string, error) {
		fi, err := os.Stat(path)
		if err != nil {
			return "", err
		}
		sig := strconv.FormatInt(fi.Size(), 10) + "/" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
		if t := now(); t.Sub(fi.ModTime()) < freshFor {
			sig += "/fresh/" + strconv.FormatInt(t.UnixNano()/int64(freshFor/4), 10)
		}
		return sig, nil
	}
}
