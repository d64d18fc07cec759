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

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
)

// ErrNoCache reports that the client has no cached snapshot yet.
var ErrNoCache = errors.New("trust: no cached snapshot; refresh first")

// fetchTimeout bounds a snapshot fetch when the HTTP client sets none.
const fetchTimeout = 30 * time.Second

// Client keeps the latest verified snapshot of a registry in a file so a
// verifier can answer from it offline. It refuses snapshots older than the
// one it holds.
type Client struct {
	Pinned     []*jose.JWK
	HTTPClient *http.Client
	CachePath  string
	Now        func() time.Time
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
	cached, err := os.ReadFile(c.CachePath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("trust: read cache: %w", err)
	default:
		// The cached snapshot may have expired since; only its version
		// matters here, but it must still be one we verified.
		old, err := verifySnapshotSignature(strings.TrimSpace(string(cached)), c.Pinned)
		if err == nil {
			if r.Version < old.Version {
				return nil, fmt.Errorf("%w: got version %d, hold %d", ErrSnapshotRollback, r.Version, old.Version)
			}
			if r.Version == old.Version && strings.TrimSpace(string(cached)) != compact {
				return nil, fmt.Errorf("%w: version %d republished with other content", ErrSnapshotRollback, r.Version)
			}
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
