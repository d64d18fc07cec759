package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/schemas"
)

// Files of an issuer directory.
const (
	issuerConfigFile = "issuer.json"
	issuerKeyFile    = "issuer.jwk"
	issuerHashKey    = "hash.key" // keys the hashes of codes and tokens; never in the store
	issuerStoreFile  = "issuer.db"
	maxConfigLen     = 64 << 10
)

// issuerConfig is issuer.json.
type issuerConfig struct {
	URL   string            `json:"url"`
	Names map[string]string `json:"names"`
	Types []string          `json:"types"`
	Dev   bool              `json:"dev,omitempty"`
	DID   string            `json:"did"`
}

func newIssuerCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "issuer",
		Short: "Run an OpenID4VCI credential issuer: init, serve, offer, revoke, list",
		Long: `An issuer directory holds the issuer's signing key (issuer.jwk, 0600), the
key that hashes codes and tokens (hash.key, 0600), its configuration
(issuer.json) and its store (issuer.db). 'serve' runs the OpenID4VCI 1.0
endpoints; 'offer' creates credential offers shown as QR codes.

The store is a single bbolt file: stop 'serve' before running 'offer',
'revoke', 'suspend', 'reinstate' or 'list' against the same directory.`,
	}
	c.AddCommand(newIssuerInitCmd(e), newIssuerServeCmd(e), newIssuerOfferCmd(e),
		newIssuerStatusCmd(e, "revoke", "Revoke a credential for good", issuer.StateRevoked),
		newIssuerStatusCmd(e, "suspend", "Suspend a credential (reinstate undoes it)", issuer.StateSuspended),
		newIssuerStatusCmd(e, "reinstate", "Make a suspended credential valid again", issuer.StateValid),
		newIssuerListCmd(e))
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
for local tests only.`,
		Example: `  cairn issuer init --dir ngo --name en="Relief NGO",fr="ONG de secours" \
      --url https://issuer.relief.example --type urn:cairn:vct:humanitarian-registration:1
  cairn issuer init --dir dev-issuer --name en=Test --url http://127.0.0.1:8081 --dev \
      --type urn:cairn:vct:language-skills:1 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(e) },
	}
	c.Flags().StringVar(&o.dir, "dir", "", "issuer directory to create")
	c.Flags().StringSliceVar(&o.names, "name", nil, "display name per language, LANG=NAME (en required)")
	c.Flags().StringVar(&o.url, "url", "", "public base URL of the issuer")
	c.Flags().StringSliceVar(&o.types, "type", nil, "credential type (vct) to offer; repeatable")
	c.Flags().BoolVar(&o.dev, "dev", false, "allow http:// and loopback URLs (local tests only)")
	c.Flags().StringVar(&o.alg, "alg", string(keys.DefaultAlg), "signing algorithm: ES256, ES384 or EdDSA")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the configuration as JSON")
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
	if names["en"] == "" {
		return usageError(errors.New("--name en=… is required"))
	}
	base, err := issuer.CheckURL(o.url, o.dev)
	if err != nil {
		return usageError(err)
	}
	cat, err := schemas.Load()
	if err != nil {
		return err
	}
	for _, t := range o.types {
		if _, err := cat.Lookup(t); err != nil {
			return usageError(fmt.Errorf("--type: %w (see 'cairn schemas list')", err))
		}
	}
	alg, err := parseAlg(o.alg)
	if err != nil {
		return usageError(err)
	}
	if _, err := os.Stat(filepath.Join(o.dir, issuerConfigFile)); err == nil {
		return fmt.Errorf("%s already holds an issuer: %w", o.dir, keys.ErrExists)
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return err
	}
	k, err := keys.Generate(alg, nil)
	if err != nil {
		return err
	}
	if err := keys.Save(filepath.Join(o.dir, issuerKeyFile), k); err != nil {
		return err
	}
	hk := make([]byte, 32)
	if _, err := rand.Read(hk); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(o.dir, issuerHashKey), []byte(jose.B64.EncodeToString(hk)+"\n")); err != nil {
		return err
	}
	cfg := issuerConfig{URL: base, Names: names, Types: o.types, Dev: o.dev, DID: k.DIDJWK()}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := writeNew(filepath.Join(o.dir, issuerConfigFile), append(b, '\n')); err != nil {
		return err
	}
	if o.dev {
		fmt.Fprintln(e.stderr, "warning: dev mode: http:// and loopback URLs allowed; never use this for real issuance")
	}
	if o.asJSON {
		_, err = e.stdout.Write(append(b, '\n'))
		return err
	}
	fmt.Fprintln(e.stdout, cfg.DID)
	return nil
}

