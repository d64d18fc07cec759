package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/statuslist"
	trustpkg "github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/api"
	"github.com/cairn-id/cairn/verifier/verifierdir"
)

// exitOfResult maps a result code to the process exit code.
func exitOfResult(c verifier.Code) int {
	switch c {
	case verifier.CodeValid:
		return ExitOK
	case verifier.Code(vccheck.CodeUntrusted):
		return ExitUntrusted
	case verifier.Code(vccheck.CodeExpired), verifier.Code(vccheck.CodeNotYetValid):
		return ExitExpired
	case verifier.Code(vccheck.CodeRevoked):
		return ExitRevoked
	case verifier.Code(vccheck.CodeSuspended):
		return ExitSuspended
	case verifier.Code(vccheck.CodeNotAuthorized):
		return ExitNotAuthorized
	case verifier.Code(vccheck.CodeStatusUnavailable):
		return ExitUndetermined
	case verifier.CodeHolderMismatch, verifier.CodeQueryNotSatisfied, verifier.CodeIdentityMismatch, verifier.CodeWalletDeclined, verifier.CodeWalletError:
		return ExitRefused
	case verifier.CodeBundleStale:
		return ExitStaleBundle
	}
	return ExitInvalid
}

func newVerifierCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "verifier",
		Short: "Run a verifier desk: OpenID4VP requests, results, offline checks",
		Long: `A verifier asks wallets for presentations for a purpose (clinic access,
school enrolment, cash-assistance eligibility, a basic bank account, or
purposes of its own in DIR/purposes/*.json), checks them against the trust
registry and shows the result to the caseworker.

Exit codes of 'result' and 'check': 0 valid, 3 invalid, 4 untrusted issuer,
5 expired, 6 revoked, 7 suspended, 8 issuer not authorized, 9 could not be
checked (status list unreachable: not a refusal), 11 no result yet or the
session expired, 12 the presentation was refused as a whole (different
holders, the query not answered, declined) or its names disagree (review),
13 the offline bundle is past its expiry.`,
	}
	c.AddCommand(newVerifierInitCmd(e), newVerifierServeCmd(e), newVerifierRequestCmd(e), newVerifierResultCmd(e), newVerifierCheckCmd(e))
	return c
}

type verifierInitOptions struct {
	dir, url, profile, chain, keyFile, sanDNS string
	names                                     []string
	dev, asJSON, x509                         bool
}

