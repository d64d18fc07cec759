// Package issuerdir composes an issuer directory (DESIGN.md §5, §7): it
// creates one (Init: the 0700 directory, the signing key, the hash key and
// issuer.json, every file 0600) and opens one with its bbolt store
// (issuer/boltstore): Open for a Service, OpenAdmin for an operator, which
// talks to a running server over its admin socket instead when one
// answers; OpenStore and OpenAdminStore take a PostgreSQL store URL
// instead (issuer/pgstore, issue 13). The file layout (issuer.DirConfigFile and the rest) and the
// admin socket protocol are package issuer's; this package only chooses
// the store, which package issuer cannot import (issuer/boltstore imports
// issuer).
package issuerdir

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/issuer/pgstore"
	"github.com/cairn-id/cairn/schemas"
)

// openBolt is the issuer.StoreOpener of a directory's bbolt file.
func openBolt(path string) (issuer.Store, error) { return boltstore.Open(path) }

// Open opens the issuer directory dir and its bbolt store (see
// issuer.OpenDir). Close the Service to release the store.
func Open(dir string, opts ...issuer.AdminOption) (*issuer.Service, error) {
	return issuer.OpenDir(dir, openBolt, opts...)
}

// OpenAdmin opens dir for an operator: the client of the server on its
// admin socket when one answers, else the Service over the bbolt store
// (see issuer.OpenAdmin).
func OpenAdmin(ctx context.Context, dir string, opts ...issuer.AdminOption) (issuer.Admin, error) {
	return issuer.OpenAdmin(ctx, dir, openBolt, opts...)
}

// OpenStore opens the issuer directory dir over the store at storeURL:
// the directory's bbolt file when storeURL is "" (Open), else the
// PostgreSQL database it names (issuer/pgstore), which several serving
// instances and operators' commands share; the directory still holds the
// configuration, the signing key and the hash key. Errors never show the
// URL's password.
func OpenStore(ctx context.Context, dir, storeURL string, opts ...issuer.AdminOption) (*issuer.Service, error) {
	if storeURL == "" {
		return Open(dir, opts...)
	}
	return issuer.OpenDir(dir, pgOpener(ctx, storeURL, opts), opts...)
}

// OpenAdminStore opens dir for an operator over the store at storeURL:
// OpenAdmin when storeURL is "", else the Service directly over the
// PostgreSQL store, from any machine with the directory's keys, with no
// admin socket (the database arbitrates between instances).
func OpenAdminStore(ctx context.Context, dir, storeURL string, opts ...issuer.AdminOption) (issuer.Admin, error) {
	if storeURL == "" {
		return OpenAdmin(ctx, dir, opts...)
	}
	return OpenStore(ctx, dir, storeURL, opts...)
}

// pgOpener is the issuer.StoreOpener of a PostgreSQL store (the bbolt
// path it is given is not used).
func pgOpener(ctx context.Context, storeURL string, opts []issuer.AdminOption) issuer.StoreOpener {
	return func(string) (issuer.Store, error) {
		return pgstore.Open(ctx, storeURL, pg.Options{Logger: issuer.LoggerOf(opts)})
	}
}

// ReadConfig reads dir's issuer.json (issuer.ErrNotIssuerDir when there
// is none).
func ReadConfig(dir string) (*issuer.DirConfig, error) { return issuer.ReadDirConfig(dir) }

// InitRequest describes a new issuer directory.
type InitRequest struct {
	URL string
	// PathAllowed accepts a URL with a path (https://host/issuers/clinic,
	// issuer.CheckIdentifier) for an issuer served under that path beside
	// others on one listener (package stack); 'cairn issuer init' serves
	// at the origin and leaves it false.
	PathAllowed bool
	Dev         bool
	Names       map[string]string // display name per locale; "en" required
	Types       []string          // vcts, each in Catalogue
	Alg         jose.Alg          // signing algorithm (keys.DefaultAlg when empty)
	// BBS also creates the BBS key of the experimental jpt format
	// (issuer.DirBBSKeyFile); JPT are the types (of Types) offered as
	// jpt from the start, and imply BBS.
	BBS bool
	JPT []string
	// Catalogue checks Types (schemas.Load() when nil).
	Catalogue *schemas.Catalogue
	// Rand is the source of the keys (crypto/rand when nil).
	Rand io.Reader
}

// InitError is a refused InitRequest field ("url", "names", "types" or
// "jpt").
// Init's other refusal is a directory that already holds an issuer, or a
// file it would overwrite (keys.ErrExists).
type InitError struct {
	Field string
	Err   error
}

func (e *InitError) Error() string { return fmt.Sprintf("issuerdir: %s: %v", e.Field, e.Err) }

// Unwrap returns the cause.
func (e *InitError) Unwrap() error { return e.Err }

