package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/stack"
)

type upOptions struct {
	data, addr, url string
	reset, yes, dev bool
	metrics         metricsFlags
	store           storeFlags
}

func newUpCmd(e *env) *cobra.Command {
	o := &upOptions{}
	c := &cobra.Command{
		Use:   "up [--data DIR] [--addr HOST:PORT] [--reset [--yes]] [--dev]",
		Short: "Run registry, issuers, wallet agent and verifier in one process, seeded with a demo",
		Long: `Run every Cairn service in one process on one address, over embedded
stores in --data (one bbolt file per service), until Ctrl-C. With
--store (or --store-file, or $CAIRN_STORE) every service keeps its data
in that PostgreSQL database instead, each in a schema of its own under
the URL's cairn_schema_prefix P (P_registry, P_wallet, P_verifier,
P_NAME_issuer); --data still holds the keys and configuration. There,
--reset drops those schemas only, and only with --yes.

The first run seeds a demo ecosystem: a registry authority ("` + stack.RegistryName + `")
and four issuers authorized for their credential types with caps: a
humanitarian registration office, a clinic, a language school and an
employer. Each issuer is an ordinary issuer directory under DIR/issuers/,
so 'cairn issuer offer --dir DIR/issuers/clinic …' makes offers while
'up' runs. Restarting keeps everything; --reset deletes the stack's data
first (it asks on a terminal; --yes answers for scripts).

Everything is under one address: /registry/… and /trqp/… (the registry),
/issuers/NAME/… (each issuer, with its metadata at
/.well-known/openid-credential-issuer/issuers/NAME), /wallet/agent/… (the
wallet agent's API), /verifier/… (the desk's OpenID4VP endpoints),
/healthz, /readyz, and the pages: / , /wallet/ (the wallet), /trust/
(the registry), and behind the operator sign-in (/signin/) /desk/ (the
issuer desk) and /caseworker/ (the console). The first run creates a
desk account per issuer (desk-NAME) and a caseworker account, each
with a sign-in code in a 0600 file under DATA/operators/ (the paths are
printed once); 'cairn operator' adds more.

/metrics is on the public address in dev mode only; otherwise serve it
on a listener of its own with --metrics-addr (and/or behind a bearer
token, --metrics-token-file).

The registry's file is never held open: amend and publish with 'cairn
registry … --db DATA/registry/registry.db' (the authority key is
DATA/registry/authority.jwk) while 'up' runs, and the stack takes the
new snapshot in force within seconds (at once on SIGHUP).

On a loopback address (the default, 127.0.0.1:8080) it runs in dev mode:
plain http, and the wallet agent may fetch from this stack's own address.
Anywhere else, give --url (the public https URL of a TLS-terminating
proxy in front) or --dev (plain http on a test network; never for real
people's data). In dev mode, 'cairn dev clock --advance 90d' moves the
stack's clock forward to show months passing (examples/accretion.sh).`,
		Example: `  cairn up
  cairn up --data /srv/cairn --addr 127.0.0.1:9090
  cairn up --reset --yes
  CAIRN_STORE='postgres://cairn:secret@db.internal/cairn?cairn_schema_prefix=pilot' cairn up --data /srv/cairn
  cairn up --addr 0.0.0.0:8443 --url https://cairn.pilot.example --metrics-addr 127.0.0.1:9464
  cairn operator add --role desk --issuer clinic sam`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, e) },
	}
	c.Flags().StringVar(&o.data, "data", "cairn-data", "data directory (created on first run)")
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	c.Flags().StringVar(&o.url, "url", "", "public base URL (https, behind a TLS-terminating proxy); default http://ADDR in dev mode")
	c.Flags().BoolVar(&o.reset, "reset", false, "delete the stack's data in --data first and seed a new demo")
	c.Flags().BoolVar(&o.yes, "yes", false, "with --reset: do not ask")
	c.Flags().BoolVar(&o.dev, "dev", false, "dev mode on a non-loopback address: plain http, private targets (never for real people's data)")
	addMetricsFlags(c, &o.metrics)
	addStoreFlags(c.Flags(), &o.store)
	return c
}

// newDevCmd groups the tools that exist only for demos and tests of a
// dev-mode 'cairn up'.
func newDevCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "dev",
		Short: "Tools for a dev-mode 'cairn up' (demo clock)",
	}
	c.AddCommand(newDevClockCmd(e))
	return c
}

