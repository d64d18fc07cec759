package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/client"
)

// walletFlags are the wallet client's persistent flags.
type walletFlags struct {
	agent, session string
}

func newWalletCmd(e *env) *cobra.Command {
	f := &walletFlags{}
	c := &cobra.Command{
		Use:   "wallet",
		Short: "Run the wallet agent (serve) and use it as a holder: holder, receive, list, present, proximity, log, export, import",
		Long: `'cairn wallet serve' runs the wallet agent, the backend of holders'
phones. The other commands are a client of an agent, for scripts,
examples and support staff: they keep one holder's session in a file
(--session, default $XDG_CONFIG_HOME/cairn/wallet-session.json, mode
0600) and the holder's device secret in a 0600 file next to it
(wallet-session-device.json). Both files are secrets: whoever has them
and the PIN can open the wallet.

PINs (4 to 8 digits), recovery codes and passphrases are read from a file
(--pin-file, --code-file, --passphrase-file: the first line) or asked
for on the terminal; never from a flag, which other users could see in
the process list.

Exit codes beyond the common ones: 20 locked out or rate-limited (wait
the time said, then retry), 21 not logged in or session ended (run
'cairn wallet holder login'), 22 wrong PIN, device secret, recovery code
or passphrase.`,
		Example: `  cairn wallet --agent http://127.0.0.1:8082 holder create --pin-file pin.txt
  cairn wallet holder login --pin-file pin.txt
  cairn wallet receive "$OFFER" --tx-code-file code.txt
  cairn wallet list --lang fr
  cairn wallet present "$REQUEST" --only given_name
  cairn wallet proximity --challenge 7Q2K-91AB --png qr.png
  cairn wallet export --out backup.cwx --passphrase-file pass.txt`,
	}
	c.PersistentFlags().StringVar(&f.agent, "agent", "", "the wallet agent's URL (kept in the session file after 'holder create' or 'holder recover')")
	c.PersistentFlags().StringVar(&f.session, "session", "", "session file (default $XDG_CONFIG_HOME/cairn/wallet-session.json); the device secret is kept next to it")
	c.AddCommand(newWalletServeCmd(e), newWalletHolderCmd(e, f), newWalletListCmd(e, f), newWalletLogCmd(e, f),
		newWalletExportCmd(e, f), newWalletImportCmd(e, f), newWalletShowCmd(e, f), newWalletKeysCmd(e, f),
		newWalletReceiveCmd(e, f), newWalletPresentCmd(e, f), newWalletProximityCmd(e, f))
	return c
}

// profile builds the client profile from the flags.
func (f *walletFlags) profile(e *env, lang string) (*client.Profile, error) {
	path := f.session
	if path == "" {
		p, err := client.DefaultSessionPath(e.getenv)
		if err != nil {
			return nil, usageError(err)
		}
		path = p
	}
	if f.agent != "" {
		if err := client.CheckAgentURL(f.agent); err != nil {
			return nil, usageError(fmt.Errorf("--agent: %w", err))
		}
	}
	return &client.Profile{SessionPath: path, Agent: f.agent, Lang: lang}, nil
}

// open loads the session file named by the flags and returns the session
// with a client for its agent; errors carry their exit codes.
func (f *walletFlags) open(e *env, lang string) (*client.Session, *client.Client, error) {
	p, err := f.profile(e, lang)
	if err != nil {
		return nil, nil, err
	}
	s, c, err := p.Open()
	if err != nil {
		return nil, nil, walletExit(err)
	}
	return s, c, nil
}

// runSession is the RunE of the holder commands that end in a new session
// (login, pin, recover): read the secrets, call (a method expression of
// client.Profile), and print the session with
// format (the holder id, then the session's end).
func (f *walletFlags) runSession(e *env, secrets func(*secretReader) (string, string, error),
	call func(*client.Profile, context.Context, string, string) (*client.Session, error), format string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		p, err := f.profile(e, "")
		if err != nil {
			return err
		}
		a, b, err := secrets(newSecretReader(e))
		if err != nil {
			return err
		}
		s, err := call(p, cmd.Context(), a, b)
		if err != nil {
			return walletExit(err)
		}
		fmt.Fprintf(e.stdout, format, s.HolderID, s.ExpiresAt.UTC().Format(sessionTime))
		return nil
	}
}

