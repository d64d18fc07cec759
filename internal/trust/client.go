package trust

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
)

// ErrNoCache reports that the client has no cached snapshot yet.
var ErrNoCache = errors.New("trust: no cached snapshot; refresh first")

// ErrCacheUnverifiable reports a cache file that exists but does not hold
// a snapshot the pinned keys verify (damaged, empty, or written under a
// key that is no longer pinned). The rollback check cannot be made
// against it, so nothing is accepted until the cache is removed
// deliberately: the check fails closed.
var ErrCacheUnverifiable = errors.New("trust: cached snapshot does not verify")

// fetchTimeout bounds a snapshot fetch when the HTTP client sets none.
const fetchTimeout = 30 * time.Second

// Client keeps the latest verified snapshot of a registry in a file so a
// verifier can answer from it offline. It refuses snapshots older than the
// one it holds, and, with Marks, older than any the verifier accepted.
type Client struct {
	Pinned     []*jose.JWK
	HTTPClient *http.Client
	CachePath  string
	Now        func() time.Time
	// Marks, when set, are checked and advanced with every snapshot
	// accepted (see SourceOptions.Marks).
	Marks *Marks
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Refresh fetches the snapshot at url, verifies it, refuses it when it is
// older than the cached one (or claims the same version with other
// content), and replaces the cache atomically.
func (c *Client) Refresh(ctx context.Context, url string) (*Registry, error) {
	if c.HTTPClient == nil {
		return nil, errors.New("trust: client has no HTTP client")
	}
	if _, ok := ctx.Deadline(); !ok && c.HTTPClient.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, fetchTimeout)
		defer cancel()
	}
	body, _, err := httpx.GetBounded(ctx, c.HTTPClient, url, "application/jwt", MaxSnapshotLen)
	var se *httpx.StatusError
	switch {
	case errors.As(err, &se):
		return nil, fmt.Errorf("trust: fetch snapshot: HTTP %d", se.Code)
	case errors.Is(err, httpx.ErrTooLarge):
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrSnapshotMalformed, MaxSnapshotLen)
	case errors.Is(err, httpx.ErrMediaType):
		return nil, fmt.Errorf("%w: %w", ErrSnapshotMalformed, err)
	case err != nil:
		return nil, fmt.Errorf("trust: fetch snapshot: %w", err)
	}
	compact := strings.TrimSpace(string(body))
	return c.Accept(compact)
}

// Accept verifies compact like Refresh does and caches it. It serves
// snapshots that arrive by other means (a bundle, a USB stick).
func (c *Client) Accept(compact string) (*Registry, error) {
	r, err := VerifySnapshot(compact, c.Pinned, c.now())
	if err != nil {
		return nil, err
	}
	cached, err := bounded.ReadFile(c.CachePath, MaxSnapshotLen+2)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrCacheUnverifiable, c.CachePath, err)
	default:
		// The cached snapshot may have expired since; only its version
		// matters here, but it must still be one we verified. One that
		// does not verify (garbage, empty, another key) says nothing about
		// which versions are older: refuse rather than accept anything.
		held := strings.TrimSpace(string(cached))
		old, err := verifySnapshotSignature(held, c.Pinned)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCacheUnverifiable, c.CachePath, err)
		}
		if r.Version < old.Version {
			return nil, fmt.Errorf("%w: got version %d, hold %d", ErrSnapshotRollback, r.Version, old.Version)
		}
		if r.Version == old.Version && held != compact {
			return nil, fmt.Errorf("%w: version %d republished with other content", ErrSnapshotRollback, r.Version)
		}
	}
	if c.Marks != nil {
		if err := c.Marks.Advance(r, compact); err != nil {
			return nil, err
		}
	}
	if err := fsx.WriteAtomic(c.CachePath, []byte(compact+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("trust: write cache: %w", err)
	}
	return r, nil
}

// Current answers from the cache: the verified registry and its age (time
// since the authority issued it). An expired cache is an error, never a
// silent answer.
func (c *Client) Current() (*Registry, time.Duration, error) {
	b, err := os.ReadFile(c.CachePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, ErrNoCache
	}
	if err != nil {
		return nil, 0, fmt.Errorf("trust: read cache: %w", err)
	}
	if len(b) > MaxSnapshotLen+1 {
		return nil, 0, fmt.Errorf("%w: cache larger than %d bytes", ErrSnapshotMalformed, MaxSnapshotLen)
	}
	now := c.now()
	r, err := VerifySnapshot(strings.TrimSpace(string(b)), c.Pinned, now)
	if err != nil {
		return nil, 0, err
	}
	return r, now.Sub(r.IssuedAt), nil
}
