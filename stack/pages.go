package stack

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/web"
	"github.com/cairn-id/cairn/web/console"
	"github.com/cairn-id/cairn/web/desk"
	"github.com/cairn-id/cairn/web/signin"
	"github.com/cairn-id/cairn/web/trustview"
	"github.com/cairn-id/cairn/web/walletpage"
)

// Where the pages live on the listener (docs/pages.md).
const (
	WalletPagePath  = "/wallet/"
	ConsolePagePath = "/caseworker/"
	DeskPagePath    = "/desk/"
	TrustPagePath   = "/trust/"
	SignInPath      = signin.Path
	// AgentPath is the wallet agent's API for clients other than the
	// wallet page (the CLI: --agent URL/wallet/agent).
	AgentPath = "/wallet/agent"
	// PagesKeyFile keeps the pages' secret (0600): the session and CSRF
	// key and the wallet page's cookie key are derived from it, so
	// sessions survive a restart.
	PagesKeyFile = "pages.key"
)

// pagesKeys reads (creating on first use) DATA/pages.key and derives the
// site's session key and the wallet page's cookie key from it.
func pagesKeys(dir string) (session, walletCookies []byte, err error) {
	path := filepath.Join(dir, PagesKeyFile)
	secret, err := bounded.ReadFile(path, 1<<10)
	if errors.Is(err, fs.ErrNotExist) {
		secret = make([]byte, 32)
		if _, err = io.ReadFull(rand.Reader, secret); err != nil {
			return nil, nil, err
		}
		err = fsx.WriteNew(path, secret, 0o600)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("stack: %s: %w", PagesKeyFile, err)
	}
	if len(secret) < 32 {
		return nil, nil, fmt.Errorf("stack: %s is shorter than 32 bytes", PagesKeyFile)
	}
	if session, err = hkdf.Key(sha256.New, secret, nil, "cairn up pages sessions v1", 32); err != nil {
		return nil, nil, err
	}
	walletCookies, err = hkdf.Key(sha256.New, secret, nil, "cairn up wallet page cookies v1", 32)
	return session, walletCookies, err
}

// buildPages mounts the pages on one web.Site: the wallet page (served
// by the agent, in process), the registry page, the operator sign-in,
// and behind it the issuer desk (a desk operator sees and acts for their
// issuer only) and the caseworker console (caseworkers of the stack's
// verifier desk) (docs/pages.md).
func (s *Stack) buildPages() (http.Handler, error) {
	sessionKey, cookieKey, err := pagesKeys(s.cfg.Data)
	if err != nil {
		return nil, err
	}
	site, err := web.New(web.Config{SessionKey: sessionKey, Logger: s.log.With("service", "pages"), Secure: strings.HasPrefix(s.cfg.URL, "https://")})
	if err != nil {
		return nil, err
	}
	wp, err := walletpage.New(walletpage.Config{Prefix: WalletPagePath, API: s.walletAPI, Key: cookieKey})
	if err != nil {
		return nil, err
	}
	site.Mount(WalletPagePath, walletpage.NavLabel, walletpage.NavDescription, wp)
	// Sign-in lifetimes, lockouts and rates are on the real clock, not
	// the dev clock.
	si, err := signin.New(signin.Config{Prefix: SignInPath, Accounts: OperatorAccounts(s.cfg.Data), Sessions: site.Sessions(),
		Logger: s.log.With("service", "signin")})
	if err != nil {
		return nil, err
	}
	site.Mount(SignInPath, "", "", si)
	gate := si.Gate()
	cp, err := console.New(console.Config{Prefix: ConsolePagePath, API: s.console, Catalogue: s.cat})
	if err != nil {
		return nil, err
	}
	site.Mount(ConsolePagePath, console.NavLabel, console.NavDescription, gate.Require(signin.RoleCaseworker,
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if op := signin.FromContext(r.Context()); op == nil || op.Scope != CaseworkerScope {
				signin.NotYours(w, r)
				return
			}
			cp.ServeHTTP(w, r)
		})))
	var offices []desk.Office
	for _, is := range s.Issuers {
		offices = append(offices, desk.Office{Slug: is.Name, Names: is.Names, Admin: is.Service, Types: is.Types, JPT: is.JPT})
	}
	dp, err := desk.New(desk.Config{Prefix: DeskPagePath, Offices: offices, Catalogue: s.cat, Now: s.clock.Now,
		Allowed: func(r *http.Request, slug string) bool {
			op := signin.FromContext(r.Context())
			return op != nil && op.Role == signin.RoleDesk && op.Scope == slug
		}, Refuse: signin.NotYours})
	if err != nil {
		return nil, err
	}
	site.Mount(DeskPagePath, desk.NavLabel, desk.NavDescription, gate.Require(signin.RoleDesk, dp))
	tv, err := trustview.New(trustview.Config{Source: trustview.StoreSource(s.regStore, s.clock.Now), Catalogue: s.cat, Now: s.clock.Now})
	if err != nil {
		return nil, err
	}
	site.Mount(TrustPagePath, trustview.NavLabel, trustview.NavDescription, tv)
	return site.Handler(), nil
}