// writeNew writes a 0600 file that must not exist yet.
func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s: %w", path, keys.ErrExists)
		}
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// openIssuer loads an issuer directory and opens its service. close
// releases the store.
func openIssuer(e *env, dir string, logger *slog.Logger) (svc *issuer.Service, cfg *issuerConfig, closeFn func(), err error) {
	b, err := readBounded(filepath.Join(dir, issuerConfigFile), maxConfigLen)
	if err != nil {
		return nil, nil, nil, usageError(fmt.Errorf("not an issuer directory (run 'cairn issuer init'): %w", err))
	}
	cfg = new(issuerConfig)
	if err := json.Unmarshal(b, cfg); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", issuerConfigFile, err)
	}
	k, err := keys.Load(filepath.Join(dir, issuerKeyFile))
	if err != nil {
		return nil, nil, nil, err
	}
	hkText, err := readBounded(filepath.Join(dir, issuerHashKey), 1024)
	if err != nil {
		return nil, nil, nil, err
	}
	hk, err := jose.DecodeSegment(strings.TrimSpace(string(hkText)))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", issuerHashKey, err)
	}
	cat, err := schemas.Load()
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := issuer.OpenBolt(filepath.Join(dir, issuerStoreFile))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w (is 'cairn issuer serve' running on this directory?)", err)
	}
	svc, err = issuer.New(issuer.Config{URL: cfg.URL, Dev: cfg.Dev, Names: cfg.Names, Types: cfg.Types, Catalogue: cat,
		Key: k, HashKey: hk, Store: st, Now: e.now, Logger: logger})
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return svc, cfg, func() { st.Close() }, nil
}

func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return b, nil
}

type issuerServeOptions struct {
	dir  string
	addr string
}

func newIssuerServeCmd(e *env) *cobra.Command {
	o := &issuerServeOptions{}
	c := &cobra.Command{
		Use:   "serve --dir DIR [--addr 127.0.0.1:8081]",
		Short: "Serve the OpenID4VCI endpoints, status lists, health and metrics",
		Long: `Serve the issuer over HTTP: metadata under /.well-known/, /offers/{id},
/token, /nonce, /credential, /notification, /status/{list}, /healthz,
/readyz and /metrics. Put a TLS-terminating proxy in front: the public URL
is the one given to 'init'. Logs are JSON lines unless stderr is a
terminal. Expired offers (with their claims), nonces and tokens are swept
every minute. SIGINT/SIGTERM shut down gracefully.`,
		Example: `  cairn issuer serve --dir ngo --addr 127.0.0.1:8081`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), e) },
	}
	c.Flags().StringVar(&o.dir, "dir", "", "issuer directory")
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8081", "listen address")
	_ = c.MarkFlagRequired("dir")
	return c
}

func newLogger(w io.Writer) *slog.Logger {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, nil))
		}
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

func (o *issuerServeOptions) run(ctx context.Context, e *env) error {
	log := newLogger(e.stderr)
	svc, cfg, closeStore, err := openIssuer(e, o.dir, log)
	if err != nil {
		return err
	}
	defer closeStore()
	if cfg.Dev {
		log.Warn("dev mode: http:// and loopback URLs allowed; never use this for real issuance")
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: svc.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("issuer listening", "addr", ln.Addr().String(), "url", svc.URL(), "did", svc.DID())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case err := <-errc:
			return err
		case <-tick.C:
			if st, err := svc.Sweep(ctx); err != nil {
				log.Error("sweep failed", "err", err)
			} else if st.Offers+st.Nonces+st.Tokens > 0 {
				log.Info("swept expired state", "offers", st.Offers, "nonces", st.Nonces, "tokens", st.Tokens)
			}
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			log.Info("shutting down")
			return srv.Shutdown(sctx)
		}
	}
}

type issuerOfferOptions struct {
	dir, vct, claims, png, reference string
	txCode, asJSON                   bool
	ttl                              time.Duration
}

