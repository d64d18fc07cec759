// Package stack is the composition root of `cairn up` (DESIGN.md §1, §5):
// the registry, the demo issuers (and, as they are built, the wallet
// agent and the verifier) in one process, on one listener, over embedded
// bbolt stores in one data directory, with one Prometheus registry.
//
// Everything is path-mounted on the one listener:
//
//	/registry/snapshot, /registry/entities/{did}   the registry (registry/api)
//	/trqp/authorization, /trqp/recognition         its TRQP v2 queries
//	/issuers/{name}/…                              each issuer (issuer/api): offers, token, nonce, credential, notification, status
//	/.well-known/openid-credential-issuer/issuers/{name}   OpenID4VCI 1.0 §12.2.2 (the well-known
//	/.well-known/oauth-authorization-server/issuers/{name} segment goes before the path: RFC 8414 §3.1,
//	/.well-known/jwt-vc-issuer/issuers/{name}              SD-JWT VC §5)
//	/wallet/agent/…                                the wallet agent's API (wallet/api) for clients: --agent URL/wallet/agent
//	/verifier/request/{id}, /verifier/response/{id}  the verifier desk's wallet-facing endpoints (verifier/api)
//	/healthz, /readyz                              the whole process
//	/metrics                                       in dev mode (else on --metrics-addr, or behind a bearer token)
//	/, /wallet/, /trust/                           the pages (web/): home, the wallet page, the registry page
//	/desk/, /caseworker/                           the issuer desk and the caseworker console, behind the
//	/signin/                                       operator sign-in (web/signin; accounts in DATA/operators.json)
//
// Issuers are identified by URL with a path (http://127.0.0.1:8080/issuers/clinic)
// and by did:jwk (the key in the issuer directory). did:jwk because the
// registry names issuers by DID and the wallet finds an offer's issuer
// as the did:jwk of a key of its JWT VC Issuer Metadata
// (docs/wallet-flows.md), which the credential's iss then matches; no
// DID document has to be fetched from the stack's own (loopback)
// address, and a change of --addr changes the URLs but no identity.
//
// The registry's bbolt file is opened per call, never held: the
// authority amends and publishes with 'cairn registry … --db
// DATA/registry/registry.db' while the stack runs, and the stack takes a
// new publication in force within WatchEvery (at once on SIGHUP) for the
// issuers, the wallet agent, the verifier and the desk's offline bundle.
//
// The first Open of an empty directory seeds the demo ecosystem (seed.go);
// later Opens keep everything. The stack's clock (Clock) is shared by
// every service; in dev mode it can be moved forward over the stack's
// admin socket (AdvanceClock) to show months passing.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	issuerapi "github.com/cairn-id/cairn/issuer/api"
	"github.com/cairn-id/cairn/issuer/issuerdir"
	"github.com/cairn-id/cairn/registry"
	registryapi "github.com/cairn-id/cairn/registry/api"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/verifier"
	verifierapi "github.com/cairn-id/cairn/verifier/api"
	"github.com/cairn-id/cairn/verifier/verifierdir"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/web/signin"
)

// MetricsNamespace prefixes the stack's own route metrics.
const MetricsNamespace = "cairn_stack"

// RefreshEvery is how often the stack checks the registry snapshot's
// age (and publishes a fresh one when half its TTL is gone).
const RefreshEvery = time.Minute

