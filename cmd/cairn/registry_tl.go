package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/tsl"
	"github.com/cairn-id/cairn/registry"
)

type registryImportTLOptions struct {
	signerAnchors, context, vct               string
	serviceTypes                              []string
	devNetwork, asJSON                        bool
	grace                                     time.Duration
	maxStrength, maxValidity, maxVerification int
}

func newRegistryImportTLCmd(e *env) *cobra.Command {
	o := &registryImportTLOptions{}
	c := &cobra.Command{
		Use:   "import-tl FILE|URL --signer-anchors PEM [--service-type URI]… [--context qeaa]",
		Short: "Import an ETSI TS 119 612 XML trusted list (e.g. QEAA providers) as X.509-anchored issuers",
		Long: `Import a trusted list (ETSI TS 119 612, XML). Its enveloped XML signature
must verify (every reference, exclusive c14n; RSA, RSASSA-PSS or ECDSA) and
its signer must chain to one of the certificates in --signer-anchors (PEM:
the scheme operator's certificates, e.g. from the EU list of trusted lists).
An unsigned list is refused.

Each trust service provider with a service of a --service-type (default
the qualified EAA type http://uri.etsi.org/TrstSvc/Svctype/EAA/Q) becomes
a registry issuer holding that service's certificates as anchors for
--context (default qeaa). A service granted now is trusted from its status
starting time; one withdrawn now revokes an anchor imported before, from
its withdrawal. Re-import keeps history as for import-lote. With --vct the
providers the list adds are authorized for that type (or pattern "prefix:*")
within the caps given; without, they carry anchors only. A list past its
NextUpdate is imported as stale until --stale-grace has passed.

Exit codes: 0 imported, 1 file, network or storage error, 2 usage,
3 malformed, or the signature does not verify, 4 unsigned, the signer does
not chain to an anchor, or the list is older than the one imported before,
5 past NextUpdate beyond the grace, 10 nothing imported (no provider has a
service of the types asked for).`,
		Example: `  cairn registry import-tl SE-TL.xml --signer-anchors pts-se.pem
  cairn registry import-tl https://tl.example.eu/TL-XX.xml --signer-anchors xx-operator.pem --vct "urn:example:qeaa:*" --json
  cairn registry import-tl SE-TL.xml --signer-anchors pts-se.pem --service-type http://uri.etsi.org/TrstSvc/Svctype/CA/QC --context access`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, e, args[0]) },
	}
	f := c.Flags()
	f.StringVar(&o.signerAnchors, "signer-anchors", "", "PEM file of the certificates the list signer must chain to")
	f.StringArrayVar(&o.serviceTypes, "service-type", []string{tsl.SvcTypeQEAA}, "service type URI whose certificates become anchors (repeatable)")
	f.StringVar(&o.context, "context", string(trust.AnchorQEAA), "anchor context: qeaa, access, pid or pid-status")
	f.StringVar(&o.vct, "vct", "", "authorize the providers the list adds for this vct (or prefix:*)")
	f.IntVar(&o.maxStrength, "max-strength", 2, "cap on evidence strength with --vct (1–4)")
	f.IntVar(&o.maxValidity, "max-validity", 2, "cap on evidence validity with --vct (1–4)")
	f.IntVar(&o.maxVerification, "max-verification", 0, "cap on verification score with --vct (0–4)")
	f.DurationVar(&o.grace, "stale-grace", 7*24*time.Hour, "how long past NextUpdate a list is still imported (as stale)")
	f.BoolVar(&o.devNetwork, "dev-allow-private-network", false, "DEVELOPMENT ONLY: allow loopback/private addresses and http for a URL")
	f.BoolVar(&o.asJSON, "json", false, "print the import report as JSON")
	_ = c.MarkFlagRequired("signer-anchors")
	return c
}

func tslErr(err error) error {
	switch {
	case errors.Is(err, tsl.ErrUnsigned), errors.Is(err, tsl.ErrUntrustedSigner), errors.Is(err, registry.ErrListRollback):
		return withExit(ExitUntrusted, err)
	case errors.Is(err, tsl.ErrStale):
		return withExit(ExitExpired, err)
	case errors.Is(err, tsl.ErrMalformed), errors.Is(err, tsl.ErrSignature):
		return withExit(ExitInvalid, err)
	}
	return registryErr(err)
}

func (o *registryImportTLOptions) run(cmd *cobra.Command, e *env, src string) error {
	ctx := trust.AnchorContext(o.context)
	if !trust.ValidAnchorContext(ctx) {
		return usageError(fmt.Errorf("--context %q: use qeaa, access, pid or pid-status", o.context))
	}
	if o.grace < 0 || len(o.serviceTypes) == 0 {
		return usageError(errors.New("--stale-grace must not be negative, and at least one --service-type is needed"))
	}
	var auth trust.IssuerAuthorization
	if o.vct != "" {
		auth = trust.IssuerAuthorization{VCT: o.vct, MaxStrength: o.maxStrength, MaxValidity: o.maxValidity, MaxVerification: o.maxVerification}
	}
	anchors, err := loadPEMCertificates("--signer-anchors", o.signerAnchors)
	if err != nil {
		return err
	}
	raw, err := readListSource(cmd.Context(), src, o.devNetwork, "application/vnd.etsi.tsl+xml, application/xml, text/xml, */*;q=0.1", tsl.MaxListLen)
	if err != nil {
		return err
	}
	now := registryNow(e)().UTC()
	s, err := tsl.Verify(raw, tsl.VerifyOptions{SignerAnchors: anchors, Now: now})
	if err != nil {
		return tslErr(err)
	}
	l := s.List
	rep := loteReport{Source: src, Type: l.Scheme.Type, Territory: l.Scheme.SchemeTerritory, Sequence: l.Scheme.SequenceNumber,
		IssuedAt: l.Scheme.ListIssueDateTime.UTC(), NextUpdate: l.Scheme.NextUpdate.UTC(),
		Signer: s.Chain[0].Subject.String(), SealAnchor: s.Chain[len(s.Chain)-1].Subject.String()}
	stale, err := l.CheckFresh(now, o.grace)
	if err != nil {
		return tslErr(err)
	}
	if stale {
		rep.Stale = true
		rep.Warnings = append(rep.Warnings, "list is stale: NextUpdate was "+rep.NextUpdate.Format(time.RFC3339))
	}
	in, err := registry.FromTSL(l, src, o.serviceTypes, ctx, now, auth)
	if err != nil {
		return tslErr(err)
	}
	for _, le := range in.Entities {
		re := loteReportEntity{Name: le.Key, Anchors: []loteReportAnchor{}}
		for _, a := range le.Anchors {
			ra := loteReportAnchor{Context: string(a.Context), Flags: a.Flags, Withdrawn: a.Withdrawn}
			if c, err := parseCertDER(a.DER); err == nil {
				ra.Subject, ra.SKI = c.Subject.String(), trust.SKIOf(c)
			}
			re.Anchors = append(re.Anchors, ra)
		}
		rep.Entities = append(rep.Entities, re)
	}
	if len(in.Entities) == 0 {
		return printListReport(cmd, e, &rep, o.asJSON, withExit(ExitNothingOffered,
			fmt.Errorf("no provider in the list has a service of type %v", o.serviceTypes)))
	}
	st, err := openRegistryDB(cmd, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := registryService(e, st).ImportList(cmd.Context(), in)
	if err != nil {
		return tslErr(err)
	}
	rep.fromResult(res)
	return printListReport(cmd, e, &rep, o.asJSON, nil)
}
