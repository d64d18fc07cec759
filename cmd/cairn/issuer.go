package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/server"
	trustpkg "github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/api"
	"github.com/cairn-id/cairn/issuer/issuerdir"
	"github.com/cairn-id/cairn/schemas"
)

func newIssuerCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "issuer",
		Short: "Run an OpenID4VCI credential issuer: init, serve, offer, revoke, list, jpt",
		Long: `An issuer directory holds the issuer's signing key (issuer.jwk, 0600), the
key that hashes codes and tokens (hash.key, 0600), its configuration
(issuer.json) and its store (issuer.db). 'serve' runs the OpenID4VCI 1.0
endpoints; 'offer' creates credential offers shown as QR codes.

While 'serve' runs, 'offer', 'revoke', 'suspend', 'reinstate', 'list',
'offers' and 'cancel' on the same directory go through the server's admin socket (admin.sock,
0600 in the 0700 directory: only the user running 'serve' can use it);
otherwise they open the store (a single bbolt file) directly.

With a PostgreSQL store (--store postgres://USER@HOST/DB, or the whole URL
with its password in $CAIRN_STORE or a 0600 file named by --store-file)
the tables live in the database's cairn_issuer schema instead of issuer.db:
several 'serve' instances share it, and the operator commands work on it
directly from any machine holding a copy of the directory (no admin
socket). The directory still holds the configuration and the keys.`,
	}
	sf := &storeFlags{}
	addStoreFlags(c.PersistentFlags(), sf)
	ie := *e
	ie.store = sf
	e = &ie
	c.AddCommand(newIssuerInitCmd(e), newIssuerServeCmd(e), newIssuerOfferCmd(e),
		newIssuerStatusCmd(e, "revoke", "Revoke a credential for good", issuer.StateRevoked),
		newIssuerStatusCmd(e, "suspend", "Suspend a credential (reinstate undoes it)", issuer.StateSuspended),
		newIssuerStatusCmd(e, "reinstate", "Make a suspended credential valid again", issuer.StateValid),
		newIssuerListCmd(e), newIssuerOfferBatchCmd(e), newIssuerOffersCmd(e), newIssuerCancelCmd(e), newIssuerJPTCmd(e))
	return c
}

type issuerInitOptions struct {
	dir    string
	names  []string
	url    string
	types  []string
	dev    bool
	alg    string
	asJSON bool
	bbs    bool     // also create the BBS key of the jpt format
	jpt    []string // types offered as jpt from the start
}

