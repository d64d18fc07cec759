package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/store/pg"
	trustpkg "github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/boltstore"
	walletpg "github.com/cairn-id/cairn/wallet/pgstore"
)

type walletServeOptions struct {
	data, addr string
	registry   string
	regKeys    []string
	devPrivate bool
	limits     clientLimitFlags
	metrics    metricsFlags
	store      storeFlags
}

// Files of the wallet agent's data directory.
const (
	walletPepperFile = "pepper"
	walletStoreFile  = "wallet.db"
)

func newWalletServeCmd(e *env) *cobra.Command {
	o := &walletServeOptions{}
	c := &cobra.Command{
		Use:   "serve [--data DIR] [--addr 127.0.0.1:8082] [--registry FILE --registry-key FILE...]",
		Short: "Run the wallet agent: the holders' mobile-facing API",
		Long: `Serve the wallet agent's API (docs/wallet-api.json, also served at
/openapi.json): holders, sessions, credentials, the consent log, export and
import, under /v1/, with /healthz and /readyz. Put a TLS-terminating
proxy in front. Logs are JSON lines unless stderr is a terminal; they
never hold a PIN, device secret, recovery code, passphrase, token or
claim value. SIGINT/SIGTERM shut down gracefully.

On first run DIR (default $XDG_DATA_HOME/cairn/wallet, else
~/.local/share/cairn/wallet) is created 0700 with the server pepper
(DIR/pepper, 0600) and the store (DIR/wallet.db). Keep the pepper out of
the store's backups: a copy of the store without it opens nothing
(docs/wallet-security.md). Losing it makes every holder's data
unreadable.

With --registry (a signed snapshot or offline bundle, checked against
--registry-key; read again on SIGHUP) issuers and verifiers are looked
up: offers from issuers it does not know need the holder's confirmed
warning, requests from verifiers it does not list are refused, and
credential lists name the issuers. Without it every issuer is unknown
and every verifier refused.

Creating holders, logging in and changing PINs, and recovering are
limited per client address (429 with Retry-After): --client-rate is the
logins a minute; creations get a third of it and recoveries a sixth.
Wrong PINs also lock the holder (423) and the address, longer each time.
Behind a reverse proxy, name it with --trusted-proxy.

Offers, issuer metadata, request objects, status lists, did:web
documents and response posts are fetched through one guarded client: no
private or loopback targets and https only, unless
--dev-allow-private-network (local tests only; it also accepts unsigned
redirect_uri verifiers).

With a PostgreSQL store (--store postgres://USER@HOST/DB, or the whole URL
with its password in $CAIRN_STORE or a 0600 file named by --store-file)
holders and their sealed records live in the database's cairn_wallet
schema instead of DIR/wallet.db, and several agents share it: give each
the same DIR/pepper (an agent that would create a new pepper beside a
store that already has holders refuses to start). Sessions are stored
too, with the holder's key wrapped under the client's token, so any
agent serves any session (no session affinity) and a logout on one ends
it on all.

/metrics is not served unless asked for (--metrics-addr,
--metrics-token-file). --agent and --session do not apply to serve.`,
		Example: `  cairn wallet serve --data /var/lib/cairn-wallet --addr 127.0.0.1:8082
  cairn wallet serve --data wallet --registry registry.jws --registry-key authority.pub.jwk
  cairn wallet serve --data wallet --trusted-proxy 10.0.0.0/8 --metrics-addr 127.0.0.1:9466`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), e) },
	}
	c.Flags().StringVar(&o.data, "data", "", "data directory (pepper and store); created on first run")
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8082", "listen address")
	addRegistryFlags(c, &o.registry, &o.regKeys)
	c.Flags().BoolVar(&o.devPrivate, "dev-allow-private-network", false, "allow outbound fetches to loopback and private addresses over http (local tests only)")
	addClientLimitFlags(c, &o.limits, "logins and PIN changes per minute per client address (creations: a third, recoveries: a sixth); 0 turns the limits off", walletapi.DefaultLoginPerMinute, walletapi.DefaultLoginBurst)
	addMetricsFlags(c, &o.metrics)
	addStoreFlags(c.Flags(), &o.store)
	return c
}

// walletDataDir is --data or its default.
func walletDataDir(e *env, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if d := e.getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "cairn", "wallet"), nil
	}
	if h := e.getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "cairn", "wallet"), nil
	}
	return "", usageError(errors.New("give --data DIR (neither XDG_DATA_HOME nor HOME is set)"))
}

// openWalletData creates DIR and its pepper on first run, or loads them.
func openWalletData(dir string) (pepper []byte, created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	p := filepath.Join(dir, walletPepperFile)
	pepper, err = wallet.LoadPepper(p)
	if errors.Is(err, fs.ErrNotExist) {
		pepper, err = wallet.CreatePepper(p, nil)
		created = true
	}
	if err != nil {
		return nil, false, err
	}
	return pepper, created, nil
}

// scaled is l with its rate and burst divided by n (at least 1 each).
func scaled(l server.RateLimit, n int) server.RateLimit {
	if l.Off {
		return l
	}
	return server.RateLimit{PerMinute: max(l.PerMinute/float64(n), 1), Burst: max(l.Burst/n, 1)}
}