// sessionTime is how a session's end is printed.
const sessionTime = "2006-01-02 15:04:05Z"

// newTable is the tab-aligned writer of the wallet's listings.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// walletExit maps the client's errors to exit codes.
func walletExit(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, client.ErrLocked):
		return withExit(ExitLocked, err)
	case errors.Is(err, client.ErrNoSession), errors.Is(err, client.ErrNoProfile):
		return withExit(ExitNoSession, err)
	case errors.Is(err, client.ErrWrongSecret):
		return withExit(ExitWrongSecret, err)
	case errors.Is(err, client.ErrRefused):
		return withExit(ExitUsage, err)
	}
	return withExit(ExitFailure, err)
}

// ---- secrets: from a file or the terminal ----

// secretReader reads secrets from files or from the command's input.
type secretReader struct {
	e  *env
	in *bufio.Reader
}

func newSecretReader(e *env) *secretReader { return &secretReader{e: e, in: bufio.NewReader(e.stdin)} }

// read returns the first line of file, or asks prompt on the terminal
// (the answer is not echoed when the input is a terminal).
func (s *secretReader) read(file, prompt string) (string, error) {
	if file != "" {
		b, err := bounded.ReadFile(file, 4096)
		if err != nil {
			return "", usageError(err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	fmt.Fprint(s.e.stderr, prompt+": ")
	restore := noEcho(s.e.stdin)
	line, err := s.in.ReadString('\n')
	if restore != nil {
		restore()
		fmt.Fprintln(s.e.stderr)
	}
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", usageError(fmt.Errorf("reading %s: %w", strings.ToLower(prompt), err))
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// secretAndNewPIN reads a secret (the current PIN, a recovery code), then
// a new PIN.
func (s *secretReader) secretAndNewPIN(file, prompt, pinFile, pinPrompt string) (secret, pin string, err error) {
	if secret, err = s.read(file, prompt); err != nil {
		return "", "", err
	}
	if pin, err = s.newPIN(pinFile, pinPrompt); err != nil {
		return "", "", err
	}
	return secret, pin, nil
}

// confirmed is yes, or else the holder's answer to question.
func (s *secretReader) confirmed(yes bool, question string) (bool, error) {
	if yes {
		return true, nil
	}
	return s.confirm(question)
}

// newPIN reads a new PIN: from file, or asked twice.
func (s *secretReader) newPIN(file, what string) (string, error) {
	pin, err := s.read(file, what)
	if err != nil || file != "" {
		return pin, err
	}
	again, err := s.read("", what+" again")
	if err != nil {
		return "", err
	}
	if again != pin {
		return "", usageError(errors.New("the two PINs differ"))
	}
	return pin, nil
}

// ---- holder ----

func newWalletHolderCmd(e *env, f *walletFlags) *cobra.Command {
	c := &cobra.Command{
		Use:   "holder",
		Short: "Create, log in, log out, change the PIN of, recover or wipe the holder kept in the session file",
		Example: `  cairn wallet --agent http://127.0.0.1:8082 holder create --pin-file pin.txt
  cairn wallet holder login --pin-file pin.txt
  cairn wallet holder recover --code-file code.txt --pin-file newpin.txt
  cairn wallet holder wipe --yes`,
	}
	c.AddCommand(newWalletHolderCreateCmd(e, f), newWalletHolderLoginCmd(e, f), newWalletHolderLogoutCmd(e, f), newWalletHolderPINCmd(e, f),
		newWalletHolderRecoverCmd(e, f), newWalletHolderWipeCmd(e, f))
	return c
}

func newWalletHolderCreateCmd(e *env, f *walletFlags) *cobra.Command {
	var pinFile, lang string
	c := &cobra.Command{
		Use:   "create [--pin-file F] [--lang L]",
		Short: "Create a holder on the agent, log in, and print the recovery code once",
		Long: `Create a holder on --agent with a PIN of 4 to 8 digits and a new random
device secret (kept next to the session file, mode 0600), log in, and
print the holder id and the recovery code. The recovery code is shown
this once and kept nowhere: write it down and keep it apart from the
phone; with it a lost phone's wallet can be recovered ('holder recover').
Refuses to replace an existing session file.`,
		Example: `  cairn wallet --agent http://127.0.0.1:8082 holder create --pin-file pin.txt --lang ar
  cairn wallet --agent https://wallet.example --session alice.json holder create`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.profile(e, lang)
			if err != nil {
				return err
			}
			if p.Agent == "" {
				return usageError(errors.New("give the agent's URL with --agent"))
			}
			pin, err := newSecretReader(e).newPIN(pinFile, "New PIN (4 to 8 digits)")
			if err != nil {
				return err
			}
			created, err := p.Create(cmd.Context(), pin, lang)
			if err != nil {
				return walletExit(err)
			}
			fmt.Fprintf(e.stdout, "holder: %s\nrecovery code: %s\n", created.HolderID, created.RecoveryCode)
			fmt.Fprintln(e.stderr, "Write the recovery code down now: it is not shown again. Session kept in", p.SessionPath)
			return nil
		},
	}
	c.Flags().StringVar(&pinFile, "pin-file", "", "read the PIN from the first line of FILE (default: ask)")
	c.Flags().StringVar(&lang, "lang", "", "the holder's language (BCP 47, e.g. ar, fr, uk): labels and messages")
	return c
}

func newWalletHolderLoginCmd(e *env, f *walletFlags) *cobra.Command {
	var pinFile string
	c := &cobra.Command{
		Use:   "login [--pin-file F]",
		Short: "Log the holder in (a session of 15 minutes by default)",
		Long: `Unlock the holder of the session file with the PIN and the kept device
secret, and keep the new session's token in the session file. Wrong PINs
lock the holder for longer each time (exit 20, with the time to wait).`,
		Example: `  cairn wallet holder login --pin-file pin.txt
  cairn wallet --session alice.json holder login`,
		Args: cobra.NoArgs,
		RunE: f.runSession(e, func(sr *secretReader) (string, string, error) {
			pin, err := sr.read(pinFile, "PIN")
			return pin, "", err
		}, func(p *client.Profile, ctx context.Context, pin, _ string) (*client.Session, error) {
			return p.Login(ctx, pin)
		}, "logged in: holder %s until %s\n"),
	}
	c.Flags().StringVar(&pinFile, "pin-file", "", "read the PIN from the first line of FILE (default: ask)")
	return c
}

func newWalletHolderPINCmd(e *env, f *walletFlags) *cobra.Command {
	var pinFile, newPinFile string
	c := &cobra.Command{
		Use:   "pin [--pin-file F] [--new-pin-file F]",
		Short: "Change the PIN (every other session of the holder ends)",
		Long: `Change the holder's PIN: the current PIN (counted like a login: wrong
ones lock) and a new one of 4 to 8 digits. The device secret stays; every
credential stays readable; every other session ends, and this one is
replaced.`,
		Example: `  cairn wallet holder pin --pin-file old.txt --new-pin-file new.txt`,
		Args:    cobra.NoArgs,
		RunE: f.runSession(e, func(sr *secretReader) (string, string, error) {
			return sr.secretAndNewPIN(pinFile, "Current PIN", newPinFile, "New PIN (4 to 8 digits)")
		}, (*client.Profile).ChangePIN, "PIN changed: holder %s, logged in until %s\n"),
	}
	c.Flags().StringVar(&pinFile, "pin-file", "", "read the current PIN from the first line of FILE (default: ask)")
	c.Flags().StringVar(&newPinFile, "new-pin-file", "", "read the new PIN from the first line of FILE (default: ask twice)")
	return c
}

func newWalletHolderLogoutCmd(e *env, f *walletFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "logout",
		Short:   "End the session (the holder and the device secret stay)",
		Example: `  cairn wallet holder logout`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.profile(e, "")
			if err != nil {
				return err
			}
			if err := p.Logout(cmd.Context()); err != nil {
				return walletExit(err)
			}
			fmt.Fprintln(e.stdout, "logged out")
			return nil
		},
	}
}

func newWalletHolderRecoverCmd(e *env, f *walletFlags) *cobra.Command {
	var codeFile, pinFile string
	c := &cobra.Command{
		Use:   "recover [--code-file F] [--pin-file F]",
		Short: "Take a holder over with the recovery code: a new PIN and a new device secret",
		Long: `For a lost or new phone: with the recovery code, set a new PIN and a new
device secret (generated here and kept next to the session file), end
every other session, and log in. Every credential stays. The recovery
code stays valid.`,
		Example: `  cairn wallet --agent http://127.0.0.1:8082 holder recover --code-file code.txt --pin-file pin.txt`,
		Args:    cobra.NoArgs,
		RunE: f.runSession(e, func(sr *secretReader) (string, string, error) {
			return sr.secretAndNewPIN(codeFile, "Recovery code", pinFile, "New PIN (4 to 8 digits)")
		}, (*client.Profile).Recover, "recovered: holder %s, logged in until %s\n"),
	}
	c.Flags().StringVar(&codeFile, "code-file", "", "read the recovery code from the first line of FILE (default: ask)")
	c.Flags().StringVar(&pinFile, "pin-file", "", "read the new PIN from the first line of FILE (default: ask)")
	return c
}

func newWalletHolderWipeCmd(e *env, f *walletFlags) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "wipe --yes",
		Short: "Delete the holder and everything of theirs on the agent, then the local files",
		Long: `Quick wipe: in one call the agent deletes the holder, both wrapped keys,
every credential, key and log entry; nothing it kept can be opened
afterwards, with any PIN or recovery code. Then the session and device
files are removed. There is no undo: export first if the credentials are
to be kept. Needs a session (log in first) and --yes.`,
		Example: `  cairn wallet holder wipe --yes`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !yes {
				return usageError(errors.New("wiping cannot be undone: add --yes"))
			}
			p, err := f.profile(e, "")
			if err != nil {
				return err
			}
			if err := p.Wipe(cmd.Context()); err != nil {
				return walletExit(err)
			}
			fmt.Fprintln(e.stdout, "wiped")
			return nil
		},
	}
	c.Flags().BoolVar(&yes, "yes", false, "confirm the wipe")
	return c
}

