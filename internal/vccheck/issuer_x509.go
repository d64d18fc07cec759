package vccheck

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// How iss relates to the signing certificate of an x5c chain.
//
// SD-JWT VC (draft-ietf-oauth-sd-jwt-vc-25 §3.5, the X.509 Issuer
// Signature Mechanism): the key comes from the end-entity certificate of
// x5c and "the Issuer of the Verifiable Credential is the subject of the
// end-entity certificate"; iss is optional then (§3.2.2.2). The earlier
// rule (drafts 04 to 08) that iss must match a dNSName or URI SAN of the
// leaf is gone, and HAIP 1.0 §6.1.1 adds none: the EU reference PID's
// signing certificate has no SAN at all. So iss is never what trust rests
// on. What is checked is consistency: when the leaf names itself (URI or
// DNS SANs) and iss names something else, iss contradicts the certificate
// that vouches for the credential, which is reported as a warning in
// every profile; a leaf without SANs leaves iss unconfirmed, and the
// issuer shown is the certificate's subject.

// Issuer binding outcomes (IssuerBinding.Match).
const (
	IssuerMatchURI  = "uri_san"  // iss equals a URI SAN of the leaf
	IssuerMatchDNS  = "dns_san"  // iss is an https or dns: URI whose host is a dNSName of the leaf
	IssuerMismatch  = "mismatch" // the leaf has URI or DNS SANs and none names iss
	IssuerNotInCert = "no_san"   // the leaf has no URI or DNS SAN: iss cannot be confirmed
	IssuerNoISS     = "no_iss"   // the credential has no iss
)

// IssuerBinding is how a credential's iss relates to the signing
// certificate of its validated x5c chain.
type IssuerBinding struct {
	// Subject is the leaf's subject: the issuer, under SD-JWT VC's X.509
	// mechanism.
	Subject string `json:"subject"`
	ISS     string `json:"iss,omitempty"`
	// Names are the leaf's URI and DNS subject alternative names.
	Names []string `json:"certificate_names,omitempty"`
	Match string   `json:"match"`
}

// bindIssuer compares iss with the URI and DNS SANs of leaf.
func bindIssuer(leaf *x509.Certificate, iss string) *IssuerBinding {
	b := &IssuerBinding{Subject: leaf.Subject.String(), ISS: iss}
	for _, u := range leaf.URIs {
		b.Names = append(b.Names, u.String())
	}
	b.Names = append(b.Names, leaf.DNSNames...)
	switch {
	case iss == "":
		b.Match = IssuerNoISS
	case slices.ContainsFunc(leaf.URIs, func(u *url.URL) bool { return u.String() == iss }):
		b.Match = IssuerMatchURI
	case slices.ContainsFunc(leaf.DNSNames, func(d string) bool { h := issHost(iss); return h != "" && strings.EqualFold(d, h) }):
		b.Match = IssuerMatchDNS
	case len(b.Names) == 0:
		b.Match = IssuerNotInCert
	default:
		b.Match = IssuerMismatch
	}
	return b
}

// issHost is the host of an https URL or a dns: URI (RFC 4501), "" for
// anything else.
func issHost(iss string) string {
	u, err := url.Parse(iss)
	if err != nil {
		return ""
	}
	switch u.Scheme {
	case "https":
		return u.Hostname()
	case "dns":
		// dns:host or dns://authority/host
		if u.Opaque != "" {
			h, _, _ := strings.Cut(u.Opaque, "?")
			return h
		}
		return strings.TrimPrefix(u.Path, "/")
	}
	return ""
}

// Warning is the warning a binding gives, "" when none.
func (b *IssuerBinding) Warning() string {
	if b == nil || b.Match != IssuerMismatch {
		return ""
	}
	return fmt.Sprintf("iss %q is not among the signing certificate's names (%s): the issuer is the certificate's subject, %s, not iss",
		b.ISS, strings.Join(b.Names, ", "), b.Subject)
}

// Describe says in one line how iss relates to the certificate.
func (b *IssuerBinding) Describe() string {
	switch b.Match {
	case IssuerMatchURI:
		return fmt.Sprintf("iss %s is a URI name of the signing certificate", b.ISS)
	case IssuerMatchDNS:
		return fmt.Sprintf("iss %s is on a DNS name of the signing certificate", b.ISS)
	case IssuerMismatch:
		return fmt.Sprintf("iss %s is NOT among the signing certificate's names (%s); the issuer is the certificate's subject", b.ISS, strings.Join(b.Names, ", "))
	case IssuerNoISS:
		return "no iss: the issuer is the signing certificate's subject"
	}
	return fmt.Sprintf("iss %s is not confirmed by the signing certificate (it names no URI or DNS); the issuer is the certificate's subject", b.ISS)
}
