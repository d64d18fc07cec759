package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/verifier"
	verifierapi "github.com/cairn-id/cairn/verifier/api"
	"github.com/cairn-id/cairn/verifier/verifierdir"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	walletbolt "github.com/cairn-id/cairn/wallet/boltstore"
	walletpg "github.com/cairn-id/cairn/wallet/pgstore"
)

// Mount points of the wallet agent and the verifier on the listener.
const (
	VerifierPath = "/verifier"
	WalletDir    = "wallet"
	VerifierDir  = "verifier"
	PepperFile   = "pepper"    // the wallet agent's server pepper, 0600
	WalletDB     = "wallet.db" // the wallet agent's store
)

// DeskNames are the demo verifier desk's names.
var DeskNames = map[string]string{
	"en": "Riverside Services Desk", "fr": "Guichet des services de Riverside",
	"ar": "مكتب خدمات ريفرسايد", "uk": "Служба прийому Ріверсайд",
}

// seedDesk creates the verifier directory and registers the desk as a
// verifier for each shipped purpose, with the claims its query asks for.
func seedDesk(ctx context.Context, dir, baseURL string, dev bool, svc *registry.Service, since time.Time) error {
	cfg, err := verifierdir.Init(filepath.Join(dir, VerifierDir), verifierdir.InitRequest{URL: baseURL + VerifierPath, Dev: dev, Names: DeskNames})
	if err != nil {
		return fmt.Errorf("stack: seed the verifier desk: %w", err)
	}
	if _, err := svc.AddEntity(ctx, registry.NewEntity{DID: cfg.DID, Role: trust.RoleVerifier, Names: DeskNames, ValidFrom: since}); err != nil {
		return fmt.Errorf("stack: seed the verifier desk: %w", err)
	}
	ps, err := verifier.DefaultPurposes()
	if err != nil {
		return err
	}
	for _, id := range ps.IDs() {
		if _, err := svc.GrantVerifier(ctx, cfg.DID, trust.VerifierAuthorization{Purpose: id, Claims: ps[id].Claims(), From: since}); err != nil {
			return fmt.Errorf("stack: seed the desk's purpose %s: %w", id, err)
		}
	}
	return nil
}

// ownAddrs is the guard's exception in dev mode: the stack's own
// address, when its URL names it by IP literal.
func (s *Stack) ownAddrs() []netip.AddrPort {
	if !s.cfg.Dev {
		return nil
	}
	u, err := url.Parse(s.cfg.URL)
	if err != nil {
		return nil
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	a, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(u.Hostname() + ":" + port); err2 == nil {
			a = ap
		} else {
			return nil
		}
	}
	return []netip.AddrPort{a}
}

// guarded is the outbound client of the wallet agent and the verifier:
// the SSRF guard (https only, no private or loopback targets), with the
// stack's own address as the only exception in dev mode.
func (s *Stack) guarded() httpx.Options {
	return httpx.Options{AllowAddrs: s.ownAddrs(), Timeout: wallet.DefaultOutboundTimout}
}

