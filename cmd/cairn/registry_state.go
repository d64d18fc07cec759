package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	trustpkg "github.com/cairn-id/cairn/internal/trust"
)

// trustStateEnv overrides where a verifier keeps its registry high-water
// marks; --trust-state overrides it in turn.
const trustStateEnv = "CAIRN_TRUST_STATE"

// trustStateHelp is the flag help shared by every command that reads or
// moves the high-water marks.
const trustStateHelp = "file of the registry high-water marks (default $" + trustStateEnv + ", else the user cache dir: $XDG_CACHE_HOME/cairn/trust-state.json or ~/.cache/cairn/trust-state.json)"

// trustStateDoc is the help paragraph on the high-water marks.
const trustStateDoc = `Registry high-water marks: every snapshot or bundle accepted here moves a
per-registry mark (its version and the digest of its snapshot) kept in a
small file: --trust-state, else $CAIRN_TRUST_STATE, else
$XDG_CACHE_HOME/cairn/trust-state.json (~/.cache/cairn/trust-state.json;
~/Library/Caches on macOS, %LocalAppData% on Windows). 'credential verify
--registry' and 'registry fetch' share it: a snapshot or bundle older than
the mark, or another snapshot under the same version, is refused (exit 4),
however it arrives. A marks file that cannot be read refuses everything
(exit 1) until reset with 'cairn registry forget --marks'.`

// trustStatePath says where the high-water marks live: the flag, the
// environment, or the user's cache directory (from the injected
// environment, never the process's own).
func trustStatePath(e *env, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	getenv := e.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if p := getenv(trustStateEnv); p != "" {
		return p, nil
	}
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = getenv("LocalAppData")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			dir = filepath.Join(h, "Library", "Caches")
		}
	default:
		dir = getenv("XDG_CACHE_HOME")
		if !filepath.IsAbs(dir) {
			dir = ""
			if h := getenv("HOME"); h != "" {
				dir = filepath.Join(h, ".cache")
			}
		}
	}
	if dir == "" {
		return "", usageError(fmt.Errorf("no place to keep the registry high-water marks (no user cache directory: HOME is not set); give --trust-state FILE or set %s", trustStateEnv))
	}
	return filepath.Join(dir, "cairn", "trust-state.json"), nil
}

// openTrustState opens the marks named by the flag or the defaults.
func openTrustState(e *env, flag string) (*trustpkg.Marks, error) {
	p, err := trustStatePath(e, flag)
	if err != nil {
		return nil, err
	}
	return trustpkg.OpenMarks(p, e.now), nil
}

// trustStateErr maps the errors of a registry source that keeps marks: an
// unreadable marks file or cache is a local failure (exit 1) whose message
// names the command that resets it; ok is false for any other error.
func trustStateErr(err error, marks *trustpkg.Marks, cache string) (error, bool) {
	switch {
	case errors.Is(err, trustpkg.ErrMarksUnreadable):
		return withExit(ExitFailure, fmt.Errorf("%w\nThe rollback check cannot be made, so nothing is accepted. If the file is damaged, reset it (older snapshots become acceptable again until the next one is accepted):\n  cairn registry forget --marks --trust-state %s", err, marks.Path())), true
	case errors.Is(err, trustpkg.ErrCacheUnverifiable):
		return withExit(ExitFailure, fmt.Errorf("%w\nThe cache is damaged or was written under a key you no longer pin, so it cannot say which versions are older; nothing was accepted. If you trust the pinned keys, reset it (the high-water marks still refuse rollbacks):\n  cairn registry forget --cache %s", err, cache)), true
	}
	return err, false
}

type registryForgetOptions struct {
	cache      string
	marks      bool
	authority  string
	trustState string
}

// newRegistryForgetCmd is the explicit reset of a verifier's rollback
// state: a cache file or the high-water marks that cannot be read (or a
// registry deliberately rebuilt) make fetch and verify refuse everything
// until reset here.
func newRegistryForgetCmd(e *env) *cobra.Command {
	o := &registryForgetOptions{}
	c := &cobra.Command{
		Use:   "forget (--cache FILE | --marks [--authority DID]) [--trust-state FILE]",
		Short: "Reset a verifier's registry cache or high-water marks (for verifiers)",
		Long: `For a verifier desk: reset the state that refuses registry rollbacks, when
it cannot be read or no longer verifies and 'cairn registry fetch' or
'cairn credential verify --registry' refuse everything until it is reset.

--cache FILE removes the snapshot cache of 'cairn registry fetch' (damaged,
or written under an authority key you no longer pin). The high-water marks
are kept, so the next fetch still refuses a snapshot older than one
accepted before.

--marks removes the high-water marks file (--trust-state), readable or not;
with --authority DID only the marks of that authority. Until a snapshot is
accepted again, an older one would be accepted: reset only a file you know
is damaged, or a registry its authority rebuilt.

` + trustStateDoc,
		Example: `  cairn registry forget --cache registry.jwt
  cairn registry forget --marks
  cairn registry forget --marks --authority did:jwk:eyJr... --trust-state desk-state.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, e) },
	}
	f := c.Flags()
	f.StringVar(&o.cache, "cache", "", "snapshot cache file of 'registry fetch' to remove")
	f.BoolVar(&o.marks, "marks", false, "reset the registry high-water marks")
	f.StringVar(&o.authority, "authority", "", "with --marks: forget only the marks of this authority DID")
	f.StringVar(&o.trustState, "trust-state", "", trustStateHelp)
	return c
}

func (o *registryForgetOptions) run(cmd *cobra.Command, e *env) error {
	if o.authority != "" && !o.marks {
		return usageError(errors.New("--authority needs --marks"))
	}
	if o.cache == "" && !o.marks {
		return usageError(errors.New("say what to reset: --cache FILE, --marks, or both"))
	}
	w := cmd.OutOrStdout()
	if o.cache != "" {
		err := os.Remove(o.cache)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(w, "cache %s: already absent, nothing to reset\n", o.cache)
		case err != nil:
			return withExit(ExitFailure, fmt.Errorf("reset cache: %w", err))
		default:
			fmt.Fprintf(w, "cache %s reset: removed; the next 'cairn registry fetch' stores a fresh snapshot (not older than the high-water mark)\n", o.cache)
		}
	}
	if !o.marks {
		return nil
	}
	marks, err := openTrustState(e, o.trustState)
	if err != nil {
		return err
	}
	n, err := marks.Forget(o.authority)
	switch {
	case errors.Is(err, trustpkg.ErrMarksUnreadable):
		return withExit(ExitFailure, fmt.Errorf("%w; it cannot be edited, reset it whole with 'cairn registry forget --marks' (without --authority)", err))
	case err != nil:
		return withExit(ExitFailure, err)
	case o.authority != "":
		fmt.Fprintf(w, "high-water marks %s: %d mark(s) of %s removed\n", marks.Path(), n, o.authority)
	case n < 0:
		fmt.Fprintf(w, "high-water marks %s reset: the unreadable file was removed\n", marks.Path())
	default:
		fmt.Fprintf(w, "high-water marks %s reset: %d mark(s) removed\n", marks.Path(), n)
	}
	return nil
}
