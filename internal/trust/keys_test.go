package trust

import (
	"errors"
	"testing"
	"time"
)

func TestIssuerKeyAuthorized(t *testing.T) {
	at := func(d int, h time.Duration) time.Time { return t0.Add(time.Duration(d)*day + h) }
	const key, key2 = "did:jwk:bbs1", "did:jwk:bbs2"
	reg := fixtureRegistry()
	e := reg.Entity("did:example:ngo")
	// key held from day 5 at 15:00 until day 40; key2 from day 50 at 08:00.
	e.Keys = []EntityKey{{DID: key, From: at(5, 15*time.Hour), Until: at(40, 0)}, {DID: key2, From: at(50, 8*time.Hour)}}
	// The authorization (days 0–100) is amended on day 60 at 06:00: the
	// new entry starts there with another vct only.
	e.IssuerAuthorizations[0].Until = at(60, 6*time.Hour)
	e.IssuerAuthorizations = append(e.IssuerAuthorizations, IssuerAuthorization{VCT: vctOth, MaxStrength: 1, MaxValidity: 1, From: at(60, 6*time.Hour)})
	if err := reg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		key, vct string
		from     time.Time
		until    time.Time
		ok       bool
		reason   string
	}{
		{"inside the key's window", key, vctID, at(10, 0), time.Time{}, true, ReasonAuthorized},
		{"instant before the key", key, vctID, at(5, 0), time.Time{}, false, ReasonKeyNotValidAtTime},
		{"the day the key starts", key, vctID, at(5, 0), at(6, 0), true, ReasonAuthorized},
		{"the day before the key", key, vctID, at(4, 0), at(5, 0), false, ReasonKeyNotValidAtTime},
		{"after the key's window", key, vctID, at(41, 0), at(42, 0), false, ReasonKeyNotValidAtTime},
		{"second key, its first day", key2, vctID, at(50, 0), at(51, 0), true, ReasonAuthorized},
		{"the day of the amendment", key2, vctID, at(60, 0), at(61, 0), true, ReasonAuthorized},
		{"after the amendment", key2, vctID, at(61, 0), at(62, 0), false, ReasonAuthorizationTime},
		{"the new entry's vct that day", key2, vctOth, at(60, 0), at(61, 0), true, ReasonAuthorized},
		{"the new entry's vct before it", key2, vctOth, at(59, 0), at(60, 0), false, ReasonAuthorizationTime},
		{"unknown key", "did:jwk:other", vctID, at(10, 0), time.Time{}, false, ReasonUnknownKey},
		{"another entity's question", key, vctID, at(10, 0), time.Time{}, false, ReasonUnknownKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iss := "did:example:ngo"
			if tc.name == "another entity's question" {
				iss = "did:example:reinstated"
			}
			d, err := reg.IssuerKeyAuthorized(iss, tc.key, tc.vct, tc.from, tc.until)
			if err != nil {
				t.Fatal(err)
			}
			if d.Authorized != tc.ok || d.Reason != tc.reason {
				t.Fatalf("= %v (%s), want %v (%s)", d.Authorized, d.Reason, tc.ok, tc.reason)
			}
		})
	}
	if _, err := reg.IssuerKeyAuthorized("did:example:ngo", "", vctID, at(1, 0), time.Time{}); !errors.Is(err, ErrBadQuery) {
		t.Fatalf("empty key: %v", err)
	}
}

func TestEntityKeysValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r *Registry)
	}{
		{"not a did:jwk", func(r *Registry) { r.Entities[0].Keys = []EntityKey{{DID: "did:web:x"}} }},
		{"the entity's own DID", func(r *Registry) { r.Entities[0].Keys = []EntityKey{{DID: r.Entities[0].DID}} }},
		{"twice", func(r *Registry) { r.Entities[0].Keys = []EntityKey{{DID: "did:jwk:a"}, {DID: "did:jwk:a"}} }},
		{"until before from", func(r *Registry) {
			r.Entities[0].Keys = []EntityKey{{DID: "did:jwk:a", From: t0.Add(day), Until: t0}}
		}},
		{"two owners", func(r *Registry) {
			r.Entities[0].Keys = []EntityKey{{DID: "did:jwk:a"}}
			r.Entities[1].Keys = []EntityKey{{DID: "did:jwk:a"}}
		}},
		{"a verifier's key", func(r *Registry) {
			for i := range r.Entities {
				if r.Entities[i].Role == RoleVerifier {
					r.Entities[i].Keys = []EntityKey{{DID: "did:jwk:a"}}
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtureRegistry()
			tc.edit(r)
			if err := r.Validate(); !errors.Is(err, ErrInvalidRegistry) {
				t.Fatalf("Validate = %v", err)
			}
		})
	}
}
