package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/schemas"
)

func newSchemasCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "schemas",
		Short: "List and inspect the credential types (claims, labels, selective disclosure, evidence)",
		Long: `The credential types Cairn knows are built into the binary: for each, a
JSON Schema for its claims, SD-JWT VC type metadata with labels in English,
French, Arabic and Ukrainian, which claims are selectively disclosable, the
default evidence scores and the longest lifetime a credential may have.`,
	}
	c.AddCommand(newSchemasListCmd(e), newSchemasShowCmd(e))
	return c
}

type schemasListOptions struct {
	lang   string
	asJSON bool
}

func newSchemasListCmd(e *env) *cobra.Command {
	o := &schemasListOptions{}
	c := &cobra.Command{
		Use:   "list",
		Short: "List the credential types",
		Example: `  cairn schemas list
  cairn schemas list --lang uk
  cairn schemas list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&o.lang, "lang", "en", "language of names (BCP 47 tag: en, fr, ar, uk, …)")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the list as JSON")
	return c
}

// schemaSummary is one entry of `schemas list --json`.
type schemaSummary struct {
	VCT             string            `json:"vct"`
	Name            string            `json:"name"`
	Description     string            `json:"description,omitempty"`
	Version         int               `json:"version"`
	MaxTTL          string            `json:"max_ttl,omitempty"` // ISO 8601, "P90D"
	DefaultEvidence schemas.Evidence  `json:"default_evidence"`
	MaxEvidence     *schemas.Evidence `json:"max_evidence,omitempty"`
}

func (o *schemasListOptions) run(w io.Writer) error {
	cat, err := schemas.Load()
	if err != nil {
		return withExit(ExitFailure, err)
	}
	if o.asJSON {
		out := []schemaSummary{}
		for _, t := range cat.Types() {
			s := schemaSummary{
				VCT: t.VCT, Name: t.DisplayName(o.lang), Description: t.Description(o.lang),
				Version: t.Version, MaxTTL: schemasISODays(t.MaxTTL), DefaultEvidence: t.DefaultEvidence,
			}
			if t.MaxEvidence != (schemas.Evidence{}) {
				m := t.MaxEvidence
				s.MaxEvidence = &m
			}
			out = append(out, s)
		}
		return writeJSON(w, out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VCT\tNAME\tMAX TTL\tDEFAULT EVIDENCE")
	for _, t := range cat.Types() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.VCT, t.DisplayName(o.lang), schemasTTLText(t.MaxTTL), schemasEvidenceShort(t.DefaultEvidence))
	}
	return tw.Flush()
}

type schemasShowOptions struct {
	lang   string
	asJSON bool
}

func newSchemasShowCmd(e *env) *cobra.Command {
	o := &schemasShowOptions{}
	c := &cobra.Command{
		Use:   "show VCT",
		Short: "Show one credential type: claims, labels, sd policy, evidence, lifetime",
		Long: `Show a credential type. VCT is its full identifier
(urn:cairn:vct:<name>:<major>) or just its name for the newest version.
With --json, print the SD-JWT VC type metadata document as served.`,
		Example: `  cairn schemas show urn:cairn:vct:identity-attestation:1
  cairn schemas show community-vouching --lang ar
  cairn schemas show guardianship --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.OutOrStdout(), args[0])
		},
	}
	c.Flags().StringVar(&o.lang, "lang", "en", "language of labels (BCP 47 tag: en, fr, ar, uk, …)")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the SD-JWT VC type metadata document")
	return c
}

func (o *schemasShowOptions) run(w io.Writer, ref string) error {
	cat, err := schemas.Load()
	if err != nil {
		return withExit(ExitFailure, err)
	}
	t, err := cat.Resolve(ref)
	if err != nil {
		return withExit(ExitFailure, fmt.Errorf("%w (run \"cairn schemas list\" to see the known types)", err))
	}
	if o.asJSON {
		b := t.MetadataJSON()
		if _, err := w.Write(append(b, '\n')); err != nil {
			return withExit(ExitFailure, err)
		}
		return nil
	}
	fmt.Fprintf(w, "%s (%s)\n", t.DisplayName(o.lang), t.VCT)
	if d := t.Description(o.lang); d != "" {
		fmt.Fprintln(w, d)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Version:\t%d\n", t.Version)
	fmt.Fprintf(tw, "Max lifetime:\t%s\n", schemasTTLText(t.MaxTTL))
	fmt.Fprintf(tw, "Default evidence:\t%s\n", schemasEvidenceLong(t.DefaultEvidence))
	capText := "none beyond the shared ranges"
	if t.MaxEvidence != (schemas.Evidence{}) {
		capText = schemasEvidenceLong(t.MaxEvidence)
	}
	fmt.Fprintf(tw, "Evidence cap:\t%s\n", capText)
	if err := tw.Flush(); err != nil {
		return withExit(ExitFailure, err)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLAIM\tLABEL\tSD\tMANDATORY")
	for _, cm := range t.Metadata.Claims {
		mandatory := ""
		if cm.Mandatory {
			mandatory = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", schemasClaimPointer(cm.Path), t.Label(cm.Path, o.lang), t.SDPolicy(cm.Path), mandatory)
	}
	return tw.Flush()
}

// resolveTypeRefs replaces each type reference (full vct or short name,
// schemas.Catalogue.Resolve) by its full vct; an unknown one is left as
// it is, for the command's own "unknown type" message.
func resolveTypeRefs(refs ...*string) {
	cat, err := schemas.Load()
	if err != nil {
		return
	}
	for _, r := range refs {
		if *r == "" {
			continue
		}
		if t, err := cat.Resolve(*r); err == nil {
			*r = t.VCT
		}
	}
}

func schemasClaimPointer(p []any) string {
	var b strings.Builder
	for _, e := range p {
		b.WriteByte('/')
		switch v := e.(type) {
		case string:
			b.WriteString(v)
		case int:
			fmt.Fprint(&b, v)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

func schemasTTLText(d time.Duration) string {
	if d == 0 {
		return "no limit"
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

func schemasISODays(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("P%dD", int(d/(24*time.Hour)))
}

func schemasEvidenceShort(e schemas.Evidence) string {
	s := fmt.Sprintf("S%d V%d", e.Strength, e.Validity)
	if e.Verification != 0 {
		s += fmt.Sprintf(" Ver%d", e.Verification)
	}
	if e.IdentityFraud != 0 {
		s += fmt.Sprintf(" F%d", e.IdentityFraud)
	}
	if e.Method != "" {
		s += " (" + e.Method + ")"
	}
	return s
}

func schemasEvidenceLong(e schemas.Evidence) string {
	var parts []string
	add := func(name string, v int) {
		if v != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", name, v))
		}
	}
	add("strength", e.Strength)
	add("validity", e.Validity)
	add("verification", e.Verification)
	add("identity fraud", e.IdentityFraud)
	if e.Method != "" {
		parts = append(parts, "method "+e.Method)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
