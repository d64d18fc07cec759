package lote

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/trust"
)

// Flags an import records on an anchor it had to tolerate.
const (
	// FlagServiceTypeMissing: lenient mode took a service without
	// ServiceTypeIdentifier as a PID issuance service.
	FlagServiceTypeMissing = "service_type_missing"
	// FlagCertificateExpired: the certificate was outside its validity at
	// import time (kept: it still anchors what it signed while valid).
	FlagCertificateExpired = "certificate_expired"
)

// MaxNextUpdate is how far after ListIssueDateTime Annex D lets NextUpdate
// lie: six months.
const MaxNextUpdate = 6

// ProfileOptions tune CheckPIDProfile.
type ProfileOptions struct {
	// Lenient accepts a service without ServiceTypeIdentifier as a PID
	// issuance service, flagged FlagServiceTypeMissing on its anchors.
	Lenient bool
	// Now is the import time.
	Now time.Time
	// Grace is how long past NextUpdate a list is still imported (stale,
	// with a warning); after it the list is refused with ErrStale.
	Grace time.Duration
}

// Anchor is one certificate a list makes a trust anchor.
type Anchor struct {
	Cert        *x509.Certificate
	Context     trust.AnchorContext
	ServiceType string
	ServiceName string
	Flags       []string
	// Since is the service's StatusStartingTime, or the list's issue time.
	Since time.Time
	// Withdrawn: the service's status says it was withdrawn (from Since).
	Withdrawn bool
}

// EntityReport is what the profile made of one trusted entity: its
// anchors, and why services were skipped.
type EntityReport struct {
	Name    string
	Names   map[string]string
	Anchors []Anchor
	Skipped []string
}

// Report is the outcome of CheckPIDProfile.
type Report struct {
	Type       string
	Territory  string
	Sequence   uint64
	IssuedAt   time.Time
	NextUpdate time.Time
	Operator   string
	Lenient    bool
	// Stale: past NextUpdate, within the grace.
	Stale    bool
	Entities []EntityReport
	Warnings []string
}

// AnchorCount returns the number of anchors the report found, by context.
func (r *Report) AnchorCount(ctx trust.AnchorContext) int {
	n := 0
	for _, e := range r.Entities {
		for _, a := range e.Anchors {
			if a.Context == ctx {
				n++
			}
		}
	}
	return n
}