func newVerifierInitCmd(e *env) *cobra.Command {
	o := &verifierInitOptions{}
	c := &cobra.Command{
		Use:   "init --dir DIR --name en=NAME[,fr=NAME] --url https://… [--profile haip --x509 --chain PEM --key-file F]",
		Short: "Create a verifier directory and print what the registry administrator must add",
		Long: `Create DIR (0700) with a new signing key (the verifier's did:jwk), a
results key that seals stored results (kept outside the database) and
verifier.json, every file 0600. Nothing existing is overwritten.

It prints the DID and the exact commands the registry administrator runs
to register this verifier and authorize it for its purposes: wallets refuse
requests from a verifier the registry does not authorize for the purpose.

With --x509 the verifier is an X.509 relying party, as EUDI Wallets
require (HAIP 1.0 §5): --chain is its access certificate chain (PEM, leaf
first; a self-signed root at the end is dropped, since the anchor never
goes in x5c) and --key-file the leaf's P-256 private key (PEM or JWK, a
file only its owner may read: chmod 600). The key is copied into DIR. The
client id is x509_hash:<SHA-256 of the leaf>, or x509_san_dns:NAME with
--san-dns NAME, which the leaf must carry as a dNSName and which must be
the host of --url. --profile haip holds the verifier to HAIP: an X.509
client id, signed requests and direct_post.jwt answers only. See
docs/haip.md for a testing access certificate.`,
		Example: `  cairn verifier init --dir desk --name "en=Clinic desk,fr=Accueil clinique" --url https://desk.clinic.example
  cairn verifier init --dir dev-desk --name en=Test --url http://127.0.0.1:8092 --dev --json
  cairn verifier init --dir eu-desk --name en=Desk --url https://desk.example --profile haip --x509 --chain access.pem --key-file access.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(e) },
	}
	c.Flags().StringVar(&o.dir, "dir", "", "verifier directory to create")
	c.Flags().StringSliceVar(&o.names, "name", nil, "display name per language, LANG=NAME (en required)")
	c.Flags().StringVar(&o.url, "url", "", "public base URL wallets reach (request_uri and response_uri live under it)")
	c.Flags().BoolVar(&o.dev, "dev", false, "allow http:// URLs (local tests only)")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the DID and the registry commands as JSON")
	c.Flags().StringVar(&o.profile, "profile", "", `"haip": X.509 client id, signed requests, direct_post.jwt only`)
	c.Flags().BoolVar(&o.x509, "x509", false, "identify the verifier by an access certificate (--chain, --key-file)")
	c.Flags().StringVar(&o.chain, "chain", "", "access certificate chain, PEM, leaf first (with --x509)")
	c.Flags().StringVar(&o.keyFile, "key-file", "", "the leaf's P-256 private key, PEM or JWK, mode 0600 (with --x509)")
	c.Flags().StringVar(&o.sanDNS, "san-dns", "", "client id x509_san_dns:NAME instead of x509_hash (the leaf must carry NAME)")
	for _, f := range []string{"dir", "name", "url"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

func (o *verifierInitOptions) run(e *env) error {
	dir, urlFlag, dev, asJSON := o.dir, o.url, o.dev, o.asJSON
	nm := map[string]string{}
	for _, n := range o.names {
		l, v, ok := strings.Cut(n, "=")
		if !ok || l == "" || strings.TrimSpace(v) == "" {
			return usageError(fmt.Errorf("--name %q: want LANG=NAME", n))
		}
		nm[l] = v
	}
	ir := verifierdir.InitRequest{URL: urlFlag, Dev: dev, Names: nm, Profile: o.profile}
	switch {
	case o.profile != "" && o.profile != verifier.ProfileHAIP:
		return usageError(fmt.Errorf("--profile %q: the only profile is haip", o.profile))
	case !o.x509 && (o.chain != "" || o.keyFile != "" || o.sanDNS != ""):
		return usageError(errors.New("--chain, --key-file and --san-dns go with --x509"))
	case o.x509 && (o.chain == "" || o.keyFile == ""):
		return usageError(errors.New("--x509 needs --chain PEM and --key-file F"))
	case o.profile == verifier.ProfileHAIP && !o.x509:
		return usageError(errors.New("--profile haip needs --x509 --chain PEM --key-file F: HAIP wallets refuse decentralized_identifier client ids"))
	}
	if o.x509 {
		chain, err := os.ReadFile(o.chain)
		if err != nil {
			return err
		}
		k, err := verifierdir.ReadAccessKey(o.keyFile)
		if err != nil {
			return err
		}
		ir.X509 = &verifierdir.X509Identity{ChainPEM: chain, Key: k, SanDNS: o.sanDNS}
	}
	cfg, err := verifierdir.Init(dir, ir)
	if err != nil {
		if errors.Is(err, trustpkg.ErrNoEnglishName) || strings.Contains(err.Error(), "public URL") ||
			errors.Is(err, verifierdir.ErrAccessCertificate) || errors.Is(err, oid4vp.ErrInvalidClient) {
			return usageError(err)
		}
		return err
	}
	ps, err := verifier.DefaultPurposes()
	if err != nil {
		return err
	}
	var cmds []string
	var nameArg []string
	for _, l := range []string{"en", "fr", "ar", "uk"} {
		if v := nm[l]; v != "" {
			nameArg = append(nameArg, l+"="+v)
		}
	}
	cmds = append(cmds, fmt.Sprintf("cairn registry add --did %s --role verifier --name %q", cfg.DID, strings.Join(nameArg, ",")))
	for _, id := range ps.IDs() {
		cmds = append(cmds, fmt.Sprintf("cairn registry authorize --did %s --purpose %s --claims %s", cfg.DID, id, strings.Join(ps[id].Claims(), ",")))
	}
	if dev {
		fmt.Fprintln(e.stderr, "warning: dev mode: http:// URLs allowed; never use this for real verification")
	}
	if asJSON {
		out := map[string]any{"did": cfg.DID, "url": cfg.URL, "registry_commands": cmds}
		if cfg.ClientID != "" {
			out["client_id"], out["profile"] = cfg.ClientID, cfg.Profile
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		_, err := e.stdout.Write(append(b, '\n'))
		return err
	}
	fmt.Fprintln(e.stdout, cfg.DID)
	if cfg.ClientID != "" {
		fmt.Fprintln(e.stdout, "client id: "+cfg.ClientID)
	}
	fmt.Fprintln(e.stdout, "\nThe registry administrator registers this verifier and its purposes with:")
	for _, c := range cmds {
		fmt.Fprintln(e.stdout, "  "+c)
	}
	return nil
}

type verifierServeOptions struct {
	dir, addr, consoleAddr, registry string
	regKeys, trustedProxies          []string
	registryRefresh                  time.Duration
	metrics                          metricsFlags
	store                            storeFlags
}

func newVerifierServeCmd(e *env) *cobra.Command {
	o := &verifierServeOptions{}
	c := &cobra.Command{
		Use:   "serve --dir DIR --registry FILE --registry-key FILE... [--addr 127.0.0.1:8092]",
		Short: "Serve the OpenID4VP endpoints and the caseworker console API",
		Long: `Serve the verifier: wallets fetch request objects at /request/{id} (once)
and post their answers to /response/{id}; /healthz and /readyz. Put a
TLS-terminating proxy in front: the public URL is the one given to 'init'.

The caseworker console API (/console/…: purposes, sessions with their QR,
results, reviews, offline image checks) is served on the admin socket
DIR/admin.sock, which 'request' and 'result' use, and, with
--console-addr, on a separate listener: keep that on loopback or behind
the operator's authentication, since it creates sessions and shows results.

The registry (a signed snapshot or an offline bundle, checked against the
authority keys) decides which issuers are trusted for what; it is read
again on SIGHUP and every --registry-refresh. With a bundle, the console's
offline image check uses it. Sessions expire after 10 minutes; results are
sealed with DIR/results.key and deleted after their purpose's retention.

With a PostgreSQL store (--store postgres://USER@HOST/DB, or the whole URL
with its password in $CAIRN_STORE or a 0600 file named by --store-file)
sessions, sealed results and reviews live in the database's
cairn_verifier schema instead of DIR/verifier.db, and several instances
(each with a copy of DIR) serve one verifier: a session created on one is
answered on another.`,
		Example: `  cairn verifier serve --dir desk --registry registry.jws --registry-key authority.pub.jwk
  cairn verifier serve --dir desk --registry bundle.json --registry-key authority.pub.jwk --console-addr 127.0.0.1:8093`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), e) },
	}
	c.Flags().StringVar(&o.dir, "dir", "", "verifier directory")
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8092", "listen address of the wallet-facing API")
	c.Flags().StringVar(&o.consoleAddr, "console-addr", "", "also serve the console API on this address (default: admin socket only)")
	addRegistryFlags(c, &o.registry, &o.regKeys)
	c.Flags().DurationVar(&o.registryRefresh, "registry-refresh", 10*time.Minute, "how often to re-read --registry (0: only on SIGHUP)")
	c.Flags().StringArrayVar(&o.trustedProxies, "trusted-proxy", nil, "CIDR or address of a reverse proxy whose X-Forwarded-For is believed (repeatable)")
	addMetricsFlags(c, &o.metrics)
	addStoreFlags(c.Flags(), &o.store)
	_ = c.MarkFlagRequired("dir")
	_ = c.MarkFlagRequired("registry")
	return c
}

func (o *verifierServeOptions) run(ctx context.Context, e *env) error {
	log := newLogger(e.stderr)
	cfg, err := verifierdir.ReadConfig(o.dir)
	if err != nil {
		return usageError(err)
	}
	storeURL, err := o.store.resolve(e)
	if err != nil {
		return err
	}
	reg, bundle, err := loadRegistryFile(ctx, o.registry, o.regKeys, e.now())
	if err != nil {
		return err
	}
	proxies, err := server.ParseTrustedProxies(o.trustedProxies)
	if err != nil {
		return usageError(fmt.Errorf("--trusted-proxy: %w", err))
	}
	if o.registryRefresh < 0 {
		return usageError(errors.New("--registry-refresh must not be negative"))
	}
	metrics := server.NewRegistry()
	metricsLn, metricsOnPublic, err := o.metrics.setup(server.MetricsHandler(metrics))
	if err != nil {
		return err
	}
	fetcher := statuslist.NewFetcher(httpx.Options{AllowPrivate: cfg.Dev})
	svc, _, err := verifierdir.Open(o.dir, verifierdir.Options{Registry: reg, Resolver: &did.Resolver{AllowPrivate: cfg.Dev},
		FetchStatusList: fetcher.Fetch, Logger: log, Now: e.now, StoreURL: storeURL})
	if err != nil {
		return err
	}
	defer svc.Close()
	for _, pc := range svc.CheckPurposes() {
		if !pc.Authorized {
			log.Warn("the registry does not authorize this verifier for all a purpose asks; wallets will warn their holder or refuse", "purpose", pc.Purpose, "reason", pc.Reason, "claims", pc.Outside)
		}
	}
	// The bundle is replaced by the registry hook while handlers read it.
	var current atomic.Pointer[trustpkg.Bundle]
	current.Store(bundle)
	opts := api.Options{Now: e.now, Logger: log, Metrics: metrics, MetricsElsewhere: true, TrustedProxies: proxies,
		Bundle: current.Load}
	public, err := api.New(svc, opts)
	if err != nil {
		return err
	}
	if metricsOnPublic != nil {
		public.Handle("metrics", "/metrics", metricsOnPublic, server.NoStore())
	}
	console, err := api.NewConsole(svc, opts)
	if err != nil {
		return err
	}
	adminLn, err := verifierdir.ListenAdmin(o.dir)
	if err != nil {
		return err
	}
	listeners := []server.Listener{
		{Name: "public", Addr: o.addr, Handler: public},
		{Name: "admin", Listener: adminLn, Handler: console, Timeouts: server.Timeouts{Read: 30 * time.Second, Write: 2 * time.Minute}},
	}
	if o.consoleAddr != "" {
		listeners = append(listeners, server.Listener{Name: "console", Addr: o.consoleAddr, Handler: console, Timeouts: server.Timeouts{Write: 2 * time.Minute}})
	}
	if metricsLn != nil {
		listeners = append(listeners, *metricsLn)
	}
	hooks := []server.Hook{api.SweepHook(svc, log), public.RefusalLogHook(), api.RegistryHook(svc, log, o.registryRefresh, func(ctx context.Context) (*trustpkg.Registry, error) {
		r, b, err := loadRegistryFile(ctx, o.registry, o.regKeys, e.now())
		if err == nil && b != nil {
			current.Store(b)
		}
		return r, err
	})}
	err = server.Run(ctx, server.Config{Listeners: listeners, Hooks: hooks, Logger: log,
		Listening: func(a []net.Addr) {
			log.Info("verifier listening", "addr", a[0].String(), "url", cfg.URL, "did", svc.DID(), "admin_socket", a[1].String())
		}})
	if le := (*server.ListenError)(nil); errors.As(err, &le) {
		return le.Err
	}
	return err
}

// adminDo sends a console API request over dir's admin socket.
func adminDo(ctx context.Context, dir, method, path string, body any) (int, []byte, error) {
	cl, err := verifierdir.DialAdmin(dir)
	if err != nil {
		return 0, nil, err
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://verifier"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := httpx.ReadLimited(resp.Body, 4<<20)
	return resp.StatusCode, b, err
}

func consoleError(b []byte) error {
	var e server.ErrorBody
	if json.Unmarshal(b, &e) != nil || e.Code == "" {
		return errors.New("unexpected answer from the verifier server")
	}
	return fmt.Errorf("%s: %s", e.Code, e.Message)
}

// openVerifierDirect opens dir directly on the PostgreSQL store the
// flags of 'request' and 'result' name (no server needed); nil, nil when
// they name none (the running server's admin socket is used).
func openVerifierDirect(e *env, dir string, sf *storeFlags) (*verifier.Service, error) {
	u, err := sf.resolve(e)
	if err != nil || u == "" {
		return nil, err
	}
	svc, err := verifierdir.OpenDirect(dir, verifierdir.Options{StoreURL: u, Now: e.now, Logger: newLogger(io.Discard)})
	if errors.Is(err, verifierdir.ErrNotVerifierDir) {
		return nil, usageError(err)
	}
	return svc, err
}

func newVerifierRequestCmd(e *env) *cobra.Command {
	var dir, purpose, png, mode string
	var asJSON, post bool
	var sf storeFlags
	c := &cobra.Command{
		Use:   "request --dir DIR --purpose P [--png FILE] [--json] [--store postgres://…]",
		Short: "Create a presentation request for a purpose and show its QR code",
		Long: `Ask the running server (over DIR/admin.sock) for a new session for a
purpose: a fresh nonce and state, a signed request object served once at
its request_uri, and the openid4vp:// URI the migrant's wallet scans. The
QR code is drawn on stderr when it is a terminal; the session id goes to
stdout (give it to 'cairn verifier result').

When the trust registry does not let this verifier ask for everything the
purpose's query asks (claims beyond its registered purpose, or no
authorization for the purpose now), a WARNING on stderr says so: wallets
show the person the same warning, or refuse. The request is made all the
same; --json carries it as over_asking.

With a PostgreSQL store (--store postgres://USER@HOST/DB, or the whole URL
with its password in $CAIRN_STORE or a 0600 file named by --store-file)
the session is created directly in the database, from any machine holding
a copy of DIR: no server needs to run here, and any 'serve' instance on
the store answers the wallet.`,
		Example: `  cairn verifier request --dir desk --purpose clinic-access
  cairn verifier request --dir desk --purpose bank-account --png request.png --json
  CAIRN_STORE=postgres://cairn:…@db/cairn cairn verifier request --dir desk --purpose clinic-access`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := createVerifierRequest(cmd.Context(), e, dir, &sf, purpose, mode, post)
			if err != nil {
				return err
			}
			if png != "" {
				img, err := qr.Encode(out.URI, qr.LevelMedium)
				if err != nil {
					return err
				}
				if err := os.WriteFile(png, img, 0o600); err != nil {
					return err
				}
			}
			if asJSON {
				printOverAsking(e.stderr, out.OverAsking)
				j, _ := json.MarshalIndent(out, "", "  ")
				_, err := e.stdout.Write(append(j, '\n'))
				return err
			}
			if writerIsTerminal(e.stderr) {
				opts := qr.TerminalOptions{}
				if e.getenv != nil && e.getenv("NO_COLOR") != "" {
					opts.Plain, opts.Invert = true, true
				}
				if err := qr.TerminalWith(e.stderr, out.URI, opts); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.stderr, "request URI: %s\nexpires: %s\n", out.URI, out.ExpiresAt.UTC().Format(time.RFC3339))
			printOverAsking(e.stderr, out.OverAsking)
			fmt.Fprintln(e.stdout, out.SessionID)
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "verifier directory (of the running server, or a copy of it with --store)")
	c.Flags().StringVar(&purpose, "purpose", "", "purpose id (clinic-access, school-enrolment, cash-assistance, bank-account, language-check, or one of DIR/purposes)")
	c.Flags().StringVar(&png, "png", "", "also write the QR code as a PNG file")
	c.Flags().StringVar(&mode, "response-mode", "", "direct_post.jwt (default) or direct_post")
	c.Flags().BoolVar(&post, "post", false, "ask the wallet to POST to the request_uri with a wallet_nonce")
	c.Flags().BoolVar(&asJSON, "json", false, "print the session as JSON")
	addStoreFlags(c.Flags(), &sf)
	_ = c.MarkFlagRequired("dir")
	_ = c.MarkFlagRequired("purpose")
	return c
}