func (o *upOptions) run(cmd *cobra.Command, e *env) error {
	dev, err := stack.DevFor(o.addr, o.url, o.dev)
	if err != nil {
		return usageError(err)
	}
	data, err := filepath.Abs(o.data)
	if err != nil {
		return usageError(err)
	}
	if o.yes && !o.reset {
		return usageError(errors.New("--yes only goes with --reset"))
	}
	storeURL, err := o.store.resolve(e)
	if err != nil {
		return err
	}
	if o.reset && storeURL != "" && !o.yes {
		return usageError(fmt.Errorf("--reset with a PostgreSQL store drops the stack's schemas (%s_registry, _wallet, _verifier, _NAME_issuer) in %s: confirm with --yes", schemaPrefixOf(storeURL), pg.Redact(storeURL)))
	}
	if o.reset {
		if !o.yes {
			if !readerIsTerminal(e.stdin) {
				return usageError(errors.New("--reset deletes the stack's data: confirm with --yes when not on a terminal"))
			}
			fmt.Fprintf(e.stderr, "Delete every credential, offer and key of the stack in %s? [y/N]: ", data)
			line, _ := bufio.NewReader(e.stdin).ReadString('\n')
			if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
				return withExit(ExitFailure, errors.New("not reset"))
			}
		}
		if storeURL != "" {
			if err := stack.ResetStore(cmd.Context(), storeURL, data); err != nil {
				return withExit(ExitFailure, err)
			}
		}
		if err := stack.Reset(data); err != nil {
			return err
		}
	}
	log := newLogger(e.stderr)
	metrics := server.NewRegistry()
	metricsLn, metricsOnMain, err := o.metrics.setup(server.MetricsHandler(metrics))
	if err != nil {
		return err
	}
	rc := stack.RunConfig{Config: stack.Config{Data: data, URL: o.url, Dev: dev, Now: e.now, Logger: log, Metrics: metrics, PublicMetrics: metricsOnMain,
		StoreURL: storeURL},
		Addr: o.addr, Ready: func(s *stack.Stack) { printNextSteps(e.stdout, e.self, s) }}
	if metricsLn != nil {
		rc.Extra = append(rc.Extra, *metricsLn)
	}
	err = stack.Run(cmd.Context(), rc)
	if le := (*server.ListenError)(nil); errors.As(err, &le) {
		return le.Err
	}
	return err
}

// schemaPrefixOf is the store URL's schema prefix, for messages.
func schemaPrefixOf(storeURL string) string {
	p, err := pg.SchemaPrefix(storeURL)
	if err != nil {
		return "?"
	}
	return p
}