// Config configures Open.
type Config struct {
	// Data is the data directory (created 0700 when missing).
	Data string
	// URL is the public base URL, without a trailing slash:
	// http://127.0.0.1:8080 in dev mode, an https URL behind a
	// TLS-terminating proxy otherwise.
	URL string
	// Dev allows http:// and loopback URLs, lets the dev clock move, and
	// (for the wallet agent) lets outbound fetches reach the stack's own
	// address. Never for real use.
	Dev bool
	// Now is the base clock (time.Now when nil); the stack's clock adds
	// the dev offset kept in the data directory.
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *prometheus.Registry // nil: server.NewRegistry()
	// PublicMetrics serves /metrics on the public listener. When nil,
	// dev mode serves the plain Prometheus handler there and any other
	// mode serves no /metrics on the public listener ('cairn up
	// --metrics-addr' puts it on a listener of its own).
	PublicMetrics http.Handler
	// StoreURL puts every service's store in the PostgreSQL database it
	// names (store.go) instead of the bbolt files of Data ("": bbolt).
	StoreURL string
	// seedCodeKDF, when set, hashes the seeded accounts' generated codes
	// with Argon2id as chosen passwords are (BenchmarkOpen's baseline:
	// seeding before codes had a scheme of their own).
	seedCodeKDF *signin.KDF
}

// Issuer is one running issuer of the stack.
type Issuer struct {
	Name    string
	Dir     string // the issuer directory ('cairn issuer offer --dir')
	URL     string
	DID     string
	Names   map[string]string
	Types   []string // vcts
	JPT     []string // the vcts (of Types) also offered as jpt
	Service *issuer.Service
	handler *issuerapi.Handler
}

// Stack is the composed process. Serve Handler on the one listener and
// AdminListeners beside it (server.Run), run Hooks, Close at the end.
type Stack struct {
	cfg     Config
	log     *slog.Logger
	clock   *Clock
	metrics *prometheus.Registry
	cat     *schemas.Catalogue
	// Seeded reports that this Open created the demo ecosystem.
	Seeded bool
	// OperatorCodes are the files of the sign-in codes this Open
	// generated for the seeded operator accounts (none when the stack
	// had accounts already).
	OperatorCodes []string

	regStore registry.Store
	// regWatch is the registry store's change signature (the bbolt
	// file's size and time, or PostgreSQL's latest version): a change
	// made by 'cairn registry …' while the stack runs is picked up by
	// the registry-watch hook without a restart.
	regWatch func() (string, error)
	regSig   string
	refresh  sync.Mutex // one registry refresh at a time
	regSvc   *registry.Service
	regKey   *keys.PrivateKey
	regAPI   *registryapi.Handler
	Issuers  []*Issuer

	wallet      *wallet.Service
	walletStore interface{ Close() error }
	walletAPI   *walletapi.Handler
	verifier    *verifier.Service
	verifierAPI *verifierapi.Handler
	console     *verifierapi.Console

	mu      sync.Mutex
	current *trust.Registry
	bundle  atomic.Pointer[trust.Bundle] // the desk's offline bundle

	handler http.Handler
}