// createVerifierRequest creates a session directly on the PostgreSQL
// store of the flags, or through the running server's admin socket.
func createVerifierRequest(ctx context.Context, e *env, dir string, sf *storeFlags, purpose, mode string, post bool) (*verifier.Request, error) {
	svc, err := openVerifierDirect(e, dir, sf)
	if err != nil {
		return nil, err
	}
	if svc != nil {
		defer svc.Close()
		out, err := verifierdir.CreateRequest(ctx, svc, purpose, verifier.CreateOptions{ResponseMode: mode, PostRequestURI: post}, "en")
		if c := verifier.CodeOfError(err); c != "" {
			err = fmt.Errorf("%s: %s", c, verifier.Message(c, "en"))
			if c == verifier.CodeUnknownPurpose {
				return nil, usageError(err)
			}
		}
		return out, err
	}
	req := api.CreateSessionRequest{Purpose: purpose, ResponseMode: mode}
	if post {
		req.RequestURIMethod = "post"
	}
	st, b, err := adminDo(ctx, dir, http.MethodPost, "/console/sessions", req)
	if err != nil {
		return nil, err
	}
	if st != http.StatusCreated {
		err := consoleError(b)
		if strings.HasPrefix(err.Error(), string(verifier.CodeUnknownPurpose)) {
			return nil, usageError(err)
		}
		return nil, err
	}
	var out api.CreateSessionResponse
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return &out.Request, nil
}