// Init creates the issuer directory dir (0700; created if missing) with a
// new signing key, a new hash key and issuer.json, and returns the
// configuration written. It refuses a directory that already holds an
// issuer (ErrExists) and never overwrites a file.
func Init(dir string, r InitRequest) (*issuer.DirConfig, error) {
	if r.Names["en"] == "" {
		return nil, &InitError{Field: "names", Err: errors.New("an English name (en) is required")}
	}
	check := issuer.CheckURL
	if r.PathAllowed {
		check = issuer.CheckIdentifier
	}
	base, err := check(r.URL, r.Dev)
	if err != nil {
		return nil, &InitError{Field: "url", Err: err}
	}
	cat := r.Catalogue
	if cat == nil {
		if cat, err = schemas.Load(); err != nil {
			return nil, err
		}
	}
	for _, t := range r.Types {
		ty, err := cat.Lookup(t)
		if err != nil {
			return nil, &InitError{Field: "types", Err: err}
		}
		if ty.External {
			return nil, &InitError{Field: "types", Err: fmt.Errorf("%w: %s", issuer.ErrExternalType, t)}
		}
	}
	for _, t := range r.JPT {
		if !slices.Contains(r.Types, t) {
			return nil, &InitError{Field: "jpt", Err: fmt.Errorf("%s is not one of the issuer's types", t)}
		}
	}
	alg := r.Alg
	if alg == "" {
		alg = keys.DefaultAlg
	}
	rnd := r.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := os.Stat(filepath.Join(dir, issuer.DirConfigFile)); err == nil {
		return nil, fmt.Errorf("%s already holds an issuer: %w", dir, keys.ErrExists)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	k, err := keys.Generate(alg, rnd)
	if err != nil {
		return nil, err
	}
	if err := keys.Save(filepath.Join(dir, issuer.DirKeyFile), k); err != nil {
		return nil, err
	}
	hk := make([]byte, issuer.MinHashKeyLen)
	if _, err := io.ReadFull(rnd, hk); err != nil {
		return nil, err
	}
	if err := writeNew(filepath.Join(dir, issuer.DirHashKeyFile), []byte(jose.B64.EncodeToString(hk)+"\n")); err != nil {
		return nil, err
	}
	cfg := &issuer.DirConfig{URL: base, Names: r.Names, Types: r.Types, Dev: r.Dev, DID: k.DIDJWK(), JPT: r.JPT}
	if r.BBS || len(r.JPT) > 0 {
		bk, err := keys.GenerateBBS(rnd)
		if err != nil {
			return nil, err
		}
		if err := keys.SaveBBS(filepath.Join(dir, issuer.DirBBSKeyFile), bk); err != nil {
			return nil, err
		}
		cfg.BBSKey = keys.BBSDIDJWK(&bk.Public)
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := writeNew(filepath.Join(dir, issuer.DirConfigFile), append(b, '\n')); err != nil {
		return nil, err
	}
	return cfg, nil
}

// SetJPT enables (or disables) the experimental jpt format for type vct,
// one of the directory's types, in its issuer.json, and returns the
// configuration written. Enabling creates the BBS key
// (issuer.DirBBSKeyFile, 0600) when the directory has none; an existing
// key file is never replaced, only read (its did:jwk goes to
// DirConfig.BBSKey). SD-JWT VC stays on for the type. A running server
// reads the change when it is started again.
func SetJPT(dir, vct string, enable bool, rnd io.Reader) (*issuer.DirConfig, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(cfg.Types, vct) {
		return nil, &InitError{Field: "types", Err: fmt.Errorf("%s is not one of this issuer's types (%s)", vct, strings.Join(cfg.Types, ", "))}
	}
	if !enable {
		cfg.JPT = slices.DeleteFunc(cfg.JPT, func(v string) bool { return v == vct })
		return cfg, writeConfig(dir, cfg)
	}
	path := filepath.Join(dir, issuer.DirBBSKeyFile)
	bk, err := keys.LoadBBS(path)
	if errors.Is(err, fs.ErrNotExist) {
		if rnd == nil {
			rnd = rand.Reader
		}
		if bk, err = keys.GenerateBBS(rnd); err == nil {
			err = keys.SaveBBS(path, bk)
		}
	}
	if err != nil {
		return nil, err
	}
	cfg.BBSKey = keys.BBSDIDJWK(&bk.Public)
	if !slices.Contains(cfg.JPT, vct) {
		cfg.JPT = append(cfg.JPT, vct)
	}
	return cfg, writeConfig(dir, cfg)
}

func writeConfig(dir string, cfg *issuer.DirConfig) error {
	b, _ := json.MarshalIndent(cfg, "", "  ")
	return fsx.WriteAtomic(filepath.Join(dir, issuer.DirConfigFile), append(b, '\n'), 0o600)
}

// writeNew writes a 0600 file that must not exist yet.
func writeNew(path string, b []byte) error {
	err := fsx.WriteNew(path, b, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", path, keys.ErrExists)
	}
	return err
}

// Rewrite changes the URL (origin or origin with a path,
// issuer.CheckIdentifier) and dev flag of the issuer directory dir's
// issuer.json, keeping its names, types and DID: for a server whose
// address changed (package stack). The issuer's identity (its DID, from
// the key) does not change; credentials issued before keep the old
// status list URLs.
func Rewrite(dir, url string, dev bool) error {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return err
	}
	base, err := issuer.CheckIdentifier(url, dev)
	if err != nil {
		return &InitError{Field: "url", Err: err}
	}
	cfg.URL, cfg.Dev = base, dev
	return writeConfig(dir, cfg)
}
