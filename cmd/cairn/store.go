package main

import (
	"errors"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cairn-id/cairn/internal/store/pg"
)

// storeFlags are --store and --store-file: a PostgreSQL store instead of
// the bbolt file (issue 13).
type storeFlags struct {
	url, file string
}

func addStoreFlags(fs *pflag.FlagSet, f *storeFlags) {
	fs.StringVar(&f.url, "store", "", "PostgreSQL store, postgres://USER@HOST/DB (no password here: put the whole URL in $"+pg.EnvStore+" or a 0600 file, --store-file); default the bbolt file")
	fs.StringVar(&f.file, "store-file", "", "file holding the PostgreSQL store URL (mode 0600; the password may be in it)")
}

// resolve returns the store URL of --store, --store-file or CAIRN_STORE,
// "" for the bbolt file. A bad one is a usage error that never shows
// the password.
func (f *storeFlags) resolve(e *env) (string, error) {
	getenv := e.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	u, err := pg.Resolve(f.url, f.file, getenv)
	if err != nil {
		return "", usageError(err)
	}
	return u, nil
}

// storeURL resolves the command group's --store flags ("" where there
// are none, or none was given).
func (e *env) storeURL() (string, error) {
	if e.store == nil {
		return "", nil
	}
	return e.store.resolve(e)
}

// storeFlagsOf reads the persistent --store flags of cmd's parents.
func storeFlagsOf(cmd *cobra.Command) *storeFlags {
	f := &storeFlags{}
	f.url, _ = cmd.Flags().GetString("store")
	f.file, _ = cmd.Flags().GetString("store-file")
	return f
}

var errStoreAndDB = errors.New("--db names the bbolt file; with a PostgreSQL store (--store, --store-file or $" + pg.EnvStore + ") leave it out")