// ---- list, log, export, import ----

func newWalletListCmd(e *env, f *walletFlags) *cobra.Command {
	var asJSON, noRefresh bool
	var lang string
	c := &cobra.Command{
		Use:   "list [--json] [--lang L] [--no-refresh]",
		Short: "List the holder's credentials: type, issuer, validity, status",
		Long: `List the holder's credentials, one line each (its copies, one per holder
key, counted), with the type's name in --lang (default: the holder's
setting), the issuer's name when the agent has a registry, the validity
and the status. Claim values are not shown. --json prints the agent's
answer.

The status is read from each issuer's status list by the agent (one
copy per credential; a revocation changes every copy), through its
cache, which keeps a list for the token's ttl and never past its exp:
valid, revoked, suspended, unavailable (with the reason, and the last
status read) or not_checked (the credential has no status entry), with
when it was read. --no-refresh reads no list: the last status read is
shown, with its age.`,
		Example: `  cairn wallet list
  cairn wallet list --lang uk
  cairn wallet list --no-refresh
  cairn wallet list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, c, err := f.open(e, lang)
			if err != nil {
				return err
			}
			get := c.Credentials
			if noRefresh {
				get = c.CredentialsStored
			}
			list, err := get(cmd.Context(), s.Token, lang)
			if err != nil {
				return walletExit(err)
			}
			if asJSON {
				return writeJSON(e.stdout, list)
			}
			if len(list.Credentials) == 0 {
				fmt.Fprintln(e.stdout, "no credentials")
				return nil
			}
			tw := newTable(e.stdout)
			fmt.Fprintln(tw, "ID\tTYPE\tISSUER\tISSUED\tVALIDITY\tSTATUS\tCOPIES")
			for _, v := range list.Credentials {
				iss := v.Issuer.Name
				if iss == "" {
					iss = v.Issuer.DID
				}
				if !v.Issuer.Registered {
					iss += " (not in registry)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", v.ID, v.TypeName, iss, v.IssuedAt.Format("2006-01-02"), v.Validity, client.StatusSummary(v), v.Copies)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&noRefresh, "no-refresh", false, "read no status list: show the last status read, with its age")
	c.Flags().StringVar(&lang, "lang", "", "language of the names (BCP 47; default: the holder's setting)")
	return c
}

func newWalletLogCmd(e *env, f *walletFlags) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "log [--json]",
		Short: "Show the consent log (offers accepted or refused, presentations) and check its chain",
		Long: `Show the holder's consent log, oldest first, and whether its hash chain
is intact (exit 3 when it was tampered with). --json prints the verified
export (format cairn-consent-log-v1).`,
		Example: `  cairn wallet log
  cairn wallet log --json > consent-log.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, c, err := f.open(e, "")
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if asJSON {
				b, err := c.ExportLog(ctx, s.Token)
				if err != nil {
					if ae := (*client.APIError)(nil); errors.As(err, &ae) && ae.Code == "log_tampered" {
						return withExit(ExitInvalid, err)
					}
					return walletExit(err)
				}
				_, err = e.stdout.Write(append(b, '\n'))
				return err
			}
			v, err := c.VerifyLog(ctx, s.Token)
			if err != nil {
				return walletExit(err)
			}
			entries, err := c.Log(ctx, s.Token)
			if err != nil {
				return walletExit(err)
			}
			printLog(e.stdout, entries)
			if !v.Intact {
				return reportedExit(ExitInvalid, fmt.Errorf("the consent log was tampered with at entry %d: %s", v.BrokenAt, v.Reason))
			}
			fmt.Fprintf(e.stdout, "chain intact: %d entries\n", v.Entries)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the verified JSON export")
	return c
}

func printLog(w io.Writer, entries []walletapi.LogEntry) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "no entries")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "#\tWHEN\tEVENT\tWITH\tCLAIMS")
	for _, en := range entries {
		with := en.PartyName
		if with == "" {
			with = en.PartyID
		}
		if en.Offline {
			with += " (offline)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", en.Seq, en.At.UTC().Format("2006-01-02 15:04"), en.Event, with, strings.Join(en.Claims, ", "))
	}
	tw.Flush()
}