func (o *walletServeOptions) run(ctx context.Context, e *env) error {
	log := newLogger(e.stderr)
	proxies, limit, err := o.limits.parse()
	if err != nil {
		return err
	}
	reg, err := issuerRegistry(ctx, e, o.registry, o.regKeys)
	if err != nil {
		return err
	}
	dir, err := walletDataDir(e, o.data)
	if err != nil {
		return err
	}
	storeURL, err := o.store.resolve(e)
	if err != nil {
		return err
	}
	metrics := server.NewRegistry()
	metricsLn, metricsOnPublic, err := o.metrics.setup(server.MetricsHandler(metrics))
	if err != nil {
		return err
	}
	cat, err := schemas.Load()
	if err != nil {
		return err
	}
	pepper, created, err := openWalletData(dir)
	if err != nil {
		return fmt.Errorf("wallet data directory %s: %w", dir, err)
	}
	if created {
		log.Info("wallet data directory initialized: keep the pepper file out of the store's backups", "dir", dir, "pepper", filepath.Join(dir, walletPepperFile))
	}
	st, err := openWalletStore(ctx, dir, storeURL, created, log)
	if err != nil {
		return err
	}
	defer st.Close()
	var current atomic.Pointer[trustpkg.Registry]
	current.Store(reg)
	svc, err := wallet.New(wallet.Config{Store: st, Pepper: pepper, Now: e.now, Logger: log,
		Flows: wallet.FlowConfig{Dev: o.devPrivate, Registry: current.Load, Catalogue: cat}})
	clear(pepper)
	if err != nil {
		return err
	}
	defer svc.Close()
	h, err := walletapi.New(svc, walletapi.Options{
		Now: e.now, Logger: log, Metrics: metrics, MetricsElsewhere: true, TrustedProxies: proxies, Catalogue: cat,
		LoginLimit: limit, CreateLimit: scaled(limit, 3), RecoverLimit: scaled(limit, 6),
		Registry: current.Load,
		Ready: func(ctx context.Context) error {
			return st.View(ctx, func(tx wallet.Tx) error { _, err := tx.HolderCount(); return err })
		},
	})
	if err != nil {
		return err
	}
	if metricsOnPublic != nil {
		h.Handle("metrics", "/metrics", metricsOnPublic, server.NoStore())
	}
	if o.devPrivate {
		log.Warn("dev mode: outbound fetches may reach loopback and private addresses; never use this for real holders")
	}
	hooks := []server.Hook{h.RefusalLogHook(), walletapi.SessionSweepHook(svc, log)}
	if reg != nil {
		log.Info("trust registry loaded", "registry", reg.ID, "version", reg.Version)
		hooks = append(hooks, server.Hook{Name: "registry", OnHangup: true, Fn: func(ctx context.Context, _ server.Trigger) error {
			r, _, err := loadRegistryFile(ctx, o.registry, o.regKeys, e.now())
			if err != nil {
				return err
			}
			if cur := current.Load(); cur != nil && r.Version < cur.Version {
				return fmt.Errorf("registry version %d is older than the one in use (%d): kept the latter", r.Version, cur.Version)
			}
			current.Store(r)
			log.Info("trust registry reloaded", "registry", r.ID, "version", r.Version)
			return nil
		}})
	}
	listeners := []server.Listener{{Name: "public", Addr: o.addr, Handler: h}}
	if metricsLn != nil {
		listeners = append(listeners, *metricsLn)
	}
	err = server.Run(ctx, server.Config{
		Listeners: listeners,
		Hooks:     hooks,
		Logger:    log,
		Listening: func(a []net.Addr) {
			log.Info("wallet agent listening", "addr", a[0].String(), "data", dir)
			if len(a) > 1 {
				log.Info("metrics listening", "url", "http://"+a[1].String()+"/metrics")
			}
		},
	})
	if le := (*server.ListenError)(nil); errors.As(err, &le) {
		return le.Err
	}
	return err
}

// errNewPepperOnSharedStore: a pepper created beside a PostgreSQL store
// that already has holders, which it could never open.
var errNewPepperOnSharedStore = errors.New("the PostgreSQL store already has holders but this data directory had no pepper: copy the pepper file of the other agents into it (a new pepper opens none of their holders)")

// openWalletStore opens DIR/wallet.db, or the PostgreSQL store of
// storeURL. A pepper just created (pepperCreated) beside a PostgreSQL
// store that already has holders is removed again and refused.
func openWalletStore(ctx context.Context, dir, storeURL string, pepperCreated bool, log *slog.Logger) (wallet.Store, error) {
	if storeURL == "" {
		st, err := boltstore.Open(filepath.Join(dir, walletStoreFile))
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := walletpg.Open(ctx, storeURL, pg.Options{Logger: log})
	if err != nil {
		return nil, withExit(ExitFailure, err)
	}
	if pepperCreated {
		var n int
		err := st.View(ctx, func(tx wallet.Tx) (err error) { n, err = tx.HolderCount(); return err })
		if err == nil && n > 0 {
			os.Remove(filepath.Join(dir, walletPepperFile))
			err = usageError(errNewPepperOnSharedStore)
		}
		if err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}