func newVerifierResultCmd(e *env) *cobra.Command {
	var dir, lang string
	var wait time.Duration
	var asJSON, verbose bool
	var sf storeFlags
	c := &cobra.Command{
		Use:   "result SESSION --dir DIR [--wait 60s] [--json] [--lang en|fr|ar|uk] [--verbose] [--store postgres://…]",
		Short: "Show a session's verification result",
		Long: `Show the result of a session: the outcome at a glance, each credential
(issuer, type, status, the claims kept), the identity findings, and the
caseworker's reviewed decision beside the automated one. Registry names
come before identifiers, which are shortened unless --verbose. When the
desk's own request asked for more than the registry authorizes for its
purpose, an OVER-ASKING line says which claims. --wait waits for the
wallet's answer (at most 60s per call). The exit code says the outcome
(see 'cairn verifier --help').

With a PostgreSQL store (--store, --store-file or $CAIRN_STORE) the result
is read directly from the database (and opened with DIR/results.key),
from any machine holding a copy of DIR, whichever instance received the
wallet's answer; otherwise through the running server's admin socket.`,
		Example: `  cairn verifier result --dir desk 3q2-xY… --wait 60s
  cairn verifier result --dir desk 3q2-xY… --json --lang fr
  cairn verifier result --dir desk 3q2-xY… --verbose
  cairn verifier result --dir desk --store-file store.url 3q2-xY…`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := openVerifierDirect(e, dir, &sf)
			if err != nil {
				return err
			}
			if svc != nil {
				defer svc.Close()
				r, err := verifierdir.ReadResult(cmd.Context(), svc, args[0], wait, lang)
				if errors.Is(err, verifierdir.ErrNoResult) {
					return withExit(ExitNoResult, err)
				}
				if err != nil {
					return err
				}
				js, err := json.Marshal(r)
				if err != nil {
					return err
				}
				return reportResult(e.stdout, r, asJSON, verbose, js)
			}
			q := url.Values{"lang": {lang}}
			if wait > 0 {
				q.Set("wait", wait.String())
			}
			st, b, err := adminDo(cmd.Context(), dir, http.MethodGet, "/console/sessions/"+url.PathEscape(args[0])+"/result?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			switch st {
			case http.StatusOK:
			case http.StatusAccepted, http.StatusGone, http.StatusNotFound:
				return withExit(ExitNoResult, consoleError(b))
			default:
				return consoleError(b)
			}
			var r verifier.Result
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			return reportResult(e.stdout, &r, asJSON, verbose, b)
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "verifier directory (of the running server, or a copy of it with --store)")
	c.Flags().BoolVar(&verbose, "verbose", false, "show identifiers (DIDs) in full instead of a short form")
	c.Flags().DurationVar(&wait, "wait", 0, "wait this long for the answer (at most 60s)")
	c.Flags().StringVar(&lang, "lang", "en", "language of the messages: en, fr, ar or uk")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	addStoreFlags(c.Flags(), &sf)
	_ = c.MarkFlagRequired("dir")
	return c
}