func newWalletExportCmd(e *env, f *walletFlags) *cobra.Command {
	var out, passFile string
	c := &cobra.Command{
		Use:   "export --out FILE [--passphrase-file F]",
		Short: "Export the whole wallet as one file encrypted with a passphrase",
		Long: `Write the holder's whole wallet (keys, credentials, consent log,
settings) to FILE (mode 0600, never overwritten), encrypted with a
passphrase of at least 12 characters (docs/wallet-export.md). Import it
into a fresh holder on this or another agent with 'cairn wallet import'.`,
		Example: `  cairn wallet export --out backup.cwx --passphrase-file pass.txt`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError(errors.New("give --out FILE"))
			}
			if _, err := os.Lstat(out); err == nil {
				return usageError(fmt.Errorf("%s exists: not overwritten", out))
			}
			s, c, err := f.open(e, "")
			if err != nil {
				return err
			}
			pass, err := newSecretReader(e).read(passFile, "Passphrase (12 characters or more)")
			if err != nil {
				return err
			}
			b, err := c.Export(cmd.Context(), s.Token, pass)
			if err != nil {
				return walletExit(err)
			}
			if err := fsx.WriteNew(out, b, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "exported %d bytes to %s\n", len(b), out)
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "the export file to write")
	c.Flags().StringVar(&passFile, "passphrase-file", "", "read the passphrase from the first line of FILE (default: ask)")
	return c
}

