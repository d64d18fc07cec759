package verifier

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/assurance"
	"github.com/cairn-id/cairn/schemas"
)

// policies caches the embedded assurance policies by name.
var policies sync.Map // name -> *assurance.Policy

func policy(name string) (*assurance.Policy, error) {
	if p, ok := policies.Load(name); ok {
		return p.(*assurance.Policy), nil
	}
	p, err := assurance.Load(name)
	if err != nil {
		return nil, err
	}
	policies.Store(name, p)
	return p, nil
}

// AssuranceCredentials turns verified facts into the assurance engine's
// input: the caps of the authorization that covered iat and of the type
// (a credential no authorization covered gets none and does not count),
// the core identity claims the query kept.
func AssuranceCredentials(facts []Facts, cat *schemas.Catalogue) []assurance.Credential {
	out := make([]assurance.Credential, 0, len(facts))
	for _, f := range facts {
		c := assurance.Credential{ID: f.ID, Issuer: f.Issuer, IssuerName: f.IssuerName, VCT: f.VCT, IssuedAt: f.IssuedAt,
			HolderKey: f.HolderKey, Evidence: f.Evidence,
			Identity: assurance.Identity{FamilyName: f.FamilyName, GivenName: f.GivenName, Birthdate: f.Birthdate, BirthdatePrecision: f.BirthdatePrecision}}
		if f.Kind == assurance.KindPID || assurance.IsPID(f.VCT, nil, nil) {
			// An EU PID: its evidence is the policy's pid section, capped by
			// the provider's authorization, not an evidence claim.
			c.Kind = assurance.KindPID
		}
		for _, v := range f.NameVariants {
			nv := assurance.NameVariant{}
			nv.FamilyName, _ = v["family_name"].(string)
			nv.GivenName, _ = v["given_name"].(string)
			nv.Script, _ = v["script"].(string)
			nv.Source, _ = v["source"].(string)
			c.Identity.NameVariants = append(c.Identity.NameVariants, nv)
		}
		if f.Authorization != nil {
			var t *schemas.Type
			if cat != nil {
				t, _ = cat.Lookup(f.VCT)
			}
			caps := assurance.CapsFor(*f.Authorization, t)
			c.Caps = &caps
		}
		out = append(out, c)
	}
	return out
}

// Assess is the default Assessor: the embedded assurance policy named by
// the purpose (internal/assurance), evaluated over the facts at now.
func Assess(cat *schemas.Catalogue) Assessor {
	return func(name string, facts []Facts, now time.Time) (json.RawMessage, error) {
		p, err := policy(name)
		if err != nil {
			return nil, fmt.Errorf("policy %q: %w", name, err)
		}
		r, err := assurance.Evaluate(p, AssuranceCredentials(facts, cat), now)
		if err != nil {
			return nil, err
		}
		return json.Marshal(r)
	}
}