func newIssuerInitCmd(e *env) *cobra.Command {
	o := &issuerInitOptions{}
	c := &cobra.Command{
		Use:   "init --dir DIR --name en=NAME[,fr=NAME] --url https://… --type VCT…",
		Short: "Create an issuer directory: key (did:jwk), hash key, configuration",
		Long: `Create DIR with a new signing key, a hash key and issuer.json, and print the
issuer's did:jwk. Nothing existing is overwritten.

--url is the public base URL (the Credential Issuer Identifier): https and
an origin without path. --dev also allows http:// and loopback addresses,
for local tests only.

--bbs also creates a BBS key (issuer-bbs.jwk, 0600) for the experimental
unlinkable format jpt, and --jpt TYPE offers TYPE in that format as well
(implies --bbs; SD-JWT VC stays on for every type). The BBS key's did:jwk
is printed on stderr: the registry lists it as a further key of the issuer
('cairn registry add-key'). 'cairn issuer jpt' enables types later.`,
		Example: `  cairn issuer init --dir ngo --name en="Relief NGO",fr="ONG de secours" \
      --url https://issuer.relief.example --type urn:cairn:vct:humanitarian-registration:1
  cairn issuer init --dir ngo --name en="Relief NGO" --url https://issuer.relief.example \
      --type humanitarian-registration --jpt humanitarian-registration
  cairn issuer init --dir dev-issuer --name en=Test --url http://127.0.0.1:8081 --dev \
      --type urn:cairn:vct:language-skills:1 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(e) },
	}
	c.Flags().StringVar(&o.dir, "dir", "", "issuer directory to create")
	c.Flags().StringSliceVar(&o.names, "name", nil, "display name per language, LANG=NAME (en required)")
	c.Flags().StringVar(&o.url, "url", "", "public base URL of the issuer")
	c.Flags().StringSliceVar(&o.types, "type", nil, "credential type to offer (full vct or short name); repeatable")
	c.Flags().BoolVar(&o.dev, "dev", false, "allow http:// and loopback URLs (local tests only)")
	c.Flags().StringVar(&o.alg, "alg", string(keys.DefaultAlg), "signing algorithm: ES256, ES384 or EdDSA")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the configuration as JSON")
	c.Flags().BoolVar(&o.bbs, "bbs", false, "also create a BBS key for the experimental jpt format")
	c.Flags().StringSliceVar(&o.jpt, "jpt", nil, "type (of --type) also offered in the experimental jpt format; repeatable; implies --bbs")
	for _, f := range []string{"dir", "name", "url", "type"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

func (o *issuerInitOptions) run(e *env) error {
	names := map[string]string{}
	for _, n := range o.names {
		lang, name, ok := strings.Cut(n, "=")
		if !ok || lang == "" || strings.TrimSpace(name) == "" {
			return usageError(fmt.Errorf("--name %q: want LANG=NAME", n))
		}
		names[lang] = name
	}
	if err := trustpkg.CheckDisplayNames(names); err != nil {
		return usageError(fmt.Errorf("--name: %w", err))
	}
	alg, err := parseAlg(o.alg)
	if err != nil {
		return usageError(err)
	}
	cat, err := schemas.Load()
	if err != nil {
		return err
	}
	for i := range o.types {
		resolveTypeRefs(cat, &o.types[i])
	}
	for i := range o.jpt {
		resolveTypeRefs(cat, &o.jpt[i])
	}
	cfg, err := issuerdir.Init(o.dir, issuerdir.InitRequest{URL: o.url, Dev: o.dev, Names: names, Types: o.types, Alg: alg, BBS: o.bbs, JPT: o.jpt})
	var bad *issuerdir.InitError
	switch {
	case errors.As(err, &bad) && bad.Field == "types":
		return usageError(fmt.Errorf("--type: %w (see 'cairn schemas list')", bad.Err))
	case errors.As(err, &bad) && bad.Field == "jpt":
		return usageError(fmt.Errorf("--jpt: %w (give it with --type too)", bad.Err))
	case errors.As(err, &bad):
		return usageError(bad.Err)
	case err != nil:
		return err
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if o.dev {
		fmt.Fprintln(e.stderr, "warning: dev mode: http:// and loopback URLs allowed; never use this for real issuance")
	}
	if cfg.BBSKey != "" {
		printBBSNotice(e, cfg)
	}
	if o.asJSON {
		_, err = e.stdout.Write(append(b, '\n'))
		return err
	}
	fmt.Fprintln(e.stdout, cfg.DID)
	return nil
}

// printBBSNotice tells the operator what to do with the BBS key.
func printBBSNotice(e *env, cfg *issuer.DirConfig) {
	fmt.Fprintf(e.stderr, "BBS key for jpt credentials: %s\n", cfg.BBSKey)
	fmt.Fprintf(e.stderr, "ask the registry authority to list it as a key of this issuer:\n  cairn registry add-key --did %s --bbs-key %s\n", cfg.DID, cfg.BBSKey)
	if len(cfg.JPT) > 0 {
		fmt.Fprintf(e.stderr, "offered as jpt (beside SD-JWT VC): %s\n", strings.Join(cfg.JPT, ", "))
	}
}

// writeNew writes a 0600 file that must not exist yet.
func writeNew(path string, b []byte) error {
	err := fsx.WriteNew(path, b, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", path, keys.ErrExists)
	}
	return err
}

// openAdmin opens dir for an operator command: through the admin socket
// of a running 'serve', or the store directly. reg, when set, refuses
// offers the trust registry does not allow.
func openAdmin(ctx context.Context, e *env, dir string, reg *trustpkg.Registry) (issuer.Admin, error) {
	opts := []issuer.AdminOption{issuer.WithClock(e.now)}
	if reg != nil {
		opts = append(opts, issuer.WithRegistry(reg))
	}
	storeURL, err := e.storeURL()
	if err != nil {
		return nil, err
	}
	adm, err := issuerdir.OpenAdminStore(ctx, dir, storeURL, opts...)
	if err != nil {
		return nil, issuerDirError(err)
	}
	return adm, nil
}

func issuerDirError(err error) error {
	if errors.Is(err, issuer.ErrNotIssuerDir) {
		return usageError(err)
	}
	return err
}

type issuerServeOptions struct {
	dir             string
	addr            string
	registry        string
	regKeys         []string
	registryRefresh time.Duration
	limits          clientLimitFlags
	metrics         metricsFlags
}

func newIssuerServeCmd(e *env) *cobra.Command {
	o := &issuerServeOptions{}
	c := &cobra.Command{
		Use:   "serve --dir DIR [--addr 127.0.0.1:8081] [--registry FILE --registry-key FILE...]",
		Short: "Serve the OpenID4VCI endpoints, status lists, health and metrics",
		Long: `Serve the issuer over HTTP: metadata under /.well-known/, /offers/{id},
/token, /nonce, /credential, /notification, /status/{list}, /healthz
and /readyz. Put a TLS-terminating proxy in front: the public URL
is the one given to 'init'. Logs are JSON lines unless stderr is a
terminal. Expired offers (with their claims), nonces and tokens are swept
every minute. SIGINT/SIGTERM shut down gracefully.

While it runs, the admin socket DIR/admin.sock lets 'offer', 'revoke',
'suspend', 'reinstate', 'list' and 'offer-batch' work on the same
directory. The socket is created 0600 and DIR must be 0700: whoever can
write to the socket can make offers and revoke credentials, so only the
user running 'serve' may. It is never reachable over the network; it is
removed on shutdown, and a socket left by a crash is replaced.

With --registry (a signed snapshot or an offline bundle, checked against
the authority keys given with --registry-key) every offer must be for a
type the registry authorizes this issuer for, with evidence within its
caps (exit 8 for 'offer' otherwise). The file is read again, and verified
again, on SIGHUP and every --registry-refresh: a newer version replaces
the one in use; one that does not verify, is expired, or is older than
the one in use (a rollback) is refused with a warning in the log and the
previous one stays. Once the snapshot in use expires, every offer is
refused until a fresh one is loaded.

/offers/{id}, /token and /nonce are rate-limited per client address (429
with Retry-After). Where many phones share one address (camp Wi-Fi behind
one NAT), raise --client-rate. Behind a reverse proxy, name it with
--trusted-proxy: only then is its X-Forwarded-For believed.

/metrics (Prometheus) is not served unless asked for: on a separate
listener with --metrics-addr (keep it on loopback or a private network),
and/or behind a bearer token with --metrics-token-file.`,
		Example: `  cairn issuer serve --dir ngo --addr 127.0.0.1:8081 --metrics-addr 127.0.0.1:9465
  cairn issuer serve --dir ngo --registry registry.jws --registry-key authority.pub.jwk --registry-refresh 5m
  cairn issuer serve --dir ngo --trusted-proxy 10.0.0.0/8`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), e) },
	}
	c.Flags().StringVar(&o.dir, "dir", "", "issuer directory")
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8081", "listen address")
	addRegistryFlags(c, &o.registry, &o.regKeys)
	c.Flags().DurationVar(&o.registryRefresh, "registry-refresh", 10*time.Minute, "how often to re-read --registry (0: only on SIGHUP)")
	addClientLimitFlags(c, &o.limits, "token and nonce requests per minute per client address (offer fetches: twice); 0 turns the limit off",
		api.DefaultNonceTokenPerMinute, api.DefaultNonceTokenBurst)
	addMetricsFlags(c, &o.metrics)
	_ = c.MarkFlagRequired("dir")
	return c
}

// addRegistryFlags adds --registry and --registry-key.
func addRegistryFlags(c *cobra.Command, registry *string, regKeys *[]string) {
	c.Flags().StringVar(registry, "registry", "", "trust registry snapshot or offline bundle: refuse offers it does not allow")
	c.Flags().StringArrayVar(regKeys, "registry-key", nil, "pinned registry authority public JWK file (repeatable; required with --registry)")
}

// issuerRegistry loads --registry, verified with --registry-key (nil
// without --registry).
func issuerRegistry(ctx context.Context, e *env, path string, keyFiles []string) (*trustpkg.Registry, error) {
	if path == "" {
		if len(keyFiles) > 0 {
			return nil, usageError(errors.New("--registry-key needs --registry"))
		}
		return nil, nil
	}
	reg, _, err := loadRegistryFile(ctx, path, keyFiles, e.now())
	return reg, err
}

func newLogger(w io.Writer) *slog.Logger {
	if writerIsTerminal(w) {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

func (o *issuerServeOptions) run(ctx context.Context, e *env) error {
	log := newLogger(e.stderr)
	reg, err := issuerRegistry(ctx, e, o.registry, o.regKeys)
	if err != nil {
		return err
	}
	cfg, err := issuerdir.ReadConfig(o.dir)
	if err != nil {
		return issuerDirError(err)
	}
	storeURL, err := e.storeURL()
	if err != nil {
		return err
	}
	if o.registryRefresh < 0 {
		return usageError(errors.New("--registry-refresh must not be negative"))
	}
	proxies, limit, err := o.limits.parse()
	if err != nil {
		return err
	}
	// /metrics is off the public listener unless --metrics-token-file
	// alone asks for it there, behind the token.
	metrics := server.NewRegistry()
	metricsLn, metricsOnPublic, err := o.metrics.setup(server.MetricsHandler(metrics))
	if err != nil {
		return err
	}
	cat, err := schemas.Load()
	if err == nil {
		err = cat.Compile() // a broken catalogue stops start-up, not the first offer
	}
	if err != nil {
		return err
	}
	opts := []issuer.AdminOption{issuer.WithClock(e.now), issuer.WithLogger(log), issuer.WithCatalogue(cat)}
	if reg != nil {
		opts = append(opts, issuer.WithRegistry(reg))
	}
	svc, err := issuerdir.OpenStore(ctx, o.dir, storeURL, opts...)
	if err != nil {
		return issuerDirError(err)
	}
	defer svc.Close()
	apiOpts := api.Options{Now: e.now, Logger: log, Metrics: metrics, MetricsElsewhere: true, TrustedProxies: proxies}
	apiOpts.ClientRate(limit)
	public, err := api.New(svc, apiOpts)
	if err != nil {
		return err
	}
	if metricsOnPublic != nil {
		public.Handle("metrics", "/metrics", metricsOnPublic, server.NoStore())
	}
	if cfg.Dev {
		log.Warn("dev mode: http:// and loopback URLs allowed; never use this for real issuance")
	}
	if reg != nil {
		log.Info("trust registry loaded", "registry", reg.ID, "version", reg.Version)
	}
	adminLn, err := issuer.ListenAdmin(o.dir)
	if err != nil {
		return err
	}
	hooks := []server.Hook{api.SweepHook(svc, log), public.RefusalLogHook()}
	if reg != nil { // registry reloads: on SIGHUP and every --registry-refresh
		hooks = append(hooks, api.RegistryHook(svc, log, o.registry, o.registryRefresh, func(ctx context.Context, now time.Time) (*trustpkg.Registry, error) {
			r, _, err := loadRegistryFile(ctx, o.registry, o.regKeys, now)
			return r, err
		}))
	}
	// Run closes the admin listener on shutdown, which removes the socket.
	listeners := []server.Listener{
		{Name: "public", Addr: o.addr, Handler: public},
		{Name: "admin", Listener: adminLn, Handler: api.NewAdmin(svc, log), Timeouts: server.Timeouts{Read: 30 * time.Second, Write: 2 * time.Minute}},
	}
	if metricsLn != nil {
		listeners = append(listeners, *metricsLn)
	}
	err = server.Run(ctx, server.Config{
		Listeners: listeners,
		Hooks:     hooks,
		Logger:    log,
		Listening: func(a []net.Addr) {
			log.Info("issuer listening", "addr", a[0].String(), "url", svc.URL(), "did", svc.DID(), "admin_socket", a[1].String())
			if len(a) > 2 {
				log.Info("metrics listening", "url", "http://"+a[2].String()+"/metrics")
			}
		},
	})
	if le := (*server.ListenError)(nil); errors.As(err, &le) {
		return le.Err
	}
	return err
}

type issuerOfferOptions struct {
	dir, vct, claims, png, reference string
	txCode, asJSON, noPNG            bool
	prompt                           bool   // ask for the claims (issuer_prompt.go)
	lang                             string // of the labels --prompt shows
	evidence                         string // evidence preset of the type (issuer_prompt.go)
	ttl                              time.Duration
	registry                         string
	regKeys                          []string
	format                           string // dc+sd-jwt or jpt
}

func newIssuerOfferCmd(e *env) *cobra.Command {
	o := &issuerOfferOptions{}
	c := &cobra.Command{
		Use:   "offer --dir DIR --type VCT (--claims FILE.json | --prompt [--lang LANG]) [--tx-code] [--png FILE | --no-png]",
		Short: "Create a credential offer: URI on stdout, transaction code and QR on stderr",
		Long: `Validate the claims in FILE.json against the credential type, store the
offer and print its openid-credential-offer:// URI on stdout. The QR code
and, with --tx-code, the transaction code to tell the holder go to
stderr (the code is never stored in clear), and the QR is written as a
PNG (offer-<handle>.png in the current directory unless --png names another
file; mode 0600, since it is a secret until the holder uses it; --no-png
skips it). Evidence scores are the type's
defaults. The claims are deleted once the credential is issued or the
offer expires.

While 'cairn issuer serve' runs on DIR, the offer is made through its
admin socket; otherwise directly in the store.

With --registry (snapshot or bundle, verified with --registry-key) the
offer is refused unless the registry authorizes this issuer for the type
with caps that the evidence scores stay within.

With --prompt, instead of a file, each claim of the type is asked for on
stderr (required ones first, marked *; Enter skips an optional one),
with its label in --lang (en, fr, ar, uk), and the answers are read line
by line from stdin: dates as YYYY-MM-DD, yes/no (oui/non, نعم/لا, так/ні),
lists separated by ';', choices by number or value, the members of a
nested claim one by one. The answers are then checked against the type;
the ones that do not fit are asked again (their claim paths are shown,
not the values). A summary follows, and the offer is created only once
the operator answers y. Nothing typed is written to a file or a log.

With --format jpt the offer is for the type's experimental jpt
configuration (enabled with 'cairn issuer jpt' or 'init --jpt'): a bearer
credential with no holder binding and no status entry, valid 30 days from
the start of the day of issuance; it cannot be revoked, only left to
expire. The default, dc+sd-jwt, is the SD-JWT VC.

Exit codes: 2 for an unknown type or unreadable file, or a --format the
type is not offered in (and for --prompt when the input ends before the
confirmation), 3 when the claims do not
match the type (the failing claim paths are listed, not values), 8 when
the registry (or the type) does not allow the offer, 4 when the registry
file does not verify; 1 when the offer is not confirmed at the prompt.`,
		Example: `  cairn issuer offer --dir ngo --type urn:cairn:vct:humanitarian-registration:1 --claims amina.json --tx-code
  cairn issuer offer --dir ngo --type language-skills --claims c.json --png offer.png --reference Q-17 --json
  cairn issuer offer --dir ngo --type humanitarian-registration --prompt --tx-code --reference Q-18
  cairn issuer offer --dir ngo --type humanitarian-registration --prompt --lang fr --evidence declared-only --reference Q-19
  cairn issuer offer --dir ngo --type humanitarian-registration --claims amina.json --format jpt

  A --prompt session (answers after the colons):
    Humanitarian registration (urn:cairn:vct:humanitarian-registration:1)
    Fields marked * are required; press Enter to skip the others.
    Registration number *: REG-2025-0042
    Date of registration * [YYYY-MM-DD]: 2025-03-02
    Place of registration › Country [code such as AD, AE, AF]: LB
    Place of registration › Region: Bekaa
    Place of registration › Town or city:
    Place of registration › Site or camp:
    Family name: Haddad
    Given names: Amina
    Date of birth [YYYY-MM-DD, or YYYY-MM or YYYY if not known]: 1991
    People in the household [whole number]: 4
    Case or group number:

    The credential will say:
      Registration number: REG-2025-0042
      …
    Create the offer? [y/N]: y`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), e) },
	}
	c.Flags().StringVar(&o.dir, "dir", "", "issuer directory")
	c.Flags().StringVar(&o.vct, "type", "", "credential type (full vct or short name)")
	c.Flags().StringVar(&o.claims, "claims", "", "JSON file with the claims")
	c.Flags().BoolVar(&o.txCode, "tx-code", false, "require a numeric transaction code")
	c.Flags().StringVar(&o.png, "png", "", "write the QR code PNG to this file (default offer-<handle>.png)")
	c.Flags().BoolVar(&o.noPNG, "no-png", false, "do not write a PNG")
	c.Flags().StringVar(&o.reference, "reference", "", "your label for the person (queue ticket); kept with the offer only")
	c.Flags().DurationVar(&o.ttl, "ttl", 0, "how long the offer stays valid (default 24h, at most 720h)")
	c.Flags().BoolVar(&o.asJSON, "json", false, `print {"id", "uri", "offer_url", "tx_code", "expires_at"} on stdout`)
	c.Flags().BoolVar(&o.prompt, "prompt", false, "ask for each claim on stderr and read the answers from stdin, instead of --claims")
	c.Flags().StringVar(&o.lang, "lang", "en", "language of the prompt and its claim labels with --prompt (en, fr, ar, uk)")
	c.Flags().StringVar(&o.evidence, "evidence", "", "evidence preset of the type, e.g. declared-only when no document was seen (see 'cairn schemas show TYPE'; default: the type's default)")
	c.Flags().StringVar(&o.format, "format", issuer.FormatSDJWTVC, "credential format: dc+sd-jwt, or jpt where the type has it enabled")
	addRegistryFlags(c, &o.registry, &o.regKeys)
	c.MarkFlagsMutuallyExclusive("png", "no-png")
	c.MarkFlagsMutuallyExclusive("claims", "prompt")
	c.MarkFlagsOneRequired("claims", "prompt")
	for _, f := range []string{"dir", "type"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

func (o *issuerOfferOptions) run(ctx context.Context, e *env) error {
	// One catalogue for the type, the claims and the evidence.
	cat, err := schemas.Load()
	if err != nil {
		return err
	}
	resolveTypeRefs(cat, &o.vct)
	var claims map[string]any
	if o.prompt {
		c, err := o.promptClaims(ctx, e, cat)
		if err != nil {
			return err
		}
		claims = c
	} else {
		b, err := bounded.ReadFile(o.claims, schemas.MaxClaimsSize)
		if err != nil {
			return usageError(err)
		}
		if err := json.Unmarshal(b, &claims); err != nil {
			return usageError(fmt.Errorf("%s: not a JSON object: %w", o.claims, err))
		}
		if claims, err = typeClaimsFile(cat, o.vct, claims); err != nil {
			return err
		}
	}
	ev, err := offerEvidence(cat, o.vct, o.evidence)
	if err != nil {
		return err
	}
	reg, err := issuerRegistry(ctx, e, o.registry, o.regKeys)
	if err != nil {
		return err
	}
	adm, err := openAdmin(ctx, e, o.dir, reg)
	if err != nil {
		return err
	}
	defer adm.Close()
	off, err := adm.CreateOffer(ctx, issuer.OfferRequest{VCT: o.vct, Claims: claims, TxCode: o.txCode, Reference: o.reference, TTL: o.ttl, Evidence: ev, Format: o.format})
	var ve *issuer.ValidationError
	switch {
	case errors.As(err, &ve):
		return withExit(ExitInvalid, offerClaimsError(ve))
	case errors.Is(err, issuer.ErrUnknownType), errors.Is(err, issuer.ErrInvalidOffer):
		return usageError(err)
	case errors.Is(err, issuer.ErrRegistryExpired):
		return withExit(ExitNotAuthorized, fmt.Errorf("offer refused: %w (replace the registry file and send SIGHUP to 'cairn issuer serve', or wait for its next refresh)", err))
	case errors.Is(err, issuer.ErrNotAuthorized):
		return withExit(ExitNotAuthorized, fmt.Errorf("offer refused: the trust registry does not authorize this issuer for %s: %w", o.vct, err))
	case errors.Is(err, issuer.ErrEvidenceAboveCap):
		return withExit(ExitNotAuthorized, fmt.Errorf("offer refused: %w", err))
	case err != nil:
		return err
	}
	pngPath := ""
	if !o.noPNG {
		pngPath = o.png
		if pngPath == "" {
			// The handle, never the id: whoever has the id can fetch
			// the offer and redeem it, and file names get shared.
			pngPath = "offer-" + off.Handle + ".png"
		}
		img, err := qr.Encode(off.URI, qr.LevelMedium)
		if err != nil {
			return err
		}
		if err := writeNew(pngPath, img); err != nil {
			return fmt.Errorf("offer %s was created, but its PNG was not written: %w", off.Handle, err)
		}
	}
	if o.asJSON {
		if err := writeJSON(e.stdout, map[string]any{"id": off.ID, "handle": off.Handle, "uri": off.URI, "offer_url": off.OfferURL, "tx_code": off.TxCode, "expires_at": off.ExpiresAt.UTC().Format(time.RFC3339)}); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(e.stdout, off.URI)
	}
	if err := drawOfferQR(e, off.URI, pngPath); err != nil {
		return err
	}
	if off.TxCode != "" {
		fmt.Fprintf(e.stderr, "transaction code (tell the holder, do not show with the QR): %s\n", off.TxCode)
	}
	fmt.Fprintf(e.stderr, "offer %s valid until %s (cancel: cairn issuer cancel --dir %s %s)\n", off.Handle, off.ExpiresAt.UTC().Format(time.RFC3339), o.dir, off.Handle)
	if pngPath != "" {
		fmt.Fprintf(e.stderr, "QR code written to %s\n", pngPath)
	}
	return nil
}

func newIssuerStatusCmd(e *env, verb, short, state string) *cobra.Command {
	var dir, reference string
	use := verb + " --dir DIR [--] CREDENTIAL-ID"
	args := cobra.ExactArgs(1)
	if state == issuer.StateRevoked {
		use += " | --reference REF"
		args = cobra.MaximumNArgs(1)
	}
	c := &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    short + ". The credential's entry in this issuer's status list changes; verifiers see it at their next status list fetch. CREDENTIAL-ID is from 'cairn issuer list' (put -- before one that starts with a dash). While 'cairn issuer serve' runs on DIR, the change goes through its admin socket. A jpt credential has no status entry: it is refused with exit code 2 and stays valid until its expiry (at most 30 days by default).",
		Example: fmt.Sprintf("  cairn issuer %s --dir ngo 3q2-7Xv9kQy0aV1b2c3d4e", verb),
		Args:    args,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if (len(args) == 1) == (reference != "") {
				return usageError(errors.New("give one CREDENTIAL-ID or --reference REF"))
			}
			adm, err := openAdmin(ctx, e, dir, nil)
			if err != nil {
				return err
			}
			defer adm.Close()
			if reference != "" {
				ids, err := adm.RevokeReference(ctx, reference)
				if errors.Is(err, issuer.ErrNotFound) {
					return usageError(fmt.Errorf("no credential issued with reference %q", reference))
				}
				if err != nil {
					return err
				}
				for _, id := range ids {
					fmt.Fprintf(e.stdout, "%s %s\n", id, state)
				}
				if recs, err := adm.FindByReference(ctx, reference); err == nil {
					for _, r := range recs {
						if r.Format == issuer.FormatJPT {
							fmt.Fprintf(e.stderr, "%s is a jpt credential: not revocable, valid until %s\n", r.CredentialID, r.ExpiresAt.UTC().Format(time.RFC3339))
						}
					}
				}
				if len(ids) == 0 {
					fmt.Fprintf(e.stderr, "every credential of reference %q was already revoked\n", reference)
				}
				return nil
			}
			switch state {
			case issuer.StateRevoked:
				err = adm.Revoke(ctx, args[0])
			case issuer.StateSuspended:
				err = adm.Suspend(ctx, args[0])
			default:
				err = adm.Reinstate(ctx, args[0])
			}
			if errors.Is(err, issuer.ErrNotFound) {
				return usageError(fmt.Errorf("no credential %q", args[0]))
			}
			if errors.Is(err, issuer.ErrNoStatus) {
				return usageError(fmt.Errorf("%s is a jpt credential: it has no status-list entry, so it cannot be %s; it stops being valid at its expiry (%w)", args[0], pastTense(verb), err))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s %s\n", args[0], state)
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "issuer directory")
	if state == issuer.StateRevoked {
		c.Flags().StringVar(&reference, "reference", "", "revoke every credential issued for offers made with this reference (case number)")
	}
	_ = c.MarkFlagRequired("dir")
	return c
}

func newIssuerListCmd(e *env) *cobra.Command {
	var dir, reference string
	var asJSON bool
	c := &cobra.Command{
		Use:   "list --dir DIR [--reference REF] [--json]",
		Short: "List issued credentials (no claim values are kept)",
		Long: `List the issuance records: credential id, type, state, status list entry,
issue and expiry dates, holder key thumbprint and the wallet's last
notification, and the handle of the offer it was issued for. Records hold
no claim values; the reference given with the offer is kept only as a keyed
hash, so --reference REF lists the credentials issued with it (and shows it)
while the records themselves do not say it.`,
		Example: `  cairn issuer list --dir ngo
  cairn issuer list --dir ngo --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, err := openAdmin(cmd.Context(), e, dir, nil)
			if err != nil {
				return err
			}
			defer adm.Close()
			var recs []issuer.Record
			if reference != "" {
				recs, err = adm.FindByReference(cmd.Context(), reference)
			} else {
				recs, err = adm.Records(cmd.Context())
			}
			if err != nil {
				return err
			}
			switch {
			case len(recs) == 0 && reference != "":
				fmt.Fprintf(e.stderr, "no credentials issued with reference %q\n", reference)
			case len(recs) == 0:
				// stdout stays machine-readable: nothing, or [] with --json.
				fmt.Fprintln(e.stderr, "no credentials issued yet")
			}
			if asJSON {
				if recs == nil {
					recs = []issuer.Record{}
				}
				for i := range recs {
					recs[i].NotificationID = "" // a bearer-bound secret of the wallet
				}
				return writeJSON(e.stdout, recs)
			}
			if len(recs) == 0 {
				return nil
			}
			sort.SliceStable(recs, func(i, j int) bool { return recs[i].IssuedAt.Before(recs[j].IssuedAt) })
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CREDENTIAL\tTYPE\tSTATE\tSTATUS\tISSUED\tEXPIRES\tWALLET\tOFFER\tREFERENCE")
			for _, r := range recs {
				ref := "-"
				switch {
				case reference != "":
					ref = reference
				case r.ReferenceHash != "":
					ref = "(kept hashed)"
				}
				status := fmt.Sprintf("%s/%d", r.StatusList, r.StatusIndex)
				if r.Format == issuer.FormatJPT {
					status = "none (jpt)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.CredentialID, r.VCT, r.State, status,
					r.IssuedAt.UTC().Format(time.RFC3339), r.ExpiresAt.UTC().Format(time.RFC3339), r.Notification, dash(r.OfferHandle), ref)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "issuer directory")
	c.Flags().BoolVar(&asJSON, "json", false, "print the records as JSON")
	c.Flags().StringVar(&reference, "reference", "", "only the credentials issued with this reference (case number)")
	_ = c.MarkFlagRequired("dir")
	return c
}

// drawOfferQR shows the offer's QR code on stderr when it is a terminal
// (without colours when NO_COLOR is set); into a file or a pipe it writes
// only the URI line, since block characters are useless in a log.
func drawOfferQR(e *env, uri, pngPath string) error {
	if !writerIsTerminal(e.stderr) {
		where := ""
		if pngPath != "" {
			where = " (QR code in " + pngPath + ")"
		}
		_, err := fmt.Fprintf(e.stderr, "offer URI%s: %s\n", where, uri)
		return err
	}
	opts := qr.TerminalOptions{}
	if e.getenv != nil && e.getenv("NO_COLOR") != "" {
		opts.Plain, opts.Invert = true, true
	}
	return qr.TerminalWith(e.stderr, uri, opts)
}
