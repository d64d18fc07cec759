package vccheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// PIDProfile is how a credential is held to the EU PID rules: the SD-JWT
// VC header type dc+sd-jwt (SD-JWT VC §3.2.1), a vct of the PID rulebook
// (urn:eudi:pid:1 or a domestic urn:eudi:pid:… type, ARF PID_14), the
// sha-256 digest algorithm HAIP requires (PIDHashAlgs), a key from x5c only (HAIP 1.0
// §6.1.1), and a signing certificate meeting ETSI TS 119 412-6.
type PIDProfile int

// PID profiles.
const (
	// PIDProfileOff checks nothing PID-specific; a credential whose key
	// came from x5c still gets its certificate profile report.
	PIDProfileOff PIDProfile = iota
	// PIDProfileLenient reports every departure as a warning (test
	// ecosystems, legacy reference PIDs) and accepts typ vc+sd-jwt.
	PIDProfileLenient
	// PIDProfileStrict refuses every departure, each with its own code:
	// the header and payload findings all at once (errors.Join, see
	// Codes), before any cryptography; the certificate profile once the
	// chain is known.
	PIDProfileStrict
)

// PIDHashAlgs are the _sd_alg values the strict PID profile accepts: HAIP
// 1.0 requires sha-256 of issuers and wallets. Off and lenient accept
// every algorithm internal/sdjwt supports (the legacy reference PID uses
// sha3-256), lenient with a warning.
var PIDHashAlgs = []string{sdjwt.HashAlg}

// String is the profile's name as a flag takes it: off, lenient, strict.
func (p PIDProfile) String() string {
	switch p {
	case PIDProfileLenient:
		return "lenient"
	case PIDProfileStrict:
		return "strict"
	}
	return "off"
}

// ParsePIDProfile reads a profile name (off, lenient, strict).
func ParsePIDProfile(s string) (PIDProfile, error) {
	for _, p := range []PIDProfile{PIDProfileOff, PIDProfileLenient, PIDProfileStrict} {
		if s == p.String() {
			return p, nil
		}
	}
	return PIDProfileOff, fmt.Errorf("vccheck: unknown PID profile %q (off, lenient, strict)", s)
}

// PIDReport is what the PID profile found in the header and payload: one
// finding per departure, refused under strict, warned under lenient. The
// certificate profile is reported apart (Outcome.CertProfile).
type PIDReport struct {
	Profile  string       `json:"profile"`
	Findings []PIDFinding `json:"findings"`
}

// PIDFinding is one departure from the PID profile.
type PIDFinding struct {
	Code Code `json:"code"`
	// Severity is "error" (refused, strict) or "warning" (lenient).
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// PIDVCTPrefix is the prefix of the PID types: urn:eudi:pid:1 and the
// registered domestic types.
const PIDVCTPrefix = "urn:eudi:pid:"

// Outcomes of the PID profile and of X.509 revocation.
var (
	ErrPIDVCT = errors.New("vccheck: vct is not a PID type (urn:eudi:pid:…)")
	// ErrCertProfile: under PIDProfileStrict, the signing certificate
	// breaks the TS 119 412-6 profile (Outcome.CertProfile lists how).
	ErrCertProfile = errors.New("vccheck: the signing certificate does not meet the PID signing profile (ETSI TS 119 412-6)")
	// ErrCertRevoked: a certificate of the x5c path is revoked in its
	// issuer's CRL.
	ErrCertRevoked = errors.New("vccheck: a certificate of the issuer's chain is revoked")
)

// pidFindings are the departures of the issuer-signed JWT (read, not yet
// verified) from the PID profile, one error each.
func pidFindings(serialized string) ([]error, error) {
	first, _, _ := strings.Cut(serialized, "~")
	j, err := jose.ParseLimited(first, 256<<10)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", sdjwt.ErrMalformed, err)
	}
	var p struct {
		VCT   any `json:"vct"`
		SDAlg any `json:"_sd_alg"`
	}
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", sdjwt.ErrMalformed, err)
	}
	var out []error
	if !strings.EqualFold(j.Header.Typ, sdjwtvc.Typ) {
		out = append(out, fmt.Errorf("%w: typ %q, the PID profile requires %q", sdjwt.ErrType, j.Header.Typ, sdjwtvc.Typ))
	}
	if vct, _ := p.VCT.(string); !strings.HasPrefix(vct, PIDVCTPrefix) || len(vct) == len(PIDVCTPrefix) {
		out = append(out, fmt.Errorf("%w: %v", ErrPIDVCT, p.VCT))
	}
	if alg, _ := p.SDAlg.(string); p.SDAlg != nil && !slices.Contains(PIDHashAlgs, alg) {
		out = append(out, fmt.Errorf("%w: %v (the PID profile requires %s)", sdjwt.ErrHashAlg, p.SDAlg, strings.Join(PIDHashAlgs, ", ")))
	}
	if _, ok := j.Header.Params["x5c"]; !ok {
		out = append(out, fmt.Errorf("%w: %w", sdjwtvc.ErrIssuerKey, sdjwtvc.ErrNoX5C))
	}
	return out, nil
}

// applyPIDProfile runs the header and payload part of the profile before
// verification: strict returns the joined findings, lenient records them
// as warnings.
func applyPIDProfile(serialized string, o Options, out *Outcome) error {
	if o.PIDProfile == PIDProfileOff {
		return nil
	}
	fs, err := pidFindings(serialized)
	if err != nil {
		return err
	}
	rep := &PIDReport{Profile: o.PIDProfile.String(), Findings: []PIDFinding{}}
	out.PID = rep
	sev := "warning"
	if o.PIDProfile == PIDProfileStrict {
		sev = "error"
	}
	for _, f := range fs {
		rep.Findings = append(rep.Findings, PIDFinding{Code: Classify(f), Severity: sev, Message: f.Error()})
	}
	if o.PIDProfile == PIDProfileStrict {
		return errors.Join(fs...)
	}
	for _, f := range fs {
		out.Warnings = append(out.Warnings, fmt.Sprintf("PID profile (%s): %v", Classify(f), f))
	}
	return nil
}

// checkChain reports on a validated x5c path: the signing certificate's
// profile (refused under PIDProfileStrict) and, with a CRL checker and
// not offline, revocation (a revoked certificate is refused; unknown is
// recorded, not refused).
func checkChain(ctx context.Context, p *x509trust.Path, o Options, out *Outcome) error {
	rep := x509trust.CheckPIDSigningProfile(p.Leaf(), o.PIDProfile == PIDProfileStrict)
	out.CertProfile = &rep
	if !rep.OK() {
		return fmt.Errorf("%w: %s", ErrCertProfile, strings.Join(rep.Codes(), ", "))
	}
	if o.CRL != nil && !o.Offline {
		r := o.CRL.Check(ctx, p)
		out.Revocation = &r
		if r.Status == x509trust.RevocationRevoked {
			for _, c := range r.Certs {
				if c.Status == x509trust.RevocationRevoked {
					return fmt.Errorf("%w: %s since %s", ErrCertRevoked, c.Subject, c.RevokedAt.Format("2006-01-02"))
				}
			}
		}
	}
	return nil
}
