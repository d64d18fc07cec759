package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
)

// Files of an issuer directory, as 'cairn issuer init' creates it (the
// directory itself 0700).
const (
	DirConfigFile = "issuer.json" // DirConfig
	DirKeyFile    = "issuer.jwk"  // signing key, 0600
	// DirBBSKeyFile is the BBS key of jpt credentials (jpt.go), 0600,
	// present once jpt was enabled (issuerdir: init --bbs, SetJPT).
	DirBBSKeyFile   = "issuer-bbs.jwk"
	DirHashKeyFile  = "hash.key"   // base64url HashKey, 0600; never in the store
	DirStoreFile    = "issuer.db"  // the store (issuer/boltstore)
	AdminSocketFile = "admin.sock" // the admin socket while 'serve' runs
	MaxDirConfigLen = 64 << 10
	maxHashKeyFile  = 1 << 10
)

// checkSecretMode refuses a secret file of the directory (hash.key,
// issuer.db) that group or others may read or write, as keys.Load does
// for issuer.jwk; a missing store file is fine (it is created 0600).
func checkSecretMode(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) && filepath.Base(path) == DirStoreFile {
		return nil
	}
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("issuer: %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return &InsecureFileError{Path: path, Mode: perm}
	}
	return nil
}

// InsecureFileError: a secret file of the issuer directory is readable or
// writable by group or others. It matches keys.ErrInsecurePermissions.
type InsecureFileError struct {
	Path string
	Mode fs.FileMode
}

func (e *InsecureFileError) Error() string {
	return fmt.Sprintf("issuer: secret file %s has mode %04o (group or others may read it); run: chmod 600 %s", e.Path, e.Mode, e.Path)
}

// Unwrap makes errors.Is(err, keys.ErrInsecurePermissions) match.
func (e *InsecureFileError) Unwrap() error { return keys.ErrInsecurePermissions }

// ErrNotIssuerDir: the directory holds no issuer.json.
var ErrNotIssuerDir = errors.New("issuer: not an issuer directory (run 'cairn issuer init')")

// DirConfig is an issuer directory's issuer.json.
type DirConfig struct {
	URL   string            `json:"url"`
	Names map[string]string `json:"names"`
	Types []string          `json:"types"`
	Dev   bool              `json:"dev,omitempty"`
	DID   string            `json:"did"`
	// JPT are the types (of Types) also offered in the experimental jpt
	// format, signed with the BBS key of DirBBSKeyFile, whose did:jwk is
	// BBSKey (the key the registry lists as a further key of DID).
	JPT    []string `json:"jpt,omitempty"`
	BBSKey string   `json:"bbs_key,omitempty"`
}

// ReadDirConfig reads dir/issuer.json.
func ReadDirConfig(dir string) (*DirConfig, error) {
	b, err := bounded.ReadFile(filepath.Join(dir, DirConfigFile), MaxDirConfigLen)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotIssuerDir, err)
	}
	cfg := new(DirConfig)
	if err := json.Unmarshal(b, cfg); err != nil {
		return nil, fmt.Errorf("issuer: %s: %w", DirConfigFile, err)
	}
	return cfg, nil
}

// AdminOption configures OpenDir and OpenAdmin.
type AdminOption func(*adminOptions)

type adminOptions struct {
	now       func() time.Time
	logger    *slog.Logger
	registry  *trust.Registry
	catalogue *schemas.Catalogue
}

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) AdminOption { return func(o *adminOptions) { o.now = now } }

// WithLogger sets the logger of a Service opened on the directory
// (nothing is logged by default).
func WithLogger(l *slog.Logger) AdminOption { return func(o *adminOptions) { o.logger = l } }

// LoggerOf returns the logger opts set with WithLogger (nil when none),
// for a store opened beside the Service.
func LoggerOf(opts []AdminOption) *slog.Logger {
	o := &adminOptions{}
	for _, fn := range opts {
		fn(o)
	}
	return o.logger
}