// reportResult prints r, as js (its JSON form) with --json or else as
// text (identifiers in full when verbose), and returns the exit its code
// asks for (already reported).
func reportResult(w io.Writer, r *verifier.Result, asJSON, verbose bool, js []byte) error {
	var err error
	if asJSON {
		_, err = w.Write(append(js, '\n'))
	} else {
		err = printResult(w, r, verifyPrint{verbose: verbose})
	}
	if err != nil {
		return err
	}
	if c := exitOfResult(r.Code); c != ExitOK {
		return reportedExit(c, errors.New(string(r.Code)))
	}
	return nil
}

// printOverAsking warns, on w, that the desk's request asks for more
// than the registry authorizes (nothing when o is nil).
func printOverAsking(w io.Writer, o *verifier.OverAsking) {
	if o == nil {
		return
	}
	fmt.Fprintf(w, "WARNING: %s (%s", o.Message, o.Reason)
	if len(o.Claims) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(o.Claims, ", "))
	}
	fmt.Fprintln(w, ")")
}

// printResult prints r as text: registry names before identifiers, which
// p shortens unless verbose (as 'credential verify' does).
func printResult(w io.Writer, r *verifier.Result, p verifyPrint) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "outcome:\t%s (%s)\n", strings.ToUpper(r.Outcome), r.Code)
	fmt.Fprintf(tw, "\t%s\n", r.Message)
	if o := r.OverAsking; o != nil {
		fmt.Fprintf(tw, "OVER-ASKING:\t%s\n", o.Message)
		if len(o.Claims) > 0 {
			fmt.Fprintf(tw, "\tbeyond the purpose %s: %s\n", r.Purpose, strings.Join(o.Claims, ", "))
		} else {
			fmt.Fprintf(tw, "\tpurpose %s: %s\n", r.Purpose, o.Reason)
		}
	}
	if r.BundleAge != "" {
		stale := ""
		if r.StaleAccepted {
			stale = " — PAST ITS EXPIRY, accepted with --accept-stale"
		}
		fmt.Fprintf(tw, "bundle:\tcreated %s, %s old%s\n", r.BundleCreated.UTC().Format(time.RFC3339), r.BundleAge, stale)
	}
	if r.ChallengeChecked != nil && !*r.ChallengeChecked {
		fmt.Fprintf(tw, "challenge:\tNOT CHECKED (no --challenge given)\n")
	}
	for _, c := range r.Credentials {
		fmt.Fprintf(tw, "credential %s/%d:\t%s (%s)\n", c.QueryID, c.Index, c.Outcome, c.Code)
		if c.Code != verifier.CodeValid {
			fmt.Fprintf(tw, "\t%s\n", c.Message)
		}
		if c.Issuer != "" {
			name := c.IssuerName
			if name == "" {
				name = "(not in the registry)"
			}
			fmt.Fprintf(tw, "  issuer:\t%s\n", p.party(name, c.Issuer))
		}
		if c.VCT != "" {
			fmt.Fprintf(tw, "  type:\t%s issued %s\n", c.VCT, c.IssuedAt.UTC().Format(time.DateOnly))
		}
		if c.Status != "" {
			fmt.Fprintf(tw, "  status:\t%s (from %s)\n", c.Status, c.StatusFrom)
		}
		if c.Evidence != nil {
			fmt.Fprintf(tw, "  evidence:\tstrength %d, validity %d, verification %d\n", c.Evidence.Strength, c.Evidence.Validity, c.Evidence.Verification)
		}
		for k, v := range c.Claims {
			fmt.Fprintf(tw, "  %s:\t%v\n", k, v)
		}
	}
	if r.DroppedClaims > 0 {
		fmt.Fprintf(tw, "dropped:\t%d claim(s) disclosed beyond the request, not kept\n", r.DroppedClaims)
	}
	for _, f := range r.Findings {
		fmt.Fprintf(tw, "disagreement:\t%s differs between %s and %s\n", f.Field, f.A, f.B)
	}
	if r.AssuranceNote != "" {
		fmt.Fprintf(tw, "assurance:\t%s\n", r.AssuranceNote)
	}
	var a struct {
		Policy  string `json:"policy"`
		EIDAS   string `json:"eidas"`
		Summary string `json:"summary"`
	}
	if len(r.Assurance) > 0 && json.Unmarshal(r.Assurance, &a) == nil {
		if r.AssuranceProvisional {
			// Only a status could not be checked: what the credentials
			// meet if it is confirmed, in the result's language.
			fmt.Fprintf(tw, "PROVISIONAL:\t%s\n", r.AssuranceProvisionalNote)
		}
		fmt.Fprintf(tw, "assurance:\t%s (policy %s", a.Summary, a.Policy)
		if a.EIDAS != "" {
			fmt.Fprintf(tw, "; eIDAS advice: %s", a.EIDAS)
		}
		fmt.Fprintln(tw, ")")
	}
	if r.Review != nil {
		fmt.Fprintf(tw, "review:\t%s by %s at %s: %s\n", r.Review.Decision, r.Review.Caseworker, r.Review.At.UTC().Format(time.RFC3339), r.Review.Reason)
	}
	return tw.Flush()
}

