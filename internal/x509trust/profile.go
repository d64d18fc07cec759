package x509trust

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
)

// Object identifiers of the PID signing-certificate profile.
var (
	oidQCStatements = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 3} // RFC 3739 §3.2.6
	oidQcType       = asn1.ObjectIdentifier{0, 4, 0, 1862, 1, 6}       // EN 319 412-5 §4.2.3
	OIDQCTypePID    = asn1.ObjectIdentifier{0, 4, 0, 194126, 1, 1}     // TS 119 412-6 id-etsi-qct-pid
	oidKeyUsage     = asn1.ObjectIdentifier{2, 5, 29, 15}              // RFC 5280 §4.2.1.3
	oidEKUReaderAut = asn1.ObjectIdentifier{1, 0, 18013, 5, 1, 6}      // ISO 18013-5 mdoc reader auth
)

// Profile finding codes.
const (
	FindingNoQCStatements      = "no_qcstatements"
	FindingNoPIDQCType         = "no_pid_qc_type"
	FindingBadQCStatements     = "bad_qcstatements"
	FindingNoKeyUsage          = "no_key_usage"
	FindingKeyUsageNotCritical = "key_usage_not_critical"
	FindingNoDigitalSignature  = "no_digital_signature"
	FindingNoPolicies          = "no_certificate_policies"
	FindingNoSKI               = "no_subject_key_id"
	FindingNoAKI               = "no_authority_key_id"
	FindingCALeaf              = "ca_certificate"
	FindingReaderAuthEKU       = "reader_auth_eku"
)

// Severities of a finding.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Finding is one way a certificate departs from a profile.
type Finding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// ProfileReport is the outcome of a profile check.
type ProfileReport struct {
	Profile  string    `json:"profile"`
	Strict   bool      `json:"strict"`
	Findings []Finding `json:"findings,omitempty"`
}

// OK reports whether no finding is an error (a lenient report is always
// OK; its findings are warnings).
func (r ProfileReport) OK() bool {
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			return false
		}
	}
	return true
}

// Codes lists the findings' codes in order.
func (r ProfileReport) Codes() []string {
	out := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		out[i] = f.Code
	}
	return out
}

// ProfilePIDSigning names the profile CheckPIDSigningProfile checks.
const ProfilePIDSigning = "ETSI TS 119 412-6 PID provider signing certificate"

// CheckPIDSigningProfile reports how leaf meets the PID signing
// certificate profile of ETSI TS 119 412-6: an end entity whose
// qcStatements carry the QC type id-etsi-qct-pid (inside an EN 319 412-5
// QcType statement, or as a statement of its own as the EUDI reference
// PKI writes it), a critical keyUsage with digitalSignature,
// certificatePolicies, and subject and authority key identifiers. A
// reader-authentication EKU (ISO 18013-5) is flagged: such a certificate
// is meant for verifiers, not PID providers. With strict every finding is
// an error; otherwise each is a warning, so a test ecosystem's
// certificates are still reported on without being refused.
func CheckPIDSigningProfile(leaf *x509.Certificate, strict bool) ProfileReport {
	r := ProfileReport{Profile: ProfilePIDSigning, Strict: strict}
	sev := SeverityWarning
	if strict {
		sev = SeverityError
	}
	add := func(code, format string, a ...any) {
		r.Findings = append(r.Findings, Finding{Code: code, Severity: sev, Message: fmt.Sprintf(format, a...)})
	}
	if leaf.BasicConstraintsValid && leaf.IsCA {
		add(FindingCALeaf, "%q is a CA certificate, not a PID signing certificate", leaf.Subject)
	}
	var qc, ku *extension
	for i := range leaf.Extensions {
		e := &leaf.Extensions[i]
		switch {
		case e.Id.Equal(oidQCStatements):
			qc = &extension{critical: e.Critical, value: e.Value}
		case e.Id.Equal(oidKeyUsage):
			ku = &extension{critical: e.Critical, value: e.Value}
		}
	}
	switch {
	case qc == nil:
		add(FindingNoQCStatements, "no qcStatements extension (TS 119 412-6 requires the QC type id-etsi-qct-pid %s)", OIDQCTypePID)
	default:
		has, err := hasPIDQCType(qc.value)
		switch {
		case err != nil:
			add(FindingBadQCStatements, "qcStatements do not decode: %v", err)
		case !has:
			add(FindingNoPIDQCType, "qcStatements carry no QC type id-etsi-qct-pid %s", OIDQCTypePID)
		}
	}
	switch {
	case ku == nil:
		add(FindingNoKeyUsage, "no keyUsage extension")
	default:
		if !ku.critical {
			add(FindingKeyUsageNotCritical, "keyUsage is not marked critical")
		}
		if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
			add(FindingNoDigitalSignature, "keyUsage lacks digitalSignature")
		}
	}
	if len(leaf.PolicyIdentifiers) == 0 && len(leaf.Policies) == 0 {
		add(FindingNoPolicies, "no certificatePolicies extension")
	}
	if len(leaf.SubjectKeyId) == 0 {
		add(FindingNoSKI, "no subjectKeyIdentifier")
	}
	if len(leaf.AuthorityKeyId) == 0 {
		add(FindingNoAKI, "no authorityKeyIdentifier")
	}
	for _, u := range leaf.UnknownExtKeyUsage {
		if u.Equal(oidEKUReaderAut) {
			add(FindingReaderAuthEKU, "extendedKeyUsage %s is mdoc reader authentication (a verifier's certificate)", u)
		}
	}
	return r
}

type extension struct {
	critical bool
	value    []byte
}

type qcStatement struct {
	ID   asn1.ObjectIdentifier
	Info asn1.RawValue `asn1:"optional"`
}

// hasPIDQCType decodes QCStatements (RFC 3739 §3.2.6) and looks for
// id-etsi-qct-pid as a statement id or inside a QcType statement.
func hasPIDQCType(der []byte) (bool, error) {
	var stmts []qcStatement
	rest, err := asn1.Unmarshal(der, &stmts)
	if err != nil {
		return false, err
	}
	if len(rest) > 0 {
		return false, fmt.Errorf("%d trailing bytes", len(rest))
	}
	for _, s := range stmts {
		if s.ID.Equal(OIDQCTypePID) {
			return true, nil
		}
		if s.ID.Equal(oidQcType) && len(s.Info.FullBytes) > 0 {
			var types []asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(s.Info.FullBytes, &types); err != nil {
				return false, fmt.Errorf("QcType: %v", err)
			}
			for _, t := range types {
				if t.Equal(OIDQCTypePID) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}
