package stack

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/registry"
	registryapi "github.com/cairn-id/cairn/registry/api"
	"github.com/cairn-id/cairn/registry/boltstore"
	registrypg "github.com/cairn-id/cairn/registry/pgstore"
)

// The stack on PostgreSQL (Config.StoreURL): every service's store in
// one database, each in its own schema under the URL's
// cairn_schema_prefix P (default "cairn"): P_registry, P_wallet,
// P_verifier, and P_<issuer>_issuer for each issuer (an issuer's store
// holds one issuer, so each has a prefix of its own). The data
// directory still holds the keys, the issuers' and the desk's
// configuration, the wallet's pepper, the pages' key and the accounts.

// storeKind is what stack.json records of the store: "" for the bbolt
// files, "postgres:P" for PostgreSQL under prefix P.
func storeKind(storeURL string) (string, error) {
	if storeURL == "" {
		return "", nil
	}
	p, err := pg.SchemaPrefix(storeURL)
	if err != nil {
		return "", err
	}
	return "postgres:" + p, nil
}

// issuerStoreURL is the store URL of the issuer name ("" on bbolt).
func issuerStoreURL(storeURL, name string) (string, error) {
	if storeURL == "" {
		return "", nil
	}
	p, err := pg.SchemaPrefix(storeURL)
	if err != nil {
		return "", err
	}
	return pg.WithSchemaPrefix(storeURL, p+"_"+strings.ReplaceAll(name, "-", "_"))
}

// Schemas are the PostgreSQL schemas of a stack with these issuers.
func Schemas(storeURL string, issuers []string) ([]string, error) {
	p, err := pg.SchemaPrefix(storeURL)
	if err != nil {
		return nil, err
	}
	out := []string{p + "_registry", p + "_wallet", p + "_verifier"}
	for _, n := range issuers {
		out = append(out, p+"_"+strings.ReplaceAll(n, "-", "_")+"_issuer")
	}
	return out, nil
}

// ResetStore drops the PostgreSQL schemas of the stack whose data
// directory is data (its issuers, from stack.json, and the demo's), and
// nothing else of the database.
func ResetStore(ctx context.Context, storeURL, data string) error {
	names := map[string]bool{}
	for _, is := range DemoIssuers {
		names[is.Name] = true
	}
	if st, err := readState(data); err == nil {
		for _, n := range st.Issuers {
			names[n] = true
		}
	}
	var issuers []string
	for n := range names {
		issuers = append(issuers, n)
	}
	schemas, err := Schemas(storeURL, issuers)
	if err != nil {
		return err
	}
	return pg.DropSchemas(ctx, storeURL, schemas)
}

// openRegistryStore opens the registry's store: the bbolt file of data
// opened per call, or PostgreSQL; watch is its change signature.
func openRegistryStore(ctx context.Context, data, storeURL string, o pg.Options) (registry.Store, func() (string, error), error) {
	if storeURL == "" {
		path := filepath.Join(data, RegistryDir, RegistryDB)
		return boltstore.File{Path: path}, registryapi.FileSignature(path, nil), nil
	}
	s, err := registrypg.Open(ctx, storeURL, o)
	if err != nil {
		return nil, nil, fmt.Errorf("stack: registry store: %w", err)
	}
	return s, s.Watch(0, nil), nil
}

// checkStoreKind refuses a data directory seeded on another store.
func checkStoreKind(st *state, storeURL string) error {
	kind, err := storeKind(storeURL)
	if err != nil {
		return err
	}
	if st.Store != kind {
		was, now := st.Store, kind
		if was == "" {
			was = "the bbolt files"
		}
		if now == "" {
			now = "the bbolt files"
		}
		return fmt.Errorf("stack: this data directory's stack keeps its data in %s, not %s (give the same --store, or --reset)", was, now)
	}
	return nil
}