// CheckPIDProfile applies the TS 119 602 Annex D profile (EU PID Providers
// list) to l. List-level breaches fail with ErrProfile: another LoTEType,
// a scheme territory other than EU, a NextUpdate missing, before the issue
// time or more than six months after it, an issue time in the future. A
// list past NextUpdate is stale (Report.Stale, a warning) until Grace has
// passed, then ErrStale.
//
// Per service: …/SvcType/PID/Issuance makes its certificates "pid"
// anchors, …/PID/Revocation "pid-status" anchors (Table D.3); any other
// type is skipped; a missing type is skipped with its reason, unless
// Lenient, which takes it as issuance, flagged. A service whose status
// URI ends in "/withdrawn" yields withdrawn anchors. When no service
// qualifies, the report comes back with ErrNoAnchors, so the caller can
// show why.
func CheckPIDProfile(l *List, o ProfileOptions) (*Report, error) {
	if o.Now.IsZero() {
		return nil, errors.New("lote: CheckPIDProfile needs a time")
	}
	s := l.Scheme
	r := &Report{Type: s.Type, Territory: s.SchemeTerritory, Sequence: s.SequenceNumber, IssuedAt: s.ListIssueDateTime.UTC(),
		NextUpdate: s.NextUpdate.UTC(), Operator: pickName(s.SchemeOperatorName), Lenient: o.Lenient}
	switch {
	case s.Type != TypePIDProviders:
		return nil, fmt.Errorf("%w: LoTEType %q, want %s", ErrProfile, s.Type, TypePIDProviders)
	case s.SchemeTerritory != PIDSchemeTerritory:
		return nil, fmt.Errorf("%w: SchemeTerritory %q, want %s", ErrProfile, s.SchemeTerritory, PIDSchemeTerritory)
	case s.ListIssueDateTime.IsZero() || s.NextUpdate.IsZero():
		return nil, fmt.Errorf("%w: ListIssueDateTime and NextUpdate are required", ErrProfile)
	case !s.NextUpdate.After(s.ListIssueDateTime):
		return nil, fmt.Errorf("%w: NextUpdate %s is not after ListIssueDateTime %s", ErrProfile, r.NextUpdate.Format(time.RFC3339), r.IssuedAt.Format(time.RFC3339))
	case s.NextUpdate.After(s.ListIssueDateTime.AddDate(0, MaxNextUpdate, 0)):
		return nil, fmt.Errorf("%w: NextUpdate %s is more than %d months after ListIssueDateTime %s", ErrProfile, r.NextUpdate.Format(time.RFC3339), MaxNextUpdate, r.IssuedAt.Format(time.RFC3339))
	case s.ListIssueDateTime.After(o.Now.Add(5 * time.Minute)):
		return nil, fmt.Errorf("%w: ListIssueDateTime %s is in the future", ErrProfile, r.IssuedAt.Format(time.RFC3339))
	}
	if o.Now.After(s.NextUpdate) {
		if o.Now.After(s.NextUpdate.Add(o.Grace)) {
			return nil, fmt.Errorf("%w: NextUpdate was %s, now %s, grace %s", ErrStale, r.NextUpdate.Format(time.RFC3339), o.Now.UTC().Format(time.RFC3339), o.Grace)
		}
		r.Stale = true
		r.Warnings = append(r.Warnings, fmt.Sprintf("list is stale: NextUpdate was %s", r.NextUpdate.Format(time.RFC3339)))
	}
	for _, e := range l.Entities {
		er := EntityReport{Name: e.Name(), Names: e.Names()}
		if er.Name == "" {
			r.Warnings = append(r.Warnings, "a trusted entity without a name was skipped")
			continue
		}
		for _, svc := range e.Services {
			si := svc.ServiceInformation
			name := pickName(si.ServiceName)
			var ctx trust.AnchorContext
			var flags []string
			switch si.ServiceTypeIdentifier {
			case SvcPIDIssuance:
				ctx = trust.AnchorPID
			case SvcPIDRevocation:
				ctx = trust.AnchorPIDStatus
			case "":
				if !o.Lenient {
					er.Skipped = append(er.Skipped, fmt.Sprintf("service %q has no ServiceTypeIdentifier (Annex D requires %s or %s; --lenient takes it as issuance)", name, SvcPIDIssuance, SvcPIDRevocation))
					continue
				}
				ctx, flags = trust.AnchorPID, []string{FlagServiceTypeMissing}
			default:
				er.Skipped = append(er.Skipped, fmt.Sprintf("service %q has service type %s, not a PID service type", name, si.ServiceTypeIdentifier))
				continue
			}
			since := r.IssuedAt
			if si.StatusStartingTime != "" {
				t, err := time.Parse(time.RFC3339, si.StatusStartingTime)
				if err != nil {
					er.Skipped = append(er.Skipped, fmt.Sprintf("service %q: StatusStartingTime %q is not RFC 3339", name, si.StatusStartingTime))
					continue
				}
				since = t.UTC()
			}
			withdrawn := strings.HasSuffix(si.ServiceStatus, "/withdrawn")
			certs := si.ServiceDigitalIdentity.X509Certificates
			if len(certs) == 0 {
				er.Skipped = append(er.Skipped, fmt.Sprintf("service %q names no X.509 certificate", name))
			}
			for i, pk := range certs {
				c, err := parseCert(pk.Val)
				if err != nil {
					er.Skipped = append(er.Skipped, fmt.Sprintf("service %q: certificate %d: %v", name, i, err))
					continue
				}
				f := append([]string(nil), flags...)
				if o.Now.Before(c.NotBefore) || o.Now.After(c.NotAfter) {
					f = append(f, FlagCertificateExpired)
				}
				er.Anchors = append(er.Anchors, Anchor{Cert: c, Context: ctx, ServiceType: si.ServiceTypeIdentifier, ServiceName: name, Flags: f, Since: since, Withdrawn: withdrawn})
			}
		}
		r.Entities = append(r.Entities, er)
	}
	if r.AnchorCount(trust.AnchorPID)+r.AnchorCount(trust.AnchorPIDStatus) == 0 {
		return r, fmt.Errorf("%w: %s", ErrNoAnchors, firstReason(r))
	}
	return r, nil
}

func firstReason(r *Report) string {
	for _, e := range r.Entities {
		if len(e.Skipped) > 0 {
			return fmt.Sprintf("%d entities; e.g. %s: %s", len(r.Entities), e.Name, e.Skipped[0])
		}
	}
	return fmt.Sprintf("%d entities, none with a PID service", len(r.Entities))
}