// Open opens (seeding on first use) the stack in cfg.Data.
func Open(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Data == "" || cfg.URL == "" {
		return nil, errors.New("stack: a data directory and a URL are required")
	}
	cfg.URL = strings.TrimSuffix(cfg.URL, "/")
	if _, err := issuer.CheckURL(cfg.URL, cfg.Dev); err != nil {
		return nil, fmt.Errorf("stack: url: %w", err)
	}
	s := &Stack{cfg: cfg, log: cfg.Logger, metrics: cfg.Metrics}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = server.NewRegistry()
	}
	cat, err := schemas.Load()
	if err == nil {
		err = cat.Compile()
	}
	if err != nil {
		return nil, err
	}
	s.cat = cat
	st, err := s.prepare(ctx)
	if err != nil {
		return nil, err
	}
	off := time.Duration(0)
	if st.ClockOffset != "" {
		if off, err = time.ParseDuration(st.ClockOffset); err != nil {
			return nil, fmt.Errorf("stack: %s: clock_offset: %w", StateFile, err)
		}
	}
	if off != 0 && !cfg.Dev {
		return nil, fmt.Errorf("stack: the data directory's dev clock is %s ahead; it runs only with --dev (or --reset)", off)
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	if s.OperatorCodes, err = seedOperators(cfg.Data, st.Issuers, now(), cfg.seedCodeKDF); err != nil {
		return nil, err
	}
	s.clock = NewClock(cfg.Now, off)
	s.clock.moved = func(next time.Duration) error {
		st.ClockOffset = next.String()
		return writeState(cfg.Data, st)
	}
	if err := checkStoreKind(st, cfg.StoreURL); err != nil {
		return nil, err
	}
	if err := s.openRegistry(ctx); err != nil {
		return nil, err
	}
	for _, name := range st.Issuers {
		if err := s.openIssuer(ctx, name); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.openWallet(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.openVerifier(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.refreshBundle(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.buildHandler(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// prepare checks the data directory and seeds it when empty.
func (s *Stack) prepare(ctx context.Context) (*state, error) {
	dir := s.cfg.Data
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	st, err := readState(dir)
	if err == nil {
		return st, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	if len(entries) > 0 {
		return nil, errNotStack
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	now := time.Now
	if s.cfg.Now != nil {
		now = s.cfg.Now
	}
	if err := seed(ctx, dir, s.cfg.URL, s.cfg.StoreURL, s.cfg.Dev, now(), s.cat, s.pgOptions("registry")); err != nil {
		return nil, fmt.Errorf("stack: seeding the demo ecosystem: %w", err)
	}
	s.Seeded = true
	return readState(dir)
}

func (s *Stack) openRegistry(ctx context.Context) error {
	dir := filepath.Join(s.cfg.Data, RegistryDir)
	k, err := keys.Load(filepath.Join(dir, AuthorityKeyFile))
	if err != nil {
		return fmt.Errorf("stack: registry authority key: %w", err)
	}
	s.regKey = k
	// The bbolt file is opened per call (boltstore.File), never held:
	// the authority amends and publishes with 'cairn registry … --db
	// DATA/registry/registry.db' while the stack runs.
	if s.regStore, s.regWatch, err = openRegistryStore(ctx, s.cfg.Data, s.cfg.StoreURL, s.pgOptions("registry")); err != nil {
		return err
	}
	s.regSvc = &registry.Service{Store: s.regStore, Now: s.clock.Now}
	if err := s.refreshRegistry(ctx, false); err != nil {
		return err
	}
	s.regAPI, err = registryapi.New(s.regStore, registryapi.Options{Now: s.clock.Now, Logger: s.log, Metrics: s.metrics, MetricsElsewhere: true,
		Watch: s.regWatch})
	if err == nil {
		_, err = s.regAPI.Reload(ctx)
	}
	return err
}

// WatchEvery is how often the stack looks for a registry publication
// made beside it ('cairn registry publish'); SIGHUP looks at once.
const WatchEvery = 2 * time.Second

// watchRegistry reloads the snapshot in force when the registry store
// changed since the last look (or always, with force): the issuers, the
// wallet agent, the verifier and the desk's bundle then use it.
func (s *Stack) watchRegistry(ctx context.Context, force bool) error {
	sig, err := s.regWatch()
	if err != nil {
		return fmt.Errorf("stack: registry: %w", err)
	}
	s.refresh.Lock()
	same := sig == s.regSig
	s.refresh.Unlock()
	if same && !force {
		return nil
	}
	if err := s.refreshRegistry(ctx, false); err != nil {
		return err
	}
	return s.refreshBundle(ctx)
}

// refreshRegistry loads the latest snapshot and publishes a new one when
// it is missing, expired or past half its life on the stack's clock (or
// always, with force); the issuers get the result.
func (s *Stack) refreshRegistry(ctx context.Context, force bool) error {
	s.refresh.Lock()
	defer s.refresh.Unlock()
	// The signature before reading: a publication racing this read is
	// seen again by the next look.
	sig, sigErr := s.regWatch()
	now := s.clock.Now()
	pin := []*jose.JWK{s.regKey.PublicJWK()}
	var reg *trust.Registry
	if _, compact, err := s.regStore.Latest(ctx); err == nil {
		if r, err := trust.VerifySnapshot(compact, pin, now); err == nil && now.Before(r.Expires.Add(-SnapshotTTL/2)) {
			reg = r
		}
	} else if !errors.Is(err, registry.ErrNoSnapshot) {
		return fmt.Errorf("stack: registry: %w", err)
	}
	if reg == nil || force {
		_, compact, err := s.regSvc.Publish(ctx, s.regKey.Signer(), SnapshotTTL)
		if err != nil {
			return fmt.Errorf("stack: publishing the registry: %w", err)
		}
		if reg, err = trust.VerifySnapshot(compact, pin, now); err != nil {
			return fmt.Errorf("stack: the registry just published does not verify: %w", err)
		}
		if err := fsx.WriteAtomic(filepath.Join(s.cfg.Data, RegistryDir, SnapshotFile), []byte(compact+"\n"), 0o644); err != nil {
			return err
		}
		s.log.Info("registry snapshot published", "version", reg.Version, "expires", reg.Expires.UTC().Format(time.RFC3339))
	}
	s.mu.Lock()
	prev := s.current
	s.current = reg
	s.mu.Unlock()
	if sigErr == nil {
		s.regSig = sig
	}
	if prev != nil && reg.Version != prev.Version {
		s.log.Info("registry snapshot in force", "version", reg.Version, "previous", prev.Version)
		// Perhaps a publication made beside the stack: keep the
		// offline copy current too.
		if _, compact, err := s.regStore.Latest(ctx); err == nil {
			if err := fsx.WriteAtomic(filepath.Join(s.cfg.Data, RegistryDir, SnapshotFile), []byte(compact+"\n"), 0o644); err != nil {
				return err
			}
		}
	}
	for _, is := range s.Issuers {
		is.Service.SetRegistry(reg)
	}
	if s.verifier != nil {
		s.verifier.SetRegistry(reg)
	}
	return nil
}

// Registry returns the snapshot in force (for the wallet and verifier).
func (s *Stack) Registry() *trust.Registry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// pgOptions are the PostgreSQL options of a service's store.
func (s *Stack) pgOptions(service string) pg.Options {
	return pg.Options{Logger: s.log.With("service", service), MaxConns: 4}
}

func (s *Stack) openIssuer(ctx context.Context, name string) error {
	dir := filepath.Join(s.cfg.Data, IssuersDir, name)
	storeURL, err := issuerStoreURL(s.cfg.StoreURL, name)
	if err != nil {
		return err
	}
	cfg, err := issuerdir.ReadConfig(dir)
	if err != nil {
		return fmt.Errorf("stack: issuer %s: %w", name, err)
	}
	// The address may have changed since the seed: the identifier
	// follows it (the DID, from the key, does not change).
	if want := IssuerURL(s.cfg.URL, name); cfg.URL != want || cfg.Dev != s.cfg.Dev {
		if err := issuerdir.Rewrite(dir, want, s.cfg.Dev); err != nil {
			return fmt.Errorf("stack: issuer %s: %w", name, err)
		}
		s.log.Info("issuer URL changed", "issuer", name, "from", cfg.URL, "to", want)
		cfg.URL, cfg.Dev = want, s.cfg.Dev
	}
	svc, err := issuerdir.OpenStore(ctx, dir, storeURL, issuer.WithClock(s.clock.Now), issuer.WithLogger(s.log.With("issuer", name)),
		issuer.WithCatalogue(s.cat), issuer.WithRegistry(s.Registry()))
	if err != nil {
		return fmt.Errorf("stack: issuer %s: %w", name, err)
	}
	h, err := issuerapi.New(svc, issuerapi.Options{Now: s.clock.Now, Logger: s.log.With("issuer", name),
		Registerer: prometheus.WrapRegistererWith(prometheus.Labels{"issuer": name}, s.metrics)})
	if err != nil {
		svc.Close()
		return err
	}
	s.Issuers = append(s.Issuers, &Issuer{Name: name, Dir: dir, URL: svc.URL(), DID: svc.DID(), Names: cfg.Names, Types: cfg.Types, JPT: svc.JPTTypes(), Service: svc, handler: h})
	return nil
}

// Issuer returns the stack's issuer name, or nil.
func (s *Stack) Issuer(name string) *Issuer {
	for _, is := range s.Issuers {
		if is.Name == name {
			return is
		}
	}
	return nil
}

func (s *Stack) buildHandler() error {
	mux := http.NewServeMux()
	for _, p := range []string{"/registry/", "/trqp/"} {
		mux.Handle(p, s.regAPI)
	}
	for _, is := range s.Issuers {
		base := issuerapi.BasePath(is.URL)
		mux.Handle(base+"/", is.handler)
		for _, wk := range []string{"/.well-known/openid-credential-issuer", "/.well-known/oauth-authorization-server", issuerapi.WellKnownJWTVCIssuer} {
			mux.Handle(wk+base, is.handler)
		}
	}
	mountStripped(mux, AgentPath, s.walletAPI)
	mountStripped(mux, VerifierPath, s.verifierAPI)
	own, err := server.NewRouter(server.RouterConfig{Namespace: MetricsNamespace, Metrics: s.metrics, Logger: s.log})
	if err != nil {
		return err
	}
	own.HandleHealth(s.checks()...)
	pages, err := s.buildPages()
	if err != nil {
		return err
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		mux.Handle(p, own)
	}
	switch {
	case s.cfg.PublicMetrics != nil:
		mux.Handle("/metrics", s.cfg.PublicMetrics)
	case s.cfg.Dev:
		own.HandleMetrics(s.metrics)
		mux.Handle("/metrics", own)
	default:
		mux.Handle("/metrics", http.NotFoundHandler())
	}
	mux.Handle("/", pages)
	s.handler = mux
	return nil
}

func (s *Stack) checks() []server.Check {
	cs := []server.Check{{Name: "registry", Fn: func(ctx context.Context) error {
		r := s.Registry()
		if r == nil || !s.clock.Now().Before(r.Expires) {
			return errors.New("no current registry snapshot")
		}
		_, _, err := s.regStore.Latest(ctx)
		return err
	}}}
	for _, is := range s.Issuers {
		svc := is.Service
		cs = append(cs, server.Check{Name: "issuer " + is.Name, Fn: svc.Ready})
	}
	cs = append(cs, server.Check{Name: "verifier", Fn: s.verifier.Ready})
	return cs
}

// Handler serves everything on the one listener.
func (s *Stack) Handler() http.Handler { return s.handler }

// Clock is the stack's clock.
func (s *Stack) Clock() *Clock { return s.clock }

// URL is the stack's public base URL.
func (s *Stack) URL() string { return s.cfg.URL }

// Data is the stack's data directory.
func (s *Stack) Data() string { return s.cfg.Data }

// Dev reports dev mode.
func (s *Stack) Dev() bool { return s.cfg.Dev }

// AdminListeners opens the admin sockets: each issuer directory's
// (so 'cairn issuer offer --dir' works while the stack runs) and the
// stack's own (DATA/admin.sock: the dev clock). server.Run closes them,
// which removes the sockets.
func (s *Stack) AdminListeners() ([]server.Listener, error) {
	var out []server.Listener
	fail := func(err error) ([]server.Listener, error) {
		for _, l := range out {
			l.Listener.Close()
		}
		return nil, err
	}
	for _, is := range s.Issuers {
		ln, err := issuer.ListenAdmin(is.Dir)
		if err != nil {
			return fail(fmt.Errorf("stack: issuer %s: %w", is.Name, err))
		}
		out = append(out, server.Listener{Name: "admin " + is.Name, Listener: ln, Handler: issuerapi.NewAdmin(is.Service, s.log.With("issuer", is.Name)),
			Timeouts: server.Timeouts{Read: 30 * time.Second, Write: 2 * time.Minute}})
	}
	vln, err := verifierdir.ListenAdmin(filepath.Join(s.cfg.Data, VerifierDir))
	if err != nil {
		return fail(fmt.Errorf("stack: verifier admin socket: %w", err))
	}
	out = append(out, server.Listener{Name: "admin verifier", Listener: vln, Handler: s.console, Timeouts: server.Timeouts{Read: 30 * time.Second, Write: 2 * time.Minute}})
	ln, err := issuer.ListenAdmin(s.cfg.Data) // the same 0600-socket-in-0700-directory rules
	if err != nil {
		return fail(fmt.Errorf("stack: admin socket: %w", err))
	}
	out = append(out, server.Listener{Name: "admin stack", Listener: ln, Handler: s.adminHandler()})
	return out, nil
}

// Hooks are the stack's periodic work: each issuer's sweep and refusal
// log, the registry's freshness.
func (s *Stack) Hooks() []server.Hook {
	hs := []server.Hook{{Name: "registry", Every: RefreshEvery, Fn: func(ctx context.Context, _ server.Trigger) error {
		if err := s.refreshRegistry(ctx, false); err != nil {
			return err
		}
		return s.refreshBundle(ctx)
	}}, {Name: "registry-watch", Every: WatchEvery, OnHangup: true, Fn: func(ctx context.Context, why server.Trigger) error {
		return s.watchRegistry(ctx, why == server.TriggerHangup)
	}}, s.regAPI.ReloadHook(WatchEvery)}
	for _, is := range s.Issuers {
		hs = append(hs, issuerapi.SweepHook(is.Service, s.log.With("issuer", is.Name)), is.handler.RefusalLogHook())
	}
	hs = append(hs, s.regAPI.RefusalLogHook(), s.walletAPI.RefusalLogHook(),
		verifierapi.SweepHook(s.verifier, s.log.With("service", "verifier")), s.verifierAPI.RefusalLogHook())
	return hs
}

// Close releases the stores.
func (s *Stack) Close() error {
	var errs []error
	for _, is := range s.Issuers {
		errs = append(errs, is.Service.Close())
	}
	s.Issuers = nil
	if s.wallet != nil {
		s.wallet.Close()
		s.wallet = nil
	}
	if s.walletStore != nil {
		errs = append(errs, s.walletStore.Close())
		s.walletStore = nil
	}
	if s.verifier != nil {
		errs = append(errs, s.verifier.Close())
		s.verifier = nil
	}
	if s.regStore != nil {
		errs = append(errs, s.regStore.Close())
		s.regStore = nil
	}
	return errors.Join(errs...)
}

// Reset removes what a stack keeps in dir (stack.json, the registry, the
// issuers, the examples; and the wallet's and verifier's directories)
// and nothing else; a directory that holds no stack is refused.
func Reset(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// A half-made seed (no stack.json) may still be reset, if
			// it holds only what a seed writes.
			entries, rerr := os.ReadDir(dir)
			if errors.Is(rerr, fs.ErrNotExist) {
				return nil
			}
			for _, e := range entries {
				if !ownEntry(e.Name()) {
					return errNotStack
				}
			}
		} else {
			return err
		}
	}
	for _, name := range ownEntries {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("stack: reset: %w", err)
		}
	}
	return nil
}

// ownEntries are the names a stack creates in its data directory;
// stack.json is removed last.
var ownEntries = []string{RegistryDir, IssuersDir, ExamplesDir, WalletDir, VerifierDir, PagesKeyFile, OperatorsFile, OperatorsLockFile, OperatorCodesDir, AdminSocketFile, StateFile}

func ownEntry(name string) bool {
	for _, n := range ownEntries {
		if n == name {
			return true
		}
	}
	return false
}
