package registry

import (
	"time"

	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/tsl"
)

// FromTSL turns a verified TS 119 612 trusted list into a ListImport: each
// provider with a service of one of serviceTypes becomes an entity, each
// such service's certificates anchors for ctx. A service granted at now is
// trusted from its StatusStartingTime; one not granted at now comes as
// withdrawn (revoking an anchor imported before). auth (zero: none) is
// given to each entity the list adds.
func FromTSL(l *tsl.List, url string, serviceTypes []string, ctx trust.AnchorContext, now time.Time, auth trust.IssuerAuthorization, extraFlags ...string) (ListImport, error) {
	in := ListImport{Format: "etsi-119612", Type: l.Scheme.Type, Territory: l.Scheme.SchemeTerritory, URL: url,
		Sequence: l.Scheme.SequenceNumber, IssuedAt: l.Scheme.ListIssueDateTime, NextUpdate: l.Scheme.NextUpdate, Authorization: auth}
	want := map[string]bool{}
	for _, t := range serviceTypes {
		want[t] = true
	}
	for _, p := range l.TSPs {
		le := ListEntity{Key: tsl.PickName(p.Names), Names: map[string]string{}}
		for _, n := range p.Names {
			if n.Lang != "" && n.Value != "" && len(le.Names) < trust.MaxNames {
				le.Names[n.Lang] = n.Value
			}
		}
		for _, s := range p.Services {
			if !want[s.Information.ServiceTypeIdentifier] {
				continue
			}
			certs, err := s.Information.Certificates()
			if err != nil {
				return in, err
			}
			for _, der := range certs {
				le.Anchors = append(le.Anchors, ListAnchor{DER: der, Context: ctx, ServiceType: s.Information.ServiceTypeIdentifier,
					Flags: extraFlags, Since: s.Information.StatusStartingTime, Withdrawn: !s.GrantedAt(now)})
			}
		}
		if le.Key != "" && len(le.Anchors) > 0 {
			in.Entities = append(in.Entities, le)
		}
	}
	return in, nil
}