// openWallet opens (creating on first use) the wallet agent's directory:
// the pepper and the store.
func (s *Stack) openWallet(ctx context.Context) error {
	dir := filepath.Join(s.cfg.Data, WalletDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	pp := filepath.Join(dir, PepperFile)
	pepper, err := wallet.LoadPepper(pp)
	if errors.Is(err, fs.ErrNotExist) {
		pepper, err = wallet.CreatePepper(pp, nil)
	}
	if err != nil {
		return fmt.Errorf("stack: wallet pepper: %w", err)
	}
	var st wallet.Store
	if s.cfg.StoreURL != "" {
		st, err = walletpg.Open(ctx, s.cfg.StoreURL, s.pgOptions("wallet"))
	} else {
		st, err = walletbolt.Open(filepath.Join(dir, WalletDB))
	}
	if err != nil {
		return fmt.Errorf("stack: wallet store: %w", err)
	}
	client := httpx.NewClient(s.guarded())
	svc, err := wallet.New(wallet.Config{Store: st, Pepper: pepper, Now: s.clock.Now, Logger: s.log.With("service", "wallet"),
		Flows: wallet.FlowConfig{Dev: s.cfg.Dev, HTTPClient: client, Registry: s.Registry, Catalogue: s.cat,
			Resolver: &did.Resolver{HTTPClient: client}}})
	clear(pepper)
	if err != nil {
		st.Close()
		return err
	}
	s.wallet, s.walletStore = svc, st
	h, err := walletapi.New(svc, walletapi.Options{Now: s.clock.Now, Logger: s.log.With("service", "wallet"), Metrics: s.metrics, MetricsElsewhere: true,
		Catalogue: s.cat, Registry: s.Registry,
		Ready: func(ctx context.Context) error {
			return st.View(ctx, func(tx wallet.Tx) error { _, err := tx.HolderCount(); return err })
		}})
	if err != nil {
		return err
	}
	s.walletAPI = h
	return nil
}

// openVerifier opens the verifier desk's directory (its URL follows the
// stack's address).
func (s *Stack) openVerifier() error {
	dir := filepath.Join(s.cfg.Data, VerifierDir)
	cfg, err := verifierdir.ReadConfig(dir)
	if err != nil {
		return fmt.Errorf("stack: verifier: %w", err)
	}
	if want := s.cfg.URL + VerifierPath; cfg.URL != want || cfg.Dev != s.cfg.Dev {
		cfg.URL, cfg.Dev = want, s.cfg.Dev
		b, _ := json.MarshalIndent(cfg, "", "  ")
		if err := fsx.WriteAtomic(filepath.Join(dir, verifierdir.ConfigFile), append(b, '\n'), 0o600); err != nil {
			return err
		}
	}
	fetcher := statuslist.NewFetcher(s.guarded())
	svc, _, err := verifierdir.Open(dir, verifierdir.Options{Registry: s.Registry(), Resolver: &did.Resolver{HTTPClient: httpx.NewClient(s.guarded())},
		FetchStatusList: fetcher.Fetch, Logger: s.log.With("service", "verifier"), Now: s.clock.Now, StoreURL: s.cfg.StoreURL})
	if err != nil {
		return fmt.Errorf("stack: verifier: %w", err)
	}
	s.verifier = svc
	opts := verifierapi.Options{Now: s.clock.Now, Logger: s.log.With("service", "verifier"), Metrics: s.metrics, MetricsElsewhere: true,
		Bundle: s.bundle.Load}
	if s.verifierAPI, err = verifierapi.New(svc, opts); err != nil {
		return err
	}
	if s.console, err = verifierapi.NewConsole(svc, opts); err != nil {
		return err
	}
	return nil
}

// mountStripped serves h under prefix, as if at the root.
func mountStripped(mux *http.ServeMux, prefix string, h http.Handler) {
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
}

// maxBundleLists bounds the status lists of each issuer put in the
// desk's offline bundle.
const maxBundleLists = 16

// refreshBundle rebuilds the verifier desk's offline bundle (the console's
// image check, with no network): the latest registry snapshot and every
// issuer's current status lists, signed now and loaded back through
// trust.LoadBundle as any desk would.
func (s *Stack) refreshBundle(ctx context.Context) error {
	_, compact, err := s.regStore.Latest(ctx)
	if err != nil {
		return err
	}
	lists := map[string]string{}
	for _, is := range s.Issuers {
		for i := 1; i <= maxBundleLists; i++ {
			id := strconv.Itoa(i)
			tok, _, err := is.Service.SignedStatusList(ctx, id)
			if errors.Is(err, issuer.ErrNotFound) {
				break
			}
			if err != nil {
				return fmt.Errorf("stack: bundle: %s status list %s: %w", is.Name, id, err)
			}
			lists[is.Service.StatusListURI(id)] = tok
		}
	}
	now := s.clock.Now()
	b, err := trust.MakeBundle(compact, lists, now)
	if err != nil {
		return err
	}
	bundle, err := trust.LoadBundle(ctx, b, []*jose.JWK{s.regKey.PublicJWK()}, now, trust.BundleOptions{Resolve: (&did.Resolver{}).ResolveKey})
	if err != nil {
		return fmt.Errorf("stack: bundle: %w", err)
	}
	s.bundle.Store(bundle)
	return nil
}