func newWalletImportCmd(e *env, f *walletFlags) *cobra.Command {
	var passFile string
	c := &cobra.Command{
		Use:   "import FILE [--passphrase-file F]",
		Short: "Import an export file into the (fresh) holder",
		Long: `Import an export file into the logged-in holder, which must have no
credentials and no consent log entries yet (create one with 'holder
create' first). The exported holder keys replace the fresh ones, so every
credential stays usable.`,
		Example: `  cairn wallet import backup.cwx --passphrase-file pass.txt`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := bounded.ReadFile(args[0], wallet.MaxExportLen)
			if err != nil {
				return usageError(err)
			}
			s, c, err := f.open(e, "")
			if err != nil {
				return err
			}
			pass, err := newSecretReader(e).read(passFile, "Passphrase")
			if err != nil {
				return err
			}
			sum, err := c.Import(cmd.Context(), s.Token, file, pass)
			if err != nil {
				return walletExit(err)
			}
			fmt.Fprintf(e.stdout, "imported %d credential copies, %d keys, %d log entries (exported %s)\n",
				sum.Credentials, sum.Keys, sum.LogEntries, sum.ExportedAt.Format("2006-01-02 15:04Z"))
			return nil
		},
	}
	c.Flags().StringVar(&passFile, "passphrase-file", "", "read the passphrase from the first line of FILE (default: ask)")
	return c
}

