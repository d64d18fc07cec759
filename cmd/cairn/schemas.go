package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/claimpath"
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
	// External: issued outside Cairn (the EU PID); verified, never issued.
	External bool `json:"external,omitempty"`
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
				Version: t.Version, MaxTTL: schemasISODays(t.MaxTTL), DefaultEvidence: t.DefaultEvidence, External: t.External,
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
		ev := schemasEvidenceShort(t.DefaultEvidence)
		if t.External {
			ev = "(issued outside Cairn: verified, never issued)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.VCT, t.DisplayName(o.lang), schemasTTLText(t.MaxTTL), ev)
	}
	return tw.Flush()
}

type schemasShowOptions struct {
	lang   string
	asJSON bool
	values string // --values CLAIM
}

func newSchemasShowCmd(e *env) *cobra.Command {
	o := &schemasShowOptions{}
	c := &cobra.Command{
		Use:   "show VCT",
		Short: "Show one credential type: claims, labels, sd policy, evidence, lifetime",
		Long: `Show a credential type. VCT is its full identifier
(urn:cairn:vct:<name>:<major>) or just its name for the newest version.
The claims are listed with their labels, their selective disclosure
policy, the format they are typed in (at the issuer's prompt, in a
drive's CSV file) and their allowed values, labelled in --lang where the
catalogue has labels; then the type's evidence presets (issuer offer
--evidence, the CSV column evidence). Country claims take an ISO 3166-1
alpha-2 code or the country's name in English, French, Arabic or
Ukrainian; --values CLAIM lists every allowed value of one claim.
With --json, print the SD-JWT VC type metadata document as served.`,
		Example: `  cairn schemas show urn:cairn:vct:identity-attestation:1
  cairn schemas show community-vouching --lang ar
  cairn schemas show identity-attestation --lang fr --values /nationalities
  cairn schemas show guardianship --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.OutOrStdout(), args[0])
		},
	}
	c.Flags().StringVar(&o.lang, "lang", "en", "language of labels (BCP 47 tag: en, fr, ar, uk, …)")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the SD-JWT VC type metadata document")
	c.Flags().StringVar(&o.values, "values", "", "list every allowed value of this claim (JSON Pointer, e.g. /nationalities) with its label")
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
	if o.values != "" {
		return o.listValues(w, t)
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", claimpath.FromPath(cm.Path), t.Label(cm.Path, o.lang), t.SDPolicy(cm.Path), mandatory)
	}
	if err := tw.Flush(); err != nil {
		return withExit(ExitFailure, err)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLAIM\tFORMAT\tALLOWED VALUES")
	for _, f := range schemasLeafFields(t.ClaimFields(o.lang)) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Pointer, schemasFormat(f), schemasAllowed(t, f, o.lang))
	}
	if err := tw.Flush(); err != nil {
		return withExit(ExitFailure, err)
	}
	fmt.Fprintln(w, "\nEvidence presets:")
	for _, name := range t.EvidencePresetNames() {
		ev, _ := t.EvidencePreset(name)
		desc := ""
		for _, p := range t.EvidencePresets {
			if p.Name == name {
				if p.Default {
					name += " (default)"
				}
				desc = " — " + p.Description
			}
		}
		fmt.Fprintf(w, "  %s: %s%s\n", name, schemasEvidenceLong(ev), desc)
	}
	return nil
}

// listValues prints every allowed value of one claim with its label.
func (o *schemasShowOptions) listValues(w io.Writer, t *schemas.Type) error {
	var f *schemas.Field
	for _, lf := range schemasLeafFields(t.ClaimFields(o.lang)) {
		if lf.Pointer == o.values || lf.Pointer == o.values+"/*" {
			f = &lf
			break
		}
	}
	if f == nil {
		return usageError(fmt.Errorf("--values %s: not a claim of %s (see 'cairn schemas show %s')", o.values, t.VCT, t.Name))
	}
	if len(f.Enum) == 0 {
		_, err := fmt.Fprintf(w, "%s: %s, any value\n", f.Pointer, schemasFormat(*f))
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, v := range f.Enum {
		l, _ := t.AllowedValueLabel(schemasValuePath(*f), v, o.lang)
		fmt.Fprintf(tw, "%s\t%s\n", v, l)
	}
	return tw.Flush()
}

// schemasLeafFields flattens fields to the claims typed as one value.
func schemasLeafFields(fields []schemas.Field) []schemas.Field {
	var out []schemas.Field
	for _, f := range fields {
		if f.Kind == schemas.KindObject || f.Kind == schemas.KindObjectArray {
			out = append(out, schemasLeafFields(f.Fields)...)
			continue
		}
		out = append(out, f)
	}
	return out
}

// schemasValuePath is the path ValueLabel takes for a field's values
// (every element of a list).
func schemasValuePath(f schemas.Field) []any {
	if f.Kind == schemas.KindStringArray {
		return append(append([]any(nil), f.Path...), nil)
	}
	return f.Path
}

// schemasIsCountry: the values are the catalogue's country codes.
func schemasIsCountry(f schemas.Field) bool {
	return len(f.Enum) > 200 && slices.Contains(f.Enum, "UA") && slices.Contains(f.Enum, "SY")
}

// schemasFormat says how a claim is typed.
func schemasFormat(f schemas.Field) string {
	kind := f.Kind
	prefix := ""
	if kind == schemas.KindStringArray {
		kind, prefix = f.Elem, "list (; between entries) of "
	}
	var s string
	switch kind {
	case schemas.KindDate:
		s = "date YYYY-MM-DD"
		if f.Precision != "" {
			s += ", or YYYY-MM or YYYY (sets /" + f.Precision + ")"
		}
	case schemas.KindInteger:
		s = "whole number"
	case schemas.KindNumber:
		s = "number"
	case schemas.KindBoolean:
		s = "yes/no"
	case schemas.KindString:
		switch {
		case schemasIsCountry(f):
			s = "country"
		case len(f.Enum) > 0:
			s = "one of the values"
		case f.Pattern != "":
			s = "text in the form " + f.Pattern
		default:
			s = "text"
		}
	default:
		s = string(kind)
	}
	if f.Derived {
		s += "; set from the date as typed"
	}
	return prefix + s
}

// schemasAllowed lists the allowed values with their labels in lang.
func schemasAllowed(t *schemas.Type, f schemas.Field, lang string) string {
	switch {
	case len(f.Enum) == 0:
		return "-"
	case schemasIsCountry(f):
		return fmt.Sprintf("ISO 3166-1 alpha-2 country code or the country's name in English, French, Arabic or Ukrainian (%d codes; --values %s lists them)",
			len(f.Enum), strings.TrimSuffix(f.Pointer, "/*"))
	}
	parts := make([]string, len(f.Enum))
	for i, v := range f.Enum {
		parts[i] = v
		if l, ok := t.AllowedValueLabel(schemasValuePath(f), v, lang); ok {
			parts[i] += " (" + l + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// resolveTypeRefs replaces each type reference (full vct or short name,
// cat.Resolve) by its full vct; an unknown one is left as it is, for the
// command's own "unknown type" message.
func resolveTypeRefs(cat *schemas.Catalogue, refs ...*string) {
	for _, r := range refs {
		if *r == "" {
			continue
		}
		if t, err := cat.Resolve(*r); err == nil {
			*r = t.VCT
		}
	}
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
