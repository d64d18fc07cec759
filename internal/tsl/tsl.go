// Package tsl reads ETSI TS 119 612 trusted lists (the XML
// TrustServiceStatusList of EU Member States and pilots): the scheme
// information and the trust service providers with their services, each
// service's status at a given time from its current status and its
// ServiceHistory (clause 5.5.4, 5.6), and the list's enveloped XML
// signature (XAdES baseline B as clause 5.7 requires: every Reference
// checked, exclusive canonicalization, RSA PKCS#1 v1.5, RSASSA-PSS
// (RFC 6931 §2.3.10) and ECDSA (RFC 4050 r||s)), with the signer chained
// by crypto/x509 to anchors the caller pinned. Canonicalization is
// goxmldsig's; the reference and signature checks are this package's,
// because goxmldsig checks only the reference to the root and lacks PSS.
//
// It has no network or storage code: the caller fetches the list and
// injects the clock.
package tsl

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Namespace of TS 119 612 v2 lists.
const Namespace = "http://uri.etsi.org/02231/v2#"

// Status URIs (TS 119 612 clause 5.5.4) and the QEAA service type.
const (
	StatusGranted   = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
	StatusWithdrawn = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"
	SvcTypeQEAA     = "http://uri.etsi.org/TrstSvc/Svctype/EAA/Q"
)

// Bounds.
const (
	MaxListLen  = 16 << 20
	MaxTSPs     = 10000
	MaxServices = 256
	MaxHistory  = 256
)

// Errors. Every failure wraps exactly one of them.
var (
	ErrMalformed = errors.New("tsl: malformed trusted list")
	// ErrUnsigned: the list carries no enveloped signature.
	ErrUnsigned = errors.New("tsl: trusted list is not signed")
	// ErrSignature: a reference digest or the signature value does not
	// verify (the list was changed after signing), or the signature uses
	// an algorithm this package refuses.
	ErrSignature = errors.New("tsl: trusted list signature does not verify")
	// ErrUntrustedSigner: the signer does not chain to a pinned anchor.
	ErrUntrustedSigner = errors.New("tsl: trusted list signer does not chain to a pinned anchor")
	// ErrStale: the list is past its NextUpdate by more than the grace.
	ErrStale = errors.New("tsl: trusted list is past its NextUpdate")
)

// Name is a multilingual name.
type Name struct {
	Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Value string `xml:",chardata"`
}

// DigitalID is one ServiceDigitalIdentity/DigitalId.
type DigitalID struct {
	X509Certificate string `xml:"X509Certificate"`
}

// ServiceFields are what a service and each of its history instances say.
type ServiceFields struct {
	ServiceTypeIdentifier string      `xml:"ServiceTypeIdentifier"`
	ServiceName           []Name      `xml:"ServiceName>Name"`
	DigitalIDs            []DigitalID `xml:"ServiceDigitalIdentity>DigitalId"`
	ServiceStatus         string      `xml:"ServiceStatus"`
	StatusStartingTime    time.Time   `xml:"StatusStartingTime"`
}

// Service is a TSPService: its current information and its history.
type Service struct {
	Information ServiceFields   `xml:"ServiceInformation"`
	History     []ServiceFields `xml:"ServiceHistory>ServiceHistoryInstance"`
}

// TSP is a TrustServiceProvider.
type TSP struct {
	Names    []Name    `xml:"TSPInformation>TSPName>Name"`
	Services []Service `xml:"TSPServices>TSPService"`
}

// SchemeInformation is the part of the scheme information an import reads.
type SchemeInformation struct {
	VersionIdentifier  int       `xml:"TSLVersionIdentifier"`
	SequenceNumber     uint64    `xml:"TSLSequenceNumber"`
	Type               string    `xml:"TSLType"`
	SchemeOperatorName []Name    `xml:"SchemeOperatorName>Name"`
	SchemeTerritory    string    `xml:"SchemeTerritory"`
	ListIssueDateTime  time.Time `xml:"ListIssueDateTime"`
	NextUpdate         time.Time `xml:"NextUpdate>dateTime"`
}