// WithRegistry refuses offers the verified registry snapshot does not
// allow: types this issuer is not authorized for (ErrNotAuthorized) and
// evidence above the authorization's caps (*EvidenceError, Source
// "registry"). Through the admin socket the check runs in the client
// before the request is sent, and the server applies its own registry, if
// it was started with one, as well.
func WithRegistry(r *trust.Registry) AdminOption { return func(o *adminOptions) { o.registry = r } }

// WithCatalogue sets the type catalogue (schemas.Load() by default).
func WithCatalogue(c *schemas.Catalogue) AdminOption {
	return func(o *adminOptions) { o.catalogue = c }
}

func collectOptions(opts []AdminOption) (*adminOptions, error) {
	o := &adminOptions{}
	for _, fn := range opts {
		fn(o)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.catalogue == nil {
		cat, err := schemas.Load()
		if err != nil {
			return nil, err
		}
		o.catalogue = cat
	}
	return o, nil
}

// StoreOpener opens the store file of an issuer directory (dir/DirStoreFile).
// Package issuer/issuerdir passes the bbolt one (issuer/boltstore); this
// package imports no store.
type StoreOpener func(path string) (Store, error)

// OpenDir opens the issuer directory dir (key, hash key, configuration)
// and its store with open. Only one process at a time can hold a bbolt
// store: while 'serve' runs, use OpenAdmin. Close the Service to release
// the store. Package issuer/issuerdir wraps it with the bbolt store.
func OpenDir(dir string, open StoreOpener, opts ...AdminOption) (*Service, error) {
	o, err := collectOptions(opts)
	if err != nil {
		return nil, err
	}
	return openDir(dir, open, o)
}

func openDir(dir string, open StoreOpener, o *adminOptions) (*Service, error) {
	if open == nil {
		return nil, fmt.Errorf("%w: no store opener", ErrInvalidConfig)
	}
	cfg, err := ReadDirConfig(dir)
	if err != nil {
		return nil, err
	}
	k, err := keys.Load(filepath.Join(dir, DirKeyFile))
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	for _, name := range []string{DirHashKeyFile, DirStoreFile} {
		if err := checkSecretMode(filepath.Join(dir, name)); err != nil {
			return nil, err
		}
	}
	hkText, err := bounded.ReadFile(filepath.Join(dir, DirHashKeyFile), maxHashKeyFile)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	hk, err := jose.DecodeSegment(strings.TrimSpace(string(hkText)))
	if err != nil {
		return nil, fmt.Errorf("issuer: %s: %w", DirHashKeyFile, err)
	}
	var bbsKey *jwp.PrivateKey
	if len(cfg.JPT) > 0 {
		if bbsKey, err = keys.LoadBBS(filepath.Join(dir, DirBBSKeyFile)); err != nil {
			return nil, fmt.Errorf("issuer: jpt is enabled for %v: %w", cfg.JPT, err)
		}
	}
	st, err := open(filepath.Join(dir, DirStoreFile))
	if err != nil {
		if errors.Is(err, ErrStoreLocked) {
			return nil, lockedError(dir, err)
		}
		return nil, err
	}
	svc, err := New(Config{URL: cfg.URL, Dev: cfg.Dev, Names: cfg.Names, Types: cfg.Types, Catalogue: o.catalogue,
		Key: k, HashKey: hk, Store: st, Registry: o.registry, Now: o.now, Logger: o.logger, JPT: cfg.JPT, BBSKey: bbsKey})
	if err != nil {
		st.Close()
		return nil, err
	}
	// Offers stored in clear by an earlier version are sealed now.
	if n, err := svc.SealClearOffers(context.Background()); err != nil {
		st.Close()
		return nil, fmt.Errorf("issuer: sealing the offers stored in clear by an earlier version: %w", err)
	} else if n > 0 {
		svc.log.Info("offers stored in clear by an earlier version were sealed", "count", n)
	}
	return svc, nil
}