func newIssuerOfferCmd(e *env) *cobra.Command {
	o := &issuerOfferOptions{}
	c := &cobra.Command{
		Use:   "offer --dir DIR --type VCT --claims FILE.json [--tx-code] [--png FILE]",
		Short: "Create a credential offer: URI on stdout, transaction code and QR on stderr",
		Long: `Validate the claims in FILE.json against the credential type, store the
offer and print its openid-credential-offer:// URI on stdout. The QR code
and, with --tx-code, the transaction code to tell the holder go to
stderr (the code is never stored in clear). Evidence scores are the type's
defaults. The claims are deleted once the credential is issued or the
offer expires.

Exit codes: 2 for an unknown type or unreadable file, 3 when the claims
do not match the type (the failing claim paths are listed, not values).`,
		Example: `  cairn issuer offer --dir ngo --type urn:cairn:vct:humanitarian-registration:1 --claims amina.json --tx-code
  cairn issuer offer --dir ngo --type urn:cairn:vct:language-skills:1 --claims c.json --png offer.png --reference Q-17 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), e) },
	}
	c.Flags().StringVar(&o.dir, "dir", "", "issuer directory")
	c.Flags().StringVar(&o.vct, "type", "", "credential type (vct)")
	c.Flags().StringVar(&o.claims, "claims", "", "JSON file with the claims")
	c.Flags().BoolVar(&o.txCode, "tx-code", false, "require a numeric transaction code")
	c.Flags().StringVar(&o.png, "png", "", "also write the QR code as a PNG file")
	c.Flags().StringVar(&o.reference, "reference", "", "your label for the person (queue ticket); kept with the offer only")
	c.Flags().DurationVar(&o.ttl, "ttl", 0, "how long the offer stays valid (default 24h, at most 720h)")
	c.Flags().BoolVar(&o.asJSON, "json", false, `print {"id", "uri", "offer_url", "tx_code", "expires_at"} on stdout`)
	for _, f := range []string{"dir", "type", "claims"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

func (o *issuerOfferOptions) run(ctx context.Context, e *env) error {
	b, err := readBounded(o.claims, schemas.MaxClaimsSize)
	if err != nil {
		return usageError(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		return usageError(fmt.Errorf("%s: not a JSON object: %w", o.claims, err))
	}
	svc, _, closeStore, err := openIssuer(e, o.dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer closeStore()
	off, err := svc.CreateOffer(ctx, issuer.OfferRequest{VCT: o.vct, Claims: claims, TxCode: o.txCode, Reference: o.reference, TTL: o.ttl})
	var ve *issuer.ValidationError
	switch {
	case errors.As(err, &ve):
		return withExit(ExitInvalid, fmt.Errorf("claims do not match %s at: %s", ve.VCT, strings.Join(ve.Paths, ", ")))
	case errors.Is(err, issuer.ErrUnknownType), errors.Is(err, issuer.ErrInvalidOffer):
		return usageError(err)
	case errors.Is(err, issuer.ErrEvidenceAboveCap), errors.Is(err, issuer.ErrNotAuthorized):
		return withExit(ExitNotAuthorized, err)
	case err != nil:
		return err
	}
	if o.png != "" {
		img, err := qr.Encode(off.URI, qr.LevelMedium)
		if err != nil {
			return err
		}
		if err := writeNew(o.png, img); err != nil {
			return err
		}
	}
	if o.asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(map[string]any{"id": off.ID, "uri": off.URI, "offer_url": off.OfferURL, "tx_code": off.TxCode, "expires_at": off.ExpiresAt.UTC().Format(time.RFC3339)}); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(e.stdout, off.URI)
	}
	if err := qr.Terminal(e.stderr, off.URI); err != nil {
		return err
	}
	if off.TxCode != "" {
		fmt.Fprintf(e.stderr, "transaction code (tell the holder, do not show with the QR): %s\n", off.TxCode)
	}
	fmt.Fprintf(e.stderr, "offer %s valid until %s\n", off.ID, off.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

func newIssuerStatusCmd(e *env, verb, short, state string) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:     verb + " --dir DIR CREDENTIAL-ID",
		Short:   short,
		Long:    short + ". The credential's entry in this issuer's status list changes; verifiers see it at their next status list fetch. CREDENTIAL-ID is from 'cairn issuer list'.",
		Example: fmt.Sprintf("  cairn issuer %s --dir ngo 3q2-7Xv9kQy0aV1b2c3d4e", verb),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, _, closeStore, err := openIssuer(e, dir, slog.New(slog.DiscardHandler))
			if err != nil {
				return err
			}
			defer closeStore()
			ctx := cmd.Context()
			switch state {
			case issuer.StateRevoked:
				err = svc.Revoke(ctx, args[0])
			case issuer.StateSuspended:
				err = svc.Suspend(ctx, args[0])
			default:
				err = svc.Reinstate(ctx, args[0])
			}
			if errors.Is(err, issuer.ErrNotFound) {
				return usageError(fmt.Errorf("no credential %q", args[0]))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s %s\n", args[0], state)
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "issuer directory")
	_ = c.MarkFlagRequired("dir")
	return c
}

func newIssuerListCmd(e *env) *cobra.Command {
	var dir string
	var asJSON bool
	c := &cobra.Command{
		Use:   "list --dir DIR [--json]",
		Short: "List issued credentials (no claim values are kept)",
		Long: `List the issuance records: credential id, type, state, status list entry,
issue and expiry dates, holder key thumbprint and the wallet's last
notification. Records hold no claim values.`,
		Example: `  cairn issuer list --dir ngo
  cairn issuer list --dir ngo --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, _, closeStore, err := openIssuer(e, dir, slog.New(slog.DiscardHandler))
			if err != nil {
				return err
			}
			defer closeStore()
			recs, err := svc.Records(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if recs == nil {
					recs = []issuer.Record{}
				}
				for i := range recs {
					recs[i].NotificationID = "" // a bearer-bound secret of the wallet
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(recs)
			}
			sort.SliceStable(recs, func(i, j int) bool { return recs[i].IssuedAt.Before(recs[j].IssuedAt) })
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CREDENTIAL\tTYPE\tSTATE\tSTATUS\tISSUED\tEXPIRES\tWALLET")
			for _, r := range recs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s/%d\t%s\t%s\t%s\n", r.CredentialID, r.VCT, r.State, r.StatusList, r.StatusIndex,
					r.IssuedAt.UTC().Format(time.RFC3339), r.ExpiresAt.UTC().Format(time.RFC3339), r.Notification)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "issuer directory")
	c.Flags().BoolVar(&asJSON, "json", false, "print the records as JSON")
	_ = c.MarkFlagRequired("dir")
	return c
}