// printNextSteps is what 'up' tells the person who started it.
func printNextSteps(w io.Writer, self string, s *stack.Stack) {
	if self == "" || !strings.Contains(self, "/") {
		self = "cairn"
	}
	data := s.Data()
	q := shellQuote
	if s.Dev() {
		fmt.Fprintf(w, "Cairn is up: open %s/ on this machine.\n", s.URL())
	} else {
		fmt.Fprintf(w, "Cairn is up at %s/ (through your TLS-terminating proxy).\n", s.URL())
	}
	if s.Dev() {
		fmt.Fprintln(w, "Dev mode: plain http, and the wallet agent may fetch from this stack's own address")
		fmt.Fprintln(w, "(it refuses private and loopback addresses otherwise). Never use it for real people's data.")
		if off := s.Clock().Offset(); off != 0 {
			fmt.Fprintf(w, "The demo clock is %.0f days ahead: it is %s here.\n", off.Hours()/24, s.Clock().Now().UTC().Format("2006-01-02 15:04 MST"))
		}
	}
	if s.Seeded {
		fmt.Fprintf(w, "\nFirst run: a demo ecosystem was created in %s.\n", data)
	} else {
		fmt.Fprintf(w, "\nData: %s (kept between runs).\n", data)
	}
	fmt.Fprintf(w, "Registry: %s, signed snapshot at %s/registry/snapshot\n", stack.RegistryName, s.URL())
	fmt.Fprintln(w, "Issuers:")
	for _, is := range s.Issuers {
		var types []string
		for _, t := range is.Types {
			name := strings.TrimSuffix(strings.TrimPrefix(t, "urn:cairn:vct:"), ":1")
			if slices.Contains(is.JPT, t) {
				name += " +jpt"
			}
			types = append(types, name)
		}
		fmt.Fprintf(w, "  %-30s %s  (%s)\n", is.Names["en"], is.URL, strings.Join(types, ", "))
	}
	fmt.Fprintf(w, "Pages: the wallet %s%s, the registry %s%s, and for operators (signed in) the issuer desk %s%s and the caseworker console %s%s.\n",
		s.URL(), stack.WalletPagePath, s.URL(), stack.TrustPagePath, s.URL(), stack.DeskPagePath, s.URL(), stack.ConsolePagePath)
	if len(s.OperatorCodes) > 0 {
		fmt.Fprintf(w, "Operator accounts were created; each sign-in code is in a 0600 file (shown only here, hand it over and delete it):\n")
		for _, p := range s.OperatorCodes {
			fmt.Fprintf(w, "  %-22s %s\n", strings.TrimSuffix(filepath.Base(p), ".code"), p)
		}
	} else if left := stack.UnclaimedCodes(data); len(left) > 0 {
		fmt.Fprintf(w, "Sign-in codes not handed over yet, each in a 0600 file (hand it over and delete it):\n")
		for _, p := range left {
			fmt.Fprintf(w, "  %-22s %s\n", strings.TrimSuffix(filepath.Base(p), ".code"), p)
		}
	}
	fmt.Fprintf(w, "Wallet agent for 'cairn wallet --agent': %s%s\n", s.URL(), stack.AgentPath)
	reg := filepath.Join(data, stack.IssuersDir, "registration")
	fmt.Fprintln(w, "\nNext steps, in another terminal:")
	fmt.Fprintln(w, "  Make an offer (the QR is shown in the terminal and written as a PNG):")
	fmt.Fprintf(w, "    %s issuer offer --dir %s --type humanitarian-registration --claims %s --tx-code\n",
		self, q(reg), q(filepath.Join(data, stack.ExamplesDir, "registration.json")))
	fmt.Fprintln(w, "  Or type the claims yourself:")
	fmt.Fprintf(w, "    %s issuer offer --dir %s --type health-attestation --prompt\n", self, q(filepath.Join(data, stack.IssuersDir, "clinic")))
	fmt.Fprintf(w, "  Unlinkable, experimental (docs/unlinkable.md): add --format jpt to an offer of language-skills by %s;\n    the console's purpose language-check asks for it.\n",
		q(filepath.Join(data, stack.IssuersDir, "school")))
	fmt.Fprintf(w, "  See the offers and credentials: %s issuer offers --dir %s; %s issuer list --dir %s\n", self, q(reg), self, q(reg))
	// The story moves the dev clock (dev mode only) 185 days forward:
	// it runs once, on a stack whose clock has not moved.
	switch {
	case !s.Dev():
	case s.Clock().Offset() == 0:
		fmt.Fprintf(w, "  Move the demo clock forward: %s dev clock --data %s --advance 90d\n", self, q(data))
		fmt.Fprintf(w, "  The whole story: CAIRN=%s CAIRN_DATA=%s CAIRN_URL=%s examples/accretion.sh\n", self, q(data), s.URL())
	default:
		fmt.Fprintf(w, "  Move the demo clock further: %s dev clock --data %s --advance 90d\n", self, q(data))
		fmt.Fprintf(w, "  The whole story (examples/accretion.sh) needs a stack whose clock has not moved: start over by adding --reset to '%s up'.\n", self)
	}
	fmt.Fprintln(w, "\nStop with Ctrl-C (the data is kept); 'cairn up --reset' starts over.")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:=,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func newDevClockCmd(e *env) *cobra.Command {
	var data, advance string
	c := &cobra.Command{
		Use:   "clock [--data DIR] [--advance DURATION]",
		Short: "Show or move forward (dev mode) the clock of a running 'cairn up'",
		Long: `Print the clock of the 'cairn up' running on --data, or move it forward
by --advance (days as 90d, or a Go duration such as 36h): every service
of the stack then lives at the new time, and the registry is published
again at once. Dev mode only, and only forward: it exists so a demo can
show an identity accreting over months (examples/accretion.sh). The
offset is kept in the data directory; --reset clears it.`,
		Example: `  cairn dev clock --data cairn-data
  cairn dev clock --data cairn-data --advance 90d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := stack.AdvanceClock(cmd.Context(), data, advance)
			if errors.Is(err, stack.ErrNotRunning) {
				return withExit(ExitFailure, err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s (%.0f days ahead)\n", st.Now.Format("2006-01-02T15:04:05Z"), st.Days)
			return nil
		},
	}
	c.Flags().StringVar(&data, "data", "cairn-data", "data directory of the running stack")
	c.Flags().StringVar(&advance, "advance", "", "move the clock forward by this much (e.g. 90d)")
	return c
}
