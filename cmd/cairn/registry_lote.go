package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/lote"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/x509trust"
	"github.com/cairn-id/cairn/registry"
)

// flagUnsignedList marks anchors imported from a list taken without a
// signature (--allow-unsigned).
const flagUnsignedList = "unsigned_list"

type registryImportLoteOptions struct {
	list, sealAnchors                          string
	lenient, allowUnsigned, devNetwork, asJSON bool
	grace                                      time.Duration
	maxStrength, maxValidity, maxVerification  int
}

func newRegistryImportLoteCmd(e *env) *cobra.Command {
	o := &registryImportLoteOptions{}
	c := &cobra.Command{
		Use:   "import-lote FILE|URL --list pid --seal-anchors PEM [--lenient]",
		Short: "Import an ETSI TS 119 602 List of Trusted Entities (EU PID providers) as X.509-anchored issuers",
		Long: `Import a List of Trusted Entities (ETSI TS 119 602) published as a compact
JWS. The signer certificate in the JWS x5c must chain to one of the seal
anchors in --seal-anchors (PEM, the scheme operator's certificates you
pinned); the payload must match the TS 119 602 JSON Schema and, for --list
pid, the Annex D profile of the EU PID Providers list: LoTEType
…/EUPIDProvidersList, territory EU, NextUpdate at most six months after
issue, services typed …/SvcType/PID/Issuance (anchors "pid") or
…/PID/Revocation (anchors "pid-status").

Each trusted entity becomes a registry issuer (a did:x509-form id, its
names, its anchors with their status history and source) authorized for
urn:eudi:pid:* within the caps given. Re-importing keeps history: an anchor
that left the list is revoked from this import, so a PID issued before
still verifies as "trusted then, revoked now". A list older than the one
imported before is refused. Past its NextUpdate a list is imported as stale
(warning) until --stale-grace has passed, then refused.

--lenient accepts a service without ServiceTypeIdentifier as a PID issuance
service, flagged service_type_missing on each anchor (the EUDI reference
list needs it). --allow-unsigned takes a bare JSON payload (test data only;
its anchors are flagged unsigned_list). Publish afterwards to make the
change visible to verifiers.

Exit codes: 0 imported, 1 file, network or storage error, 2 usage,
3 the list is malformed, fails the schema or the profile, or its signature
does not verify, 4 its signer does not chain to a seal anchor, or it is
older than the list imported before, 5 it is past NextUpdate beyond the
grace, 10 nothing imported: no service qualified as a PID anchor.`,
		Example: `  cairn registry import-lote PIDProviders.jwt --list pid --seal-anchors eu-lote-seal.pem
  cairn registry import-lote https://trustedlist.example.eu/LOTE/PIDProviders.jwt --list pid --seal-anchors eu-lote-seal.pem --json
  cairn registry import-lote lote-pid-providers.json --list pid --allow-unsigned --lenient`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, e, args[0]) },
	}
	f := c.Flags()
	f.StringVar(&o.list, "list", "", "which list profile: pid (TS 119 602 Annex D)")
	f.StringVar(&o.sealAnchors, "seal-anchors", "", "PEM file of the scheme operator's seal anchors the list signer must chain to")
	f.BoolVar(&o.lenient, "lenient", false, "accept services without ServiceTypeIdentifier as PID issuance (flagged)")
	f.BoolVar(&o.allowUnsigned, "allow-unsigned", false, "TEST DATA ONLY: accept a bare JSON payload without signature (anchors flagged)")
	f.DurationVar(&o.grace, "stale-grace", 7*24*time.Hour, "how long past NextUpdate a list is still imported (as stale)")
	f.IntVar(&o.maxStrength, "max-strength", registry.PIDAuthorization.MaxStrength, "cap on evidence strength for the imported providers (1–4)")
	f.IntVar(&o.maxValidity, "max-validity", registry.PIDAuthorization.MaxValidity, "cap on evidence validity (1–4)")
	f.IntVar(&o.maxVerification, "max-verification", registry.PIDAuthorization.MaxVerification, "cap on verification score (0–4)")
	f.BoolVar(&o.devNetwork, "dev-allow-private-network", false, "DEVELOPMENT ONLY: allow loopback/private addresses and http for a URL")
	f.BoolVar(&o.asJSON, "json", false, "print the import report as JSON")
	_ = c.MarkFlagRequired("list")
	return c
}

// readListSource reads FILE or fetches URL (bounded, SSRF-guarded).
func readListSource(ctx context.Context, src string, devNetwork bool, accept string, max int64) ([]byte, error) {
	if strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") {
		client := httpx.NewClient(httpx.Options{AllowPrivate: devNetwork, Timeout: 30 * time.Second})
		b, _, err := httpx.GetBounded(ctx, client, src, accept, max)
		if err != nil {
			return nil, withExit(ExitFailure, fmt.Errorf("fetch %s: %w", src, err))
		}
		return b, nil
	}
	fh, err := os.Open(src)
	if err != nil {
		return nil, usageError(err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, max+1))
	if err != nil {
		return nil, withExit(ExitFailure, err)
	}
	if int64(len(b)) > max {
		return nil, withExit(ExitInvalid, fmt.Errorf("%s is larger than %d bytes", src, max))
	}
	return b, nil
}

