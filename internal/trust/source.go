package trust

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/jose"
)

// ErrSourceUnreadable reports that a source's file could not be read at
// all (missing, unreadable, too large): the registry was never checked.
// Any other error from Source.Load means the registry did not verify, or,
// for HTTP, could not be fetched.
var ErrSourceUnreadable = errors.New("trust: registry source unreadable")

// SourceOptions are what every Source needs to check a registry.
type SourceOptions struct {
	// Pinned are the authority keys the verifier pinned (required).
	Pinned []*jose.JWK
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Resolve finds the keys of status list issuers in a bundle; it must
	// work offline (did.Resolver's ResolveKey for did:jwk does).
	Resolve KeyResolver
	// MaxDecompressed caps each bundled status list (statuslist.Decode).
	MaxDecompressed int
	// Marks, when set, are the verifier's high-water marks: a snapshot or
	// bundle older than the one already accepted for its registry, or
	// another snapshot of the same version, is refused
	// (ErrSnapshotRollback), and every accepted one advances the mark.
	// An unreadable marks file refuses everything (ErrMarksUnreadable).
	Marks *Marks
	// AcceptStale lets a file source accept a snapshot (or a bundle's
	// snapshot) that expired less than this long ago: an offline desk's
	// explicit grace, reported in Loaded.Stale. Zero accepts none. HTTP
	// sources ignore it: they can fetch a fresh one.
	AcceptStale time.Duration
}

// Source is where a verifier's registry comes from: a snapshot file, an
// offline bundle file, or an authority's HTTP endpoint with a local cache
// that never goes back to an older version. Every source hands out only a
// registry verified against the pinned keys and unexpired. Build one with
// FileSource, BundleSource or HTTPSource.
type Source struct {
	kind   sourceKind
	path   string // file, or the cache of an HTTP source
	url    string
	client *http.Client
	o      SourceOptions
}

type sourceKind int

const (
	sourceFile   sourceKind = iota // snapshot or bundle, told apart by content
	sourceBundle                   // an offline bundle only
	sourceHTTP
)

// Loaded is a verified registry and how fresh it is.
type Loaded struct {
	Registry *Registry
	// Age is how long ago the authority issued the snapshot.
	Age time.Duration
	// Bundle is set when the source was an offline bundle: its status
	// lists (a statuslist.Offline) and its own age.
	Bundle *Bundle
	// Stale is how long past its expiry the snapshot was accepted under
	// SourceOptions.AcceptStale; zero when it had not expired.
	Stale time.Duration
}

// FileSource reads path, which holds either a compact snapshot (as
// written by 'cairn registry publish' or cached by an HTTP source) or an
// offline bundle (JSON, from 'cairn registry bundle').
func FileSource(path string, o SourceOptions) *Source {
	return &Source{kind: sourceFile, path: path, o: o}
}

// BundleSource reads the offline bundle at path: a snapshot and the status
// lists a verifier needs without network (DESIGN.md §1 flow 3).
func BundleSource(path string, o SourceOptions) *Source {
	return &Source{kind: sourceBundle, path: path, o: o}
}

// HTTPSource fetches the snapshot at url through client (which bounds the
// time; pass the guarded client of internal/httpx) and keeps it in the
// file cachePath, replaced atomically and never by an older version or by
// other content under the same version (ErrSnapshotRollback).
func HTTPSource(url, cachePath string, client *http.Client, o SourceOptions) *Source {
	return &Source{kind: sourceHTTP, url: url, path: cachePath, client: client, o: o}
}

// CachePath is the file an HTTP source caches into, or a file source's
// file.
func (s *Source) CachePath() string { return s.path }

func (s *Source) now() time.Time {
	if s.o.Now != nil {
		return s.o.Now()
	}
	return time.Now()
}

// Load returns the verified registry. A file source reads its file again
// on every call, so a replaced file takes effect; an HTTP source fetches,
// and refuses what its cache makes a rollback.
func (s *Source) Load(ctx context.Context) (*Loaded, error) {
	switch s.kind {
	case sourceHTTP:
		c := s.cacheClient()
		r, err := c.Refresh(ctx, s.url)
		if err != nil {
			return nil, err
		}
		return &Loaded{Registry: r, Age: s.now().Sub(r.IssuedAt)}, nil
	case sourceFile, sourceBundle:
		return s.loadFile(ctx)
	}
	return nil, errors.New("trust: zero Source; use FileSource, BundleSource or HTTPSource")
}

// Cached answers an HTTP source from its cache, without network: the
// registry last fetched, if it has not expired since (ErrNoCache when
// nothing was fetched yet). For a file source it is Load.
func (s *Source) Cached(ctx context.Context) (*Loaded, error) {
	if s.kind != sourceHTTP {
		return s.Load(ctx)
	}
	r, age, err := s.cacheClient().Current()
	if err != nil {
		return nil, err
	}
	return &Loaded{Registry: r, Age: age}, nil
}

func (s *Source) cacheClient() *Client {
	return &Client{Pinned: s.o.Pinned, HTTPClient: s.client, CachePath: s.path, Now: s.o.Now, Marks: s.o.Marks}
}

// sourceError keeps the cause's message and adds a sentinel to match.
type sourceError struct{ kind, err error }

func (e *sourceError) Error() string   { return e.err.Error() }
func (e *sourceError) Unwrap() []error { return []error{e.kind, e.err} }

func (s *Source) loadFile(ctx context.Context) (*Loaded, error) {
	b, err := bounded.ReadFile(s.path, MaxBundleLen)
	if err != nil {
		return nil, &sourceError{kind: ErrSourceUnreadable, err: err}
	}
	text := strings.TrimSpace(string(b))
	now := s.now()
	if s.kind == sourceBundle || strings.HasPrefix(text, "{") {
		bun, err := LoadBundle(ctx, []byte(text), s.o.Pinned, now, BundleOptions{Resolve: s.o.Resolve, MaxDecompressed: s.o.MaxDecompressed, AcceptStale: s.o.AcceptStale})
		if err != nil {
			return nil, fmt.Errorf("registry bundle %s: %w", s.path, err)
		}
		if err := s.advance(bun.Registry, bun.Snapshot); err != nil {
			return nil, fmt.Errorf("registry bundle %s: %w", s.path, err)
		}
		return &Loaded{Registry: bun.Registry, Age: bun.SnapshotAge, Bundle: bun, Stale: bun.Stale}, nil
	}
	r, stale, err := verifySnapshotGrace(text, s.o.Pinned, now, s.o.AcceptStale)
	if err != nil {
		return nil, fmt.Errorf("registry snapshot %s: %w", s.path, err)
	}
	if err := s.advance(r, text); err != nil {
		return nil, fmt.Errorf("registry snapshot %s: %w", s.path, err)
	}
	return &Loaded{Registry: r, Age: now.Sub(r.IssuedAt), Stale: stale}, nil
}

// advance moves the high-water mark, if the source keeps one.
func (s *Source) advance(r *Registry, compact string) error {
	if s.o.Marks == nil {
		return nil
	}
	return s.o.Marks.Advance(r, compact)
}
