// Package verifierdir composes a verifier directory (DESIGN.md §5, §6, §7):
// Init creates one (the 0700 directory, the signing key whose did:jwk is
// the verifier's identity in the registry, the results key that seals
// stored results, verifier.json, every file 0600); Open opens one with its
// bbolt store (verifier/boltstore), or a PostgreSQL one (verifier/pgstore),
// as a verifier.Service. With an X509Identity (HAIP 1.0 §5) the access
// certificate's P-256 key replaces the generated one and its chain,
// without the anchor, is kept in access-chain.pem; ListenAdmin and
// DialAdmin are the Unix socket on which a running server answers the
// console API for the CLI ('cairn verifier request', 'result'). The
// results key lives beside the database, not in it: a copy of the
// database alone reveals no result.
package verifierdir

import (
	"context"
	"encoding/json"
	"encoding/pem"
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
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/boltstore"
	"github.com/cairn-id/cairn/verifier/pgstore"
)

// Files of a verifier directory.
const (
	ConfigFile    = "verifier.json"
	KeyFile       = "key.jwk"
	ResultKeyFile = "results.key"
	DBFile        = "verifier.db"
	PurposesDir   = "purposes" // optional: *.json purposes beside the defaults
	// AccessChainFile holds an X.509 relying party's access certificate
	// chain (PEM, leaf first, without the anchor): sent in x5c.
	AccessChainFile = "access-chain.pem"
	AdminSocket     = "admin.sock"
	adminDialLimit  = 2 * time.Second
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
	// Profile is "" or "haip" (verifier.ProfileHAIP).
	Profile string `json:"profile,omitempty"`
	// ClientID is the client id wallets see; for an X.509 relying party
	// (AccessChainFile present) x509_hash:… or x509_san_dns:SanDNS.
	ClientID string `json:"client_id,omitempty"`
	SanDNS   string `json:"san_dns,omitempty"`
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
	// X509, when set, makes the verifier an X.509 relying party with an
	// access certificate instead of a generated key.
	X509 *X509Identity
	// Profile "haip" needs X509 (and a P-256 key).
	Profile string
}

// X509Identity is an access certificate chain and its key, as 'cairn
// verifier init --x509 --chain PEM --key-file F' reads them.
type X509Identity struct {
	// ChainPEM is the chain, leaf first; a self-signed root at its end
	// (the anchor) is dropped, never sent.
	ChainPEM []byte
	// Key is the leaf's private key (read from a 0600 file: ReadAccessKey).
	Key *keys.PrivateKey
	// SanDNS asks for the client id x509_san_dns:SanDNS (the leaf must
	// carry that dNSName) instead of x509_hash.
	SanDNS string
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
	var chain [][]byte
	var clientID string
	switch {
	case r.X509 != nil:
		if chain, clientID, err = checkX509Identity(r.X509, u); err != nil {
			return nil, err
		}
	case r.Profile == verifier.ProfileHAIP:
		return nil, fmt.Errorf("%w: HAIP needs an X.509 access certificate (--x509 --chain --key-file); decentralized_identifier client ids are refused", verifier.ErrProfile)
	}
	if r.Profile != "" && r.Profile != verifier.ProfileHAIP {
		return nil, fmt.Errorf("%w: unknown profile %q", verifier.ErrProfile, r.Profile)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var k *keys.PrivateKey
	if r.X509 != nil {
		k = r.X509.Key
	} else {
		alg := r.Alg
		if alg == "" {
			alg = keys.DefaultAlg
		}
		if k, err = keys.Generate(alg, r.Rand); err != nil {
			return nil, err
		}
	}
	if err := keys.Save(filepath.Join(dir, KeyFile), k); err != nil {
		return nil, err
	}
	if chain != nil {
		var pemChain []byte
		for _, der := range chain {
			pemChain = append(pemChain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
		}
		if err := fsx.WriteNew(filepath.Join(dir, AccessChainFile), pemChain, 0o600); err != nil {
			return nil, fmt.Errorf("%s: %w", AccessChainFile, err)
		}
	}
	if err := verifier.GenerateResultKey(filepath.Join(dir, ResultKeyFile), r.Rand); err != nil {
		return nil, err
	}
	cfg := &Config{DID: k.DIDJWK(), URL: u, Dev: r.Dev, Names: r.Names, Profile: r.Profile, ClientID: clientID}
	if r.X509 != nil {
		cfg.SanDNS = r.X509.SanDNS
	}
	if r.Profile == verifier.ProfileHAIP {
		cfg.ResponseMode = oid4vp.ResponseModeDirectPostJWT
	}
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
	vc := verifier.Config{
		Store: st, Signer: k.JoseSigner().WithKeyID(k.DIDJWK() + "#0"), DID: k.DIDJWK(), BaseURL: cfg.URL, Dev: cfg.Dev,
		Purposes: ps, Sealer: sealer, Registry: o.Registry, Resolver: o.Resolver, FetchStatusList: o.FetchStatusList,
		Assess: o.Assess, ResponseMode: cfg.ResponseMode, Now: o.Now, Logger: o.Logger, Profile: cfg.Profile,
	}
	if vc.X5C, err = readAccessChain(dir); err != nil {
		st.Close()
		return nil, nil, err
	}
	if vc.X5C != nil {
		vc.Signer, vc.SanDNS = k.JoseSigner(), cfg.SanDNS
	}
	svc, err := verifier.New(vc)
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