func parseCertDER(der []byte) (*x509.Certificate, error) { return x509.ParseCertificate(der) }

// loadPEMCertificates reads every CERTIFICATE block of a PEM file.
func loadPEMCertificates(flag, path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError(fmt.Errorf("%s: %w", flag, err))
	}
	certs, err := x509trust.ParseCertificatesPEM(b)
	if err != nil {
		return nil, usageError(fmt.Errorf("%s %s: %w", flag, path, err))
	}
	return certs, nil
}

func loteErr(err error) error {
	switch {
	case errors.Is(err, lote.ErrUntrustedSigner), errors.Is(err, registry.ErrListRollback):
		return withExit(ExitUntrusted, err)
	case errors.Is(err, lote.ErrStale):
		return withExit(ExitExpired, err)
	case errors.Is(err, lote.ErrNoAnchors):
		return withExit(ExitNothingOffered, err)
	case errors.Is(err, lote.ErrMalformed), errors.Is(err, lote.ErrSchema), errors.Is(err, lote.ErrSignature), errors.Is(err, lote.ErrProfile):
		return withExit(ExitInvalid, err)
	}
	return registryErr(err)
}

func (o *registryImportLoteOptions) run(cmd *cobra.Command, e *env, src string) error {
	if o.list != "pid" {
		return usageError(fmt.Errorf("--list %q: the supported list profile is pid (TS 119 602 Annex D)", o.list))
	}
	if (o.sealAnchors == "") == !o.allowUnsigned {
		return usageError(errors.New("give --seal-anchors PEM (or, for test data only, --allow-unsigned)"))
	}
	if o.grace < 0 {
		return usageError(errors.New("--stale-grace must not be negative"))
	}
	auth := trust.IssuerAuthorization{VCT: registry.PIDAuthorization.VCT, MaxStrength: o.maxStrength, MaxValidity: o.maxValidity, MaxVerification: o.maxVerification}
	now := registryNow(e)().UTC()
	raw, err := readListSource(cmd.Context(), src, o.devNetwork, "application/jwt, application/jose, application/json, */*;q=0.1", lote.MaxListLen*4/3+64<<10)
	if err != nil {
		return err
	}
	rep := loteReport{Source: src}
	var list *lote.List
	var extra []string
	if o.allowUnsigned {
		if list, err = lote.Parse(raw); err != nil {
			return loteErr(err)
		}
		extra = []string{flagUnsignedList}
		rep.Warnings = append(rep.Warnings, "the list was taken WITHOUT a signature (--allow-unsigned): test data only")
	} else {
		anchors, err := loadPEMCertificates("--seal-anchors", o.sealAnchors)
		if err != nil {
			return err
		}
		s, err := lote.Verify(strings.TrimSpace(string(raw)), lote.VerifyOptions{SealAnchors: anchors, Now: now})
		if err != nil {
			return loteErr(err)
		}
		list = s.List
		rep.Signer, rep.SealAnchor = s.Signer().Subject.String(), s.Anchor().Subject.String()
	}
	r, perr := lote.CheckPIDProfile(list, lote.ProfileOptions{Lenient: o.lenient, Now: now, Grace: o.grace})
	if r == nil {
		return loteErr(perr)
	}
	rep.fromProfile(r, extra...)
	if perr != nil {
		return o.print(cmd, e, &rep, withExit(ExitNothingOffered, perr))
	}
	s, err := openRegistryDB(cmd, e, false)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := registryService(e, s).ImportList(cmd.Context(), registry.FromLoTE(r, src, auth, extra...))
	if err != nil {
		return loteErr(err)
	}
	rep.fromResult(res)
	return o.print(cmd, e, &rep, nil)
}

// loteReport is import-lote's (and import-tl's) output.
type loteReport struct {
	Source         string             `json:"source"`
	Type           string             `json:"type"`
	Territory      string             `json:"territory"`
	Sequence       uint64             `json:"sequence"`
	IssuedAt       time.Time          `json:"issued_at"`
	NextUpdate     time.Time          `json:"next_update"`
	Stale          bool               `json:"stale"`
	Lenient        bool               `json:"lenient"`
	Signer         string             `json:"signer,omitempty"`
	SealAnchor     string             `json:"seal_anchor,omitempty"`
	Imported       bool               `json:"imported"`
	Entities       []loteReportEntity `json:"entities"`
	AnchorsTrusted int                `json:"anchors_trusted"`
	AnchorsAdded   int                `json:"anchors_added"`
	AnchorsRevoked int                `json:"anchors_revoked"`
	Warnings       []string           `json:"warnings,omitempty"`
}

