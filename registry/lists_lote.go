package registry

import (
	"github.com/cairn-id/cairn/internal/lote"
	"github.com/cairn-id/cairn/internal/trust"
)

// PIDAuthorization is the authorization a PID provider imported from an
// EU PID Providers list gets unless the operator chooses other caps: every
// urn:eudi:pid:* type, with strength and validity capped at 3 and no
// verification score (the PID proves who the wallet's data names; the
// assurance policy decides what it is worth, within these caps).
var PIDAuthorization = trust.IssuerAuthorization{VCT: "urn:eudi:pid:*", MaxStrength: 3, MaxValidity: 3}

// FromLoTE turns a checked TS 119 602 list (lote.CheckPIDProfile) into a
// ListImport. url is where the list came from; auth is given to each
// entity the list adds; extraFlags are recorded on every anchor (e.g.
// "unsigned_list").
func FromLoTE(r *lote.Report, url string, auth trust.IssuerAuthorization, extraFlags ...string) ListImport {
	in := ListImport{Format: "etsi-119602", Type: r.Type, Territory: r.Territory, URL: url, Sequence: r.Sequence,
		IssuedAt: r.IssuedAt, NextUpdate: r.NextUpdate, Authorization: auth}
	for _, e := range r.Entities {
		le := ListEntity{Key: e.Name, Names: e.Names}
		for _, a := range e.Anchors {
			flags := append(append([]string(nil), a.Flags...), extraFlags...)
			le.Anchors = append(le.Anchors, ListAnchor{DER: a.Cert.Raw, Context: a.Context, ServiceType: a.ServiceType,
				Flags: flags, Since: a.Since, Withdrawn: a.Withdrawn})
		}
		in.Entities = append(in.Entities, le)
	}
	return in
}