// List is a parsed trusted list.
type List struct {
	XMLName xml.Name          `xml:"http://uri.etsi.org/02231/v2# TrustServiceStatusList"`
	Scheme  SchemeInformation `xml:"SchemeInformation"`
	TSPs    []TSP             `xml:"TrustServiceProviderList>TrustServiceProvider"`
}

// Parse decodes a trusted list without checking its signature (see
// Verify). It refuses DTDs, oversize input and lists beyond the bounds.
func Parse(b []byte) (*List, error) {
	if len(b) > MaxListLen {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxListLen)
	}
	if bytes.Contains(b, []byte("<!DOCTYPE")) || bytes.Contains(b, []byte("<!ENTITY")) {
		return nil, fmt.Errorf("%w: DTDs are not allowed", ErrMalformed)
	}
	var l List
	if err := xml.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if l.Scheme.Type == "" || l.Scheme.ListIssueDateTime.IsZero() {
		return nil, fmt.Errorf("%w: needs TSLType and ListIssueDateTime", ErrMalformed)
	}
	if len(l.TSPs) > MaxTSPs {
		return nil, fmt.Errorf("%w: more than %d providers", ErrMalformed, MaxTSPs)
	}
	for _, p := range l.TSPs {
		if len(p.Services) > MaxServices {
			return nil, fmt.Errorf("%w: a provider has more than %d services", ErrMalformed, MaxServices)
		}
		for _, s := range p.Services {
			if len(s.History) > MaxHistory {
				return nil, fmt.Errorf("%w: a service has more than %d history entries", ErrMalformed, MaxHistory)
			}
		}
	}
	return &l, nil
}

// PickName returns the English name, else the first.
func PickName(ns []Name) string {
	for _, n := range ns {
		if strings.EqualFold(n.Lang, "en") && strings.TrimSpace(n.Value) != "" {
			return strings.TrimSpace(n.Value)
		}
	}
	for _, n := range ns {
		if strings.TrimSpace(n.Value) != "" {
			return strings.TrimSpace(n.Value)
		}
	}
	return ""
}

// StatusAt returns what the service said at t: the entry (current or
// historical) with the latest StatusStartingTime not after t. ok is false
// when t is before every entry.
func (s *Service) StatusAt(t time.Time) (ServiceFields, bool) {
	var best ServiceFields
	found := false
	for _, f := range append([]ServiceFields{s.Information}, s.History...) {
		if f.StatusStartingTime.After(t) {
			continue
		}
		if !found || f.StatusStartingTime.After(best.StatusStartingTime) {
			best, found = f, true
		}
	}
	return best, found
}

// GrantedAt reports whether the service's status at t was granted.
func (s *Service) GrantedAt(t time.Time) bool {
	f, ok := s.StatusAt(t)
	return ok && f.ServiceStatus == StatusGranted
}

// Certificates returns the DER certificates of a service entry.
func (f *ServiceFields) Certificates() ([][]byte, error) {
	var out [][]byte
	for _, d := range f.DigitalIDs {
		v := strings.Join(strings.Fields(d.X509Certificate), "")
		if v == "" {
			continue
		}
		der, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("%w: X509Certificate: %v", ErrMalformed, err)
		}
		out = append(out, der)
	}
	return out, nil
}

// CheckFresh returns ErrStale when now is past NextUpdate by more than
// grace; stale reports whether it is past NextUpdate at all.
func (l *List) CheckFresh(now time.Time, grace time.Duration) (stale bool, err error) {
	nu := l.Scheme.NextUpdate
	if nu.IsZero() || !now.After(nu) {
		return false, nil
	}
	if now.After(nu.Add(grace)) {
		return true, fmt.Errorf("%w: NextUpdate was %s, now %s, grace %s", ErrStale, nu.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), grace)
	}
	return true, nil
}
