// Command cairn is the single binary of Cairn: keys, credentials, the trust
// registry, the issuer, the wallet agent and the verifier. It only wires
// cobra commands to the library packages and maps errors to exit codes
// (see exit.go); all logic lives in importable packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// env is what commands get from the process instead of reaching for
// globals, so tests can run commands in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time
	// store is the --store flags of the command group (issuer), nil
	// where there are none.
	store *storeFlags
	// self is how this binary was invoked (os.Args[0]), for commands
	// printed for the user to run next; empty means "cairn".
	self string
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "cairn",
		Short: "Accretionary identity: keys, SD-JWT VCs, trust registry, issuer, wallet, verifier",
		Long: `cairn is the command-line tool of Cairn, an identity wallet backend and
verifier for people on the move. Issuers attach SD-JWT verifiable
credentials to a migrant-held DID; verifiers check selective-disclosure
presentations against a signed trust registry.

Exit codes:
  0  success (for verify: the credential is valid)
  1  failure (I/O, storage, unexpected)
  2  usage error (bad flags or arguments, unreadable input)
  3  invalid (signature, format, disclosure or key binding checks failed;
     for a trusted list: its signature, schema or profile)
  4  untrusted issuer (neither pinned nor trusted; for a trusted list: its
     signer does not chain to a pinned anchor, or it is a rollback)
  5  expired or not yet valid (a trusted list past NextUpdate and grace)
  6  revoked
  7  suspended
  8  issuer not authorized for this credential type
  9  could not check revocation (status list unreachable or unusable)
  10 nothing was created (issuer offer-batch: every row refused; a trusted
     list import: no service qualified as an anchor)
  11 no result yet, or the session expired unanswered (verifier result)
  12 presentation refused as a whole (different holders, query not
     answered, declined) or its identity claims disagree (review)
  13 offline bundle past its expiry (verifier check)
  20 wallet: locked out or rate-limited (wait, then retry)
  21 wallet: not logged in, or the session ended
  22 wallet: wrong PIN, device secret, recovery code or passphrase`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.SetVersionTemplate("cairn {{.Version}}\n")
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError(err)
	})
	for _, c := range commandSet(e) {
		root.AddCommand(c)
	}
	requireSubcommands(root)
	return root
}

// buildVersion describes the binary from its build information: module
// version (or "devel"), Go release, and the settings that matter for a
// release build (CGO_ENABLED, -trimpath, target platform).
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	out := v + " " + bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "CGO_ENABLED", "-trimpath", "GOOS", "GOARCH":
			out += " " + s.Key + "=" + s.Value
		}
	}
	return out
}

// requireSubcommands makes every command group fail with a usage error on
// an unknown subcommand, instead of printing help and exiting 0 (cobra's
// default below the root), so a typo in a script is never mistaken for
// success.
func requireSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		requireSubcommands(sub)
	}
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil && c.HasParent() {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError(fmt.Errorf("unknown command %q for %q; see '%s --help'", args[0], cmd.CommandPath(), cmd.CommandPath()))
			}
			return cmd.Help()
		}
	}
}

// commandSet lists the command groups; each group owns its own file.
func commandSet(e *env) []*cobra.Command {
	return []*cobra.Command{
		// command groups are added here, one line each
		newKeysCmd(e),
		newCredentialCmd(e),
		newSchemasCmd(e),
		newIssuerCmd(e),
		newRegistryCmd(e),
		newVerifierCmd(e),
		newWalletCmd(e),
		newUpCmd(e),
		newDevCmd(e),
		newOperatorCmd(e),
	}
}

// run executes the CLI and returns the process exit code.
func run(ctx context.Context, args []string, e *env) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) || !ee.reported {
		fmt.Fprintln(e.stderr, "cairn:", err)
	}
	return exitCode(err)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now, self: os.Args[0]})
	stop()
	os.Exit(code)
}
