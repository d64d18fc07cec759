package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/stack"
	"github.com/cairn-id/cairn/web/signin"
)

// newOperatorCmd groups the operator accounts of a stack's desk and
// console pages.
func newOperatorCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "operator",
		Short: "Manage the sign-in accounts of the issuer desk and the caseworker console",
		Long: `The issuer desk (/desk/) and the caseworker console (/caseworker/) of
'cairn up' are served only to a signed-in operator. A desk operator acts
for one issuer (--issuer NAME, one of DATA/issuers/); a caseworker for
the stack's verifier desk. The first run creates desk-NAME for each
issuer and caseworker, each with a generated sign-in code in
DATA/operators/NAME.code (mode 0600; hand it over, then delete the file).

Accounts are kept in DATA/operators.json (mode 0600) as hashes, never
the secret: Argon2id for a chosen password, a salted HMAC-SHA-256 for a
generated code (100 random bits need no slow hash). Changes are made
under a lock (DATA/operators.json.lock), so commands run at the same
moment keep each other's accounts, and count at once, also while
'cairn up' runs.`,
		Example: `  cairn operator add --data cairn-data --role caseworker amal
  cairn operator add --data cairn-data --role desk --issuer clinic --password-file pw.txt sam
  cairn operator list --data cairn-data`,
	}
	c.AddCommand(newOperatorAddCmd(e), newOperatorRemoveCmd(e), newOperatorListCmd(e))
	return c
}

type operatorAddOptions struct {
	data, role, issuer, passwordFile string
	password, replace, json          bool
}

func newOperatorAddCmd(e *env) *cobra.Command {
	o := &operatorAddOptions{}
	c := &cobra.Command{
		Use:   "add --role desk|caseworker [--issuer NAME] [--password-file FILE | --password] [--replace] NAME",
		Short: "Add an operator account (a generated sign-in code, or a password)",
		Long: `Add the operator account NAME (lower-case letters, digits, . _ -).

Without --password-file or --password a sign-in code is generated and
written to DATA/operators/NAME.code (mode 0600); its path is printed,
never the code. --password-file reads a password (at least 12
characters) from the first line of FILE; --password asks for it twice on
the terminal without echo. --replace gives an existing account a new
secret (its open sign-ins stay until they end or it signs out).`,
		Example: `  cairn operator add --data cairn-data --role caseworker amal
  cairn operator add --data cairn-data --role desk --issuer clinic sam
  cairn operator add --data cairn-data --role desk --issuer school --password --replace ana`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(e, args[0]) },
	}
	f := c.Flags()
	f.StringVar(&o.data, "data", "cairn-data", "data directory of the stack")
	f.StringVar(&o.role, "role", "", "desk (acts for --issuer) or caseworker (acts for the verifier desk)")
	f.StringVar(&o.issuer, "issuer", "", "with --role desk: the issuer's name (a directory of DATA/issuers/)")
	f.StringVar(&o.passwordFile, "password-file", "", "read the password from the first line of this file")
	f.BoolVar(&o.password, "password", false, "ask for the password on the terminal (not echoed)")
	f.BoolVar(&o.replace, "replace", false, "give an existing account a new secret")
	f.BoolVar(&o.json, "json", false, "print the account and the code file's path as JSON")
	return c
}

func (o *operatorAddOptions) run(e *env, name string) error {
	if o.password && o.passwordFile != "" {
		return usageError(errors.New("--password and --password-file: choose one"))
	}
	req := stack.OperatorRequest{Name: name, Role: signin.Role(o.role), Issuer: o.issuer, Replace: o.replace, Now: e.now()}
	r := newSecretReader(e)
	switch {
	case o.passwordFile != "":
		pw, err := r.read(o.passwordFile, "")
		if err != nil {
			return err
		}
		req.Secret = pw
	case o.password:
		if !readerIsTerminal(e.stdin) {
			return usageError(errors.New("--password asks on a terminal; give --password-file FILE otherwise"))
		}
		pw, err := r.read("", "Password for "+name)
		if err != nil {
			return err
		}
		again, err := r.read("", "Password again")
		if err != nil {
			return err
		}
		if again != pw {
			return usageError(errors.New("the two passwords differ"))
		}
		req.Secret = pw
	}
	data, err := filepath.Abs(o.data)
	if err != nil {
		return usageError(err)
	}
	path, err := stack.AddOperator(data, req)
	switch {
	case errors.Is(err, signin.ErrInvalid), errors.Is(err, signin.ErrExists), errors.Is(err, stack.ErrUnknownIssuer):
		return usageError(err)
	case err != nil:
		return withExit(ExitFailure, err)
	}
	if o.json {
		return writeJSON(e.stdout, map[string]string{"name": name, "role": o.role, "scope": scopeOf(req), "code_file": path})
	}
	if path != "" {
		fmt.Fprintln(e.stdout, path)
		fmt.Fprintf(e.stderr, "account %s (%s for %s): its sign-in code is in the file above (0600); hand it over, then delete the file\n", name, o.role, scopeOf(req))
	} else {
		fmt.Fprintf(e.stderr, "account %s (%s for %s) added with its password\n", name, o.role, scopeOf(req))
	}
	return nil
}

func scopeOf(req stack.OperatorRequest) string {
	if req.Role == signin.RoleDesk {
		return req.Issuer
	}
	return stack.CaseworkerScope
}

func newOperatorRemoveCmd(e *env) *cobra.Command {
	var data string
	c := &cobra.Command{
		Use:     "remove NAME",
		Short:   "Remove an operator account (its sign-ins end at their next request)",
		Example: `  cairn operator remove --data cairn-data sam`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := stack.RemoveOperator(data, args[0])
			if errors.Is(err, signin.ErrUnknown) {
				return usageError(err)
			}
			if err != nil {
				return withExit(ExitFailure, err)
			}
			fmt.Fprintf(e.stderr, "account %s removed\n", args[0])
			return nil
		},
	}
	c.Flags().StringVar(&data, "data", "cairn-data", "data directory of the stack")
	return c
}

func newOperatorListCmd(e *env) *cobra.Command {
	var data string
	var asJSON bool
	c := &cobra.Command{
		Use:     "list [--json]",
		Short:   "List the operator accounts (names, roles, scopes; never a secret)",
		Example: `  cairn operator list --data cairn-data`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			as, err := stack.OperatorAccounts(data).Load()
			if err != nil {
				return withExit(ExitFailure, err)
			}
			type row struct {
				Name    string `json:"name"`
				Role    string `json:"role"`
				Scope   string `json:"scope"`
				Created string `json:"created"`
			}
			rows := []row{}
			for _, a := range as {
				rows = append(rows, row{a.Name, string(a.Role), a.Scope, a.Created.UTC().Format("2006-01-02T15:04:05Z")})
			}
			if asJSON {
				return writeJSON(e.stdout, rows)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tFOR\tCREATED")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Role, r.Scope, r.Created)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&data, "data", "cairn-data", "data directory of the stack")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
