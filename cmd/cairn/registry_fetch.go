package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/httpx"
	trustpkg "github.com/cairn-id/cairn/internal/trust"
)

type registryFetchOptions struct {
	url        string
	regKeys    []string
	cache      string
	devNetwork bool
	asJSON     bool
	trustState string
}

// newRegistryFetchCmd is the verifier's side of the registry: fetch the
// signed snapshot, verify it against pinned keys and keep it in a cache file
// that never goes back to an older version.
func newRegistryFetchCmd(e *env) *cobra.Command {
	o := &registryFetchOptions{}
	c := &cobra.Command{
		Use:   "fetch --url URL --registry-key FILE... --cache FILE",
		Short: "Fetch a registry snapshot, verify it and keep it in a local cache (for verifiers)",
		Long: `For a verifier desk: download the registry's signed snapshot from URL (as
served by 'cairn registry serve' at /registry/snapshot), verify it against
the authority keys you pinned (--registry-key), and store it in --cache.
The cache never goes back: a snapshot older than the cached one, or the
same version with other content, is refused (exit 4) and the cache kept.
A cache that does not verify (damaged, empty, or written under a key you
no longer pin) is never taken as "no cache": the fetch refuses (exit 1)
until you reset it with 'cairn registry forget --cache FILE'.
Use the cache file with 'cairn credential verify --registry'.

` + trustStateDoc + `

Exit codes: 0 stored (or already current), 1 network or file error (or a
cache or marks file that must be reset), 2 usage, 4 the snapshot does not
verify, is expired, or is a rollback.`,
		Example: `  cairn registry fetch --url https://registry.example/registry/snapshot \
    --registry-key board.pin.jwk --cache registry.jwt
  cairn credential verify --registry registry.jwt --registry-key board.pin.jwk \
    --nonce n-1 --aud https://desk.example presentation.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(o.regKeys) == 0 {
				return usageError(errors.New("give at least one --registry-key (the authority's public JWK you pinned)"))
			}
			pinned, err := loadPublicJWKs("--registry-key", o.regKeys)
			if err != nil {
				return err
			}
			marks, err := openTrustState(e, o.trustState)
			if err != nil {
				return err
			}
			src := trustpkg.HTTPSource(o.url, o.cache,
				httpx.NewClient(httpx.Options{AllowPrivate: o.devNetwork, Timeout: 15 * time.Second}),
				trustpkg.SourceOptions{Pinned: pinned, Now: e.now, Marks: marks})
			l, err := src.Load(cmd.Context())
			if serr, ok := trustStateErr(err, marks, o.cache); ok {
				return serr
			}
			switch {
			case errors.Is(err, trustpkg.ErrSnapshotRollback), errors.Is(err, trustpkg.ErrSnapshotSignature),
				errors.Is(err, trustpkg.ErrSnapshotExpired), errors.Is(err, trustpkg.ErrSnapshotMalformed):
				return withExit(ExitUntrusted, err)
			case err != nil:
				return withExit(ExitFailure, err)
			}
			reg, age := l.Registry, l.Age.Round(time.Second)
			if o.asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{
					"id": reg.ID, "name": reg.Name, "version": reg.Version, "issued_at": reg.IssuedAt.UTC().Format(time.RFC3339),
					"expires": reg.Expires.UTC().Format(time.RFC3339), "age_seconds": int64(age / time.Second), "cache": o.cache,
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s version %d, issued %s (%s old), expires %s; cached in %s\n",
				reg.Name, reg.Version, reg.IssuedAt.UTC().Format(time.RFC3339), age, reg.Expires.UTC().Format(time.RFC3339), o.cache)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.url, "url", "", "snapshot URL (…/registry/snapshot)")
	f.StringArrayVar(&o.regKeys, "registry-key", nil, "pinned authority public JWK file (repeatable)")
	f.StringVar(&o.cache, "cache", "", "cache file (created or updated atomically)")
	f.BoolVar(&o.devNetwork, "dev-allow-private-network", false, "DEVELOPMENT ONLY: allow loopback/private addresses and http")
	f.BoolVar(&o.asJSON, "json", false, "print the snapshot's metadata as JSON")
	f.StringVar(&o.trustState, "trust-state", "", trustStateHelp)
	for _, n := range []string{"url", "cache"} {
		_ = c.MarkFlagRequired(n)
	}
	return c
}