type loteReportEntity struct {
	Name    string             `json:"name"`
	DID     string             `json:"did,omitempty"`
	Change  string             `json:"change,omitempty"`
	Anchors []loteReportAnchor `json:"anchors"`
	Skipped []string           `json:"skipped,omitempty"`
}

type loteReportAnchor struct {
	Subject   string   `json:"subject"`
	SKI       string   `json:"ski"`
	Context   string   `json:"context"`
	Flags     []string `json:"flags,omitempty"`
	Withdrawn bool     `json:"withdrawn,omitempty"`
}

func (rep *loteReport) fromProfile(r *lote.Report, extraFlags ...string) {
	rep.Type, rep.Territory, rep.Sequence, rep.IssuedAt, rep.NextUpdate = r.Type, r.Territory, r.Sequence, r.IssuedAt, r.NextUpdate
	rep.Stale, rep.Lenient = r.Stale, r.Lenient
	rep.Warnings = append(rep.Warnings, r.Warnings...)
	for _, e := range r.Entities {
		re := loteReportEntity{Name: e.Name, Skipped: e.Skipped, Anchors: []loteReportAnchor{}}
		for _, a := range e.Anchors {
			re.Anchors = append(re.Anchors, loteReportAnchor{Subject: a.Cert.Subject.String(), SKI: trust.SKIOf(a.Cert),
				Context: string(a.Context), Flags: append(append([]string(nil), a.Flags...), extraFlags...), Withdrawn: a.Withdrawn})
		}
		rep.Entities = append(rep.Entities, re)
	}
}

func (rep *loteReport) fromResult(res *registry.ListImportResult) {
	rep.Imported = true
	rep.AnchorsTrusted, rep.AnchorsAdded, rep.AnchorsRevoked = res.AnchorsTrusted, res.AnchorsAdded, res.AnchorsRevoked
	byKey := map[string]registry.ListEntityResult{}
	for _, r := range res.Entities {
		byKey[r.Key] = r
	}
	for i := range rep.Entities {
		if r, ok := byKey[rep.Entities[i].Name]; ok {
			rep.Entities[i].DID, rep.Entities[i].Change = r.DID, r.Change
			delete(byKey, r.Key)
		}
	}
	for _, r := range res.Entities {
		if _, left := byKey[r.Key]; left {
			rep.Entities = append(rep.Entities, loteReportEntity{Name: r.Key, DID: r.DID, Change: r.Change, Anchors: []loteReportAnchor{}})
		}
	}
}

func (o *registryImportLoteOptions) print(cmd *cobra.Command, e *env, rep *loteReport, outcome error) error {
	return printListReport(cmd, e, rep, o.asJSON, outcome)
}

func printListReport(cmd *cobra.Command, e *env, rep *loteReport, asJSON bool, outcome error) error {
	for _, w := range rep.Warnings {
		fmt.Fprintln(e.stderr, "warning:", w)
	}
	if asJSON {
		if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
			return err
		}
	} else {
		w := cmd.OutOrStdout()
		mode := "strict"
		if rep.Lenient {
			mode = "lenient"
		}
		fmt.Fprintf(w, "%s (%s) sequence %d, issued %s, next update %s, %s\n", rep.Type, rep.Territory, rep.Sequence,
			rep.IssuedAt.Format(time.RFC3339), rep.NextUpdate.Format(time.RFC3339), mode)
		if rep.Signer != "" {
			fmt.Fprintf(w, "signed by %s, chained to %s\n", rep.Signer, rep.SealAnchor)
		}
		for _, en := range rep.Entities {
			change := en.Change
			if change == "" {
				change = "-"
			}
			fmt.Fprintf(w, "  %-9s %s", change, en.Name)
			if en.DID != "" {
				fmt.Fprintf(w, "  %s", en.DID)
			}
			fmt.Fprintln(w)
			for _, a := range en.Anchors {
				fmt.Fprintf(w, "      %-10s %s (ski %s)", a.Context, a.Subject, a.SKI)
				if len(a.Flags) > 0 {
					fmt.Fprintf(w, " [%s]", strings.Join(a.Flags, ", "))
				}
				if a.Withdrawn {
					fmt.Fprint(w, " withdrawn")
				}
				fmt.Fprintln(w)
			}
			for _, s := range en.Skipped {
				fmt.Fprintf(w, "      skipped: %s\n", s)
			}
		}
		if rep.Imported {
			fmt.Fprintf(w, "%d anchors trusted (%d added, %d revoked)\n", rep.AnchorsTrusted, rep.AnchorsAdded, rep.AnchorsRevoked)
		}
	}
	if rep.Imported {
		fmt.Fprintln(e.stderr, "imported; publish to make it visible to verifiers")
	}
	return outcome
}
