package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/issuer/issuerdir"
	"github.com/cairn-id/cairn/schemas"
)

// pastTense names what a status verb does, for messages.
func pastTense(verb string) string {
	switch verb {
	case "revoke":
		return "revoked"
	case "suspend":
		return "suspended"
	case "reinstate":
		return "reinstated"
	}
	return verb + "d"
}

type issuerJPTOptions struct {
	dir             string
	enable, disable []string
	asJSON          bool
}

func newIssuerJPTCmd(e *env) *cobra.Command {
	o := &issuerJPTOptions{}
	c := &cobra.Command{
		Use:   "jpt --dir DIR (--enable TYPE | --disable TYPE)...",
		Short: "Offer types in the experimental unlinkable jpt format too (BBS key)",
		Long: `Enable or disable the experimental jpt format (JSON Proof Tokens signed
with BBS: presentations that two verifiers cannot link) for types of the
issuer. SD-JWT VC stays every type's default and stays on; a jpt offer is
made with 'cairn issuer offer --format jpt'.

Enabling creates the issuer's BBS key (issuer-bbs.jwk, 0600) when the
directory has none; an existing key is never replaced. Its did:jwk is
printed on stdout: the registry authority lists it as a further key of
this issuer ('cairn registry add-key --did ISSUER-DID --bbs-key DID'), so
verifiers check jpt credentials against the issuer's authorizations.

jpt credentials carry no holder binding, no status entry and dates
rounded to the day; they are valid 30 days and cannot be revoked, only
left to expire. A running 'cairn issuer serve' picks the change up when
started again.`,
		Example: `  cairn issuer jpt --dir ngo --enable humanitarian-registration
  cairn issuer jpt --dir ngo --disable urn:cairn:vct:language-skills:1 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(e) },
	}
	c.Flags().StringVar(&o.dir, "dir", "", "issuer directory")
	c.Flags().StringSliceVar(&o.enable, "enable", nil, "type to offer as jpt too (full vct or short name); repeatable")
	c.Flags().StringSliceVar(&o.disable, "disable", nil, "type to stop offering as jpt; repeatable")
	c.Flags().BoolVar(&o.asJSON, "json", false, `print {"did", "bbs_key", "jpt"} as JSON`)
	_ = c.MarkFlagRequired("dir")
	c.MarkFlagsOneRequired("enable", "disable")
	return c
}

func (o *issuerJPTOptions) run(e *env) error {
	if _, err := issuerdir.ReadConfig(o.dir); err != nil {
		return usageError(err)
	}
	cat, err := schemas.Load()
	if err != nil {
		return err
	}
	apply := func(types []string, enable bool) error {
		for _, t := range types {
			resolveTypeRefs(cat, &t)
			_, err := issuerdir.SetJPT(o.dir, t, enable, nil)
			var bad *issuerdir.InitError
			if errors.As(err, &bad) {
				return usageError(bad.Err)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := apply(o.enable, true); err != nil {
		return err
	}
	if err := apply(o.disable, false); err != nil {
		return err
	}
	c, err := issuerdir.ReadConfig(o.dir)
	if err != nil {
		return err
	}
	if o.asJSON {
		jpt := c.JPT
		if jpt == nil {
			jpt = []string{}
		}
		return writeJSON(e.stdout, map[string]any{"did": c.DID, "bbs_key": c.BBSKey, "jpt": jpt})
	}
	if c.BBSKey != "" {
		fmt.Fprintln(e.stdout, c.BBSKey)
	}
	if len(c.JPT) == 0 {
		fmt.Fprintln(e.stderr, "no type is offered as jpt")
		return nil
	}
	fmt.Fprintf(e.stderr, "offered as jpt (beside SD-JWT VC): %s\n", strings.Join(c.JPT, ", "))
	fmt.Fprintf(e.stderr, "registry: cairn registry add-key --did %s --bbs-key %s\n", c.DID, c.BBSKey)
	fmt.Fprintln(e.stderr, "restart 'cairn issuer serve' on this directory for the change to take effect")
	return nil
}