func newVerifierCheckCmd(e *env) *cobra.Command {
	var bundlePath, challenge, qrPath, purpose, lang string
	var regKeys []string
	var acceptStale, asJSON, verbose bool
	c := &cobra.Command{
		Use:   "check --bundle FILE --registry-key FILE... [--challenge C] (--qr IMAGE | FILE)",
		Short: "Verify an offline proximity presentation with no network",
		Long: `Verify a proximity presentation (the wallet's QR code, as a PNG with
--qr, or its text in FILE, '-' for stdin) against an offline bundle
(registry snapshot and status lists from 'cairn registry bundle'), with
no network at all: no HTTP client exists on this path, status lists come
only from the bundle and did:web issuers cannot be resolved.

The bundle's age is always shown. A bundle past its expiry is refused
(exit 13) unless --accept-stale is given; the result then says so.
--challenge is what the caseworker's screen showed: the presentation must
be bound to it (without it, freshness is not checked, and the result says
so).`,
		Example: `  cairn verifier check --bundle bundle.json --registry-key authority.pub.jwk --challenge K7P2 --qr scan.png
  cairn verifier check --bundle old.json --registry-key authority.pub.jwk --accept-stale presentation.txt --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (qrPath == "") == (len(args) == 0) {
				return usageError(errors.New("give exactly one of --qr IMAGE or FILE"))
			}
			var text string
			if qrPath != "" {
				img, err := bounded.ReadFile(qrPath, qr.MaxPNGSize)
				if err != nil {
					return usageError(err)
				}
				if text, err = qr.Decode(img); err != nil {
					return withExit(ExitInvalid, fmt.Errorf("%s: %s", verifier.CodeNoQR, verifier.Message(verifier.CodeNoQR, lang)))
				}
			} else {
				var b []byte
				var err error
				if args[0] == "-" {
					b, err = httpx.ReadLimited(e.stdin, verifier.MaxProximityLen+1)
				} else {
					b, err = bounded.ReadFile(args[0], verifier.MaxProximityLen+1)
				}
				if err != nil {
					return usageError(err)
				}
				text = string(b)
			}
			pinned, err := loadPublicJWKs("--registry-key", regKeys)
			if err != nil {
				return err
			}
			if len(pinned) == 0 {
				return usageError(errors.New("--registry-key is required: the authority's public JWK you pinned"))
			}
			raw, err := bounded.ReadFile(bundlePath, trustpkg.MaxBundleLen)
			if err != nil {
				return usageError(fmt.Errorf("--bundle: %w", err))
			}
			now := e.now()
			b, stale, err := verifier.LoadOfflineBundle(cmd.Context(), raw, pinned, now, acceptStale)
			switch {
			case errors.Is(err, verifier.ErrBundleStale):
				return withExit(ExitStaleBundle, fmt.Errorf("%w; %s", err, verifier.Message(verifier.CodeBundleStale, lang)))
			case err != nil:
				return withExit(ExitUntrusted, fmt.Errorf("--bundle: %w", err))
			}
			var p *verifier.Purpose
			if purpose != "" {
				ps, err := verifier.DefaultPurposes()
				if err != nil {
					return err
				}
				if p = ps[purpose]; p == nil {
					return usageError(fmt.Errorf("--purpose %q: known purposes are %v", purpose, ps.IDs()))
				}
			}
			r := verifier.CheckProximity(cmd.Context(), text, verifier.ProximityOptions{Bundle: b, Challenge: challenge, Purpose: p, Now: e.now, Stale: stale})
			r.Localize(lang)
			var j []byte
			if asJSON {
				j, _ = json.MarshalIndent(r, "", "  ")
			}
			return reportResult(e.stdout, r, asJSON, verbose, j)
		},
	}
	c.Flags().StringVar(&bundlePath, "bundle", "", "offline bundle file (from 'cairn registry bundle')")
	c.Flags().StringArrayVar(&regKeys, "registry-key", nil, "pinned registry authority public JWK file (repeatable)")
	c.Flags().StringVar(&challenge, "challenge", "", "the challenge the caseworker's screen showed")
	c.Flags().StringVar(&qrPath, "qr", "", "PNG image of the wallet's QR code")
	c.Flags().StringVar(&purpose, "purpose", "", "purpose whose query the presentation must answer")
	c.Flags().BoolVar(&acceptStale, "accept-stale", false, "use a bundle past its expiry (shown in the result)")
	c.Flags().StringVar(&lang, "lang", "en", "language of the messages: en, fr, ar or uk")
	c.Flags().BoolVar(&verbose, "verbose", false, "show identifiers (DIDs) in full instead of a short form")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	_ = c.MarkFlagRequired("bundle")
	return c
}
