// Package verifierdir composes a verifier directory (DESIGN.md §5, §6, §7):
// Init creates one (the 0700 directory, the signing key whose did:jwk is
// the verifier's identity in the registry, the results key that seals
// stored results, verifier.json, every file 0600); Open opens one with its
// bbolt store (verifier/boltstore), or a PostgreSQL one (verifier/pgstore),
// as a verifier.Service; ListenAdmin and
// DialAdmin are the Unix socket on which a running server answers the
// console API for the CLI ('cairn verifier request', 'result'). The
// results key lives beside the database, not in it: a copy of the
// database alone reveals no result.
package verifierdir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/boltstore"
	"github.com/cairn-id/cairn/verifier/pgstore"
)

// Files of a verifier directory.
const (
	ConfigFile     = "verifier.json"
	KeyFile        = "key.jwk"
	ResultKeyFile  = "results.key"
	DBFile         = "verifier.db"
	PurposesDir    = "purposes" // optional: *.json purposes beside the defaults
	AdminSocket    = "admin.sock"
	adminDialLimit = 2 * time.Second
)

// ErrNotVerifierDir: the directory holds no verifier.json.
var ErrNotVerifierDir = errors.New("verifierdir: not a verifier directory (no verifier.json; run 'cairn verifier init')")

// ErrNoServer: no server answers on the directory's admin socket.
var ErrNoServer = errors.New("verifierdir: no verifier server is running on this directory (start 'cairn verifier serve')")

// Config is verifier.json.
type Config struct {
	DID          string            `json:"did"`
	URL          string            `json:"url"`
	Dev          bool              `json:"dev,omitempty"`
	Names        map[string]string `json:"names"`
	ResponseMode string            `json:"response_mode,omitempty"`
}

// ReadConfig reads dir's verifier.json.
func ReadConfig(dir string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotVerifierDir)
	}
	if err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	return &c, nil
}

// InitRequest describes a new verifier directory.
type InitRequest struct {
	URL   string
	Dev   bool
	Names map[string]string // "en" required
	Alg   jose.Alg
	Rand  io.Reader
}

// Init creates dir (0700) with a new signing key, a results key and
// verifier.json; it refuses a directory that already holds a verifier and
// never overwrites a file.
func Init(dir string, r InitRequest) (*Config, error) {
	if err := trust.CheckDisplayNames(r.Names); err != nil {
		return nil, err
	}
	u, err := verifier.CheckURL(r.URL, r.Dev)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err == nil {
		return nil, fmt.Errorf("%s already holds a verifier: %w", dir, keys.ErrExists)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	alg := r.Alg
	if alg == "" {
		alg = keys.DefaultAlg
	}
	k, err := keys.Generate(alg, r.Rand)
	if err != nil {
		return nil, err
	}
	if err := keys.Save(filepath.Join(dir, KeyFile), k); err != nil {
		return nil, err
	}
	if err := verifier.GenerateResultKey(filepath.Join(dir, ResultKeyFile), r.Rand); err != nil {
		return nil, err
	}
	cfg := &Config{DID: k.DIDJWK(), URL: u, Dev: r.Dev, Names: r.Names}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	err = fsx.WriteNew(filepath.Join(dir, ConfigFile), append(b, '\n'), 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s: %w", ConfigFile, keys.ErrExists)
	}
	return cfg, err
}

// Options are what Open cannot read from the directory.
type Options struct {
	Registry        *trust.Registry
	Resolver        sdjwtvc.DIDKeyResolver
	FetchStatusList func(ctx context.Context, uri string) (string, error)
	Assess          verifier.Assessor
	Logger          *slog.Logger
	Now             func() time.Time
	// StoreURL names a PostgreSQL store (verifier/pgstore, issue 13)
	// that several serving instances share; "" keeps the directory's
	// bbolt file. Errors never show its password.
	StoreURL string
}

// Open opens dir as a Service over its bbolt store, or over the
// PostgreSQL store o.StoreURL names. Close the Service to release the
// store.
func Open(dir string, o Options) (*verifier.Service, *Config, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, nil, err
	}
	k, err := keys.Load(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, nil, err
	}
	rk, err := verifier.LoadResultKey(filepath.Join(dir, ResultKeyFile))
	if err != nil {
		return nil, nil, err
	}
	sealer, err := verifier.NewSealer(rk, nil)
	if err != nil {
		return nil, nil, err
	}
	pdir := filepath.Join(dir, PurposesDir)
	if _, err := os.Stat(pdir); errors.Is(err, fs.ErrNotExist) {
		pdir = ""
	}
	ps, err := verifier.LoadPurposes(pdir)
	if err != nil {
		return nil, nil, err
	}
	var st verifier.Store
	if o.StoreURL != "" {
		pst, err := pgstore.Open(context.Background(), o.StoreURL, pg.Options{Logger: o.Logger})
		if err != nil {
			return nil, nil, err
		}
		st = pst
	} else {
		bst, err := boltstore.Open(filepath.Join(dir, DBFile))
		if err != nil {
			return nil, nil, err
		}
		st = bst
	}
	svc, err := verifier.New(verifier.Config{
		Store: st, Signer: k.JoseSigner().WithKeyID(k.DIDJWK() + "#0"), DID: k.DIDJWK(), BaseURL: cfg.URL, Dev: cfg.Dev,
		Purposes: ps, Sealer: sealer, Registry: o.Registry, Resolver: o.Resolver, FetchStatusList: o.FetchStatusList,
		Assess: o.Assess, ResponseMode: cfg.ResponseMode, Now: o.Now, Logger: o.Logger,
	})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, cfg, nil
}

// ListenAdmin creates dir/admin.sock (0600) for the console API. dir must
// be 0700 so nobody else reaches the socket between its creation and its
// chmod. A stale socket (nobody answers) is replaced; a live one is
// refused. Closing the listener removes the socket.
func ListenAdmin(dir string) (net.Listener, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("verifierdir: %s has mode %04o; only its owner may have access (chmod 700)", dir, fi.Mode().Perm())
	}
	path := filepath.Join(dir, AdminSocket)
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("verifierdir: %s exists and is not a socket; remove it", path)
		}
		if c, err := net.DialTimeout("unix", path, adminDialLimit); err == nil {
			c.Close()
			return nil, fmt.Errorf("verifierdir: a server already answers on %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// DialAdmin returns an HTTP client whose every request goes to dir's admin
// socket (use any http://verifier/… URL), or ErrNoServer.
func DialAdmin(dir string) (*http.Client, error) {
	path := filepath.Join(dir, AdminSocket)
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, ErrNoServer
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("verifierdir: %s is not a private socket", path)
	}
	c, err := net.DialTimeout("unix", path, adminDialLimit)
	if err != nil {
		return nil, ErrNoServer
	}
	c.Close()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}, nil
}