func newWalletShowCmd(e *env, f *walletFlags) *cobra.Command {
	var asJSON bool
	var lang string
	c := &cobra.Command{
		Use:   "show ID [--json] [--lang L]",
		Short: "Show one credential with its claims, labelled in the holder's language",
		Long: `Show a credential (ID from 'cairn wallet list'): type, issuer, validity,
status, and each claim with its label and value. The values are the
holder's own data: show them only to the holder.`,
		Example: `  cairn wallet show 0hye92yyGVTNpVx5Xu-Qcw
  cairn wallet show 0hye92yyGVTNpVx5Xu-Qcw --lang ar --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, c, err := f.open(e, lang)
			if err != nil {
				return err
			}
			d, err := c.Credential(cmd.Context(), s.Token, args[0], lang)
			if err != nil {
				return walletExit(err)
			}
			if asJSON {
				return writeJSON(e.stdout, d)
			}
			fmt.Fprintf(e.stdout, "type:     %s\nissuer:   %s\nissued:   %s\nvalidity: %s\nstatus:   %s\n",
				d.TypeName, nonEmpty(d.Issuer.Name, d.Issuer.DID), d.IssuedAt.Format("2006-01-02"), d.Validity, client.StatusSummary(d.CredentialView))
			tw := newTable(e.stdout)
			for _, cl := range d.Claims {
				v, _ := json.Marshal(cl.Value)
				if s, ok := cl.Value.(string); ok {
					v = []byte(s)
				}
				fmt.Fprintf(tw, "  %s\t%s\n", cl.Label, v)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&lang, "lang", "", "language of the labels (BCP 47; default: the holder's setting)")
	return c
}

func newWalletKeysCmd(e *env, f *walletFlags) *cobra.Command {
	var refresh, asJSON bool
	c := &cobra.Command{
		Use:   "keys [--refresh] [--json]",
		Short: "Show the holder keys (used or unused; low) or add a fresh set",
		Long: `Each verifier is shown its own holder key while unused ones remain, so
two verifiers cannot link the holder by the key. 'keys' shows, per key,
how many verifiers were given it; when none is unused any more it says
so. --refresh adds a fresh set (the credentials then need re-issuance to
the new keys).`,
		Example: `  cairn wallet keys
  cairn wallet keys --refresh`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, c, err := f.open(e, "")
			if err != nil {
				return err
			}
			if refresh {
				r, err := c.RefreshKeys(cmd.Context(), s.Token)
				if err != nil {
					return walletExit(err)
				}
				fmt.Fprintf(e.stdout, "added %d keys\n", len(r.Keys))
			}
			ks, err := c.Keys(cmd.Context(), s.Token)
			if err != nil {
				return walletExit(err)
			}
			if asJSON {
				return writeJSON(e.stdout, ks)
			}
			tw := newTable(e.stdout)
			fmt.Fprintln(tw, "KEY\tVERIFIERS\tPRESENTATIONS")
			for _, k := range ks.Keys {
				fmt.Fprintf(tw, "%d\t%d\t%d\n", k.Index, k.Verifiers, k.Uses)
			}
			tw.Flush()
			fmt.Fprintf(e.stdout, "unused keys: %d\n", ks.Unused)
			if ks.Low {
				fmt.Fprintln(e.stdout, "LOW: every key was shown to a verifier; run 'cairn wallet keys --refresh' and have the credentials issued again")
			}
			return nil
		},
	}
	c.Flags().BoolVar(&refresh, "refresh", false, "add a fresh set of keys first")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
