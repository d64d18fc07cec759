package assurance

import (
	"fmt"
	"testing"
	"time"

	"github.com/cairn-id/cairn/schemas"
)

// FuzzEvaluate builds up to 16 credentials from the input (4 bytes each:
// issuer, strength/validity, verification/fraud/caps, age in weeks) and
// checks the evaluation's invariants against every shipped policy.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{0, 0x11, 0x10, 40, 1, 0x11, 0x11, 20, 2, 0x11, 0x00, 4})
	f.Add([]byte{0, 0x22, 0x22, 1, 0, 0x44, 0x33, 200, 3, 0x32, 0x21, 90})
	var policies []*Policy
	for _, n := range Shipped() {
		p, err := Load(n)
		if err != nil {
			f.Fatal(err)
		}
		policies = append(policies, p)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var cs []Credential
		for i := 0; i+4 <= len(b) && len(cs) < 16; i += 4 {
			iss, sv, vf, age := b[i], b[i+1], b[i+2], b[i+3]
			ev := schemas.Evidence{Strength: int(sv >> 4 % 6), Validity: int(sv & 0xf % 6), Verification: int(vf >> 4 % 6), IdentityFraud: int(vf & 3)}
			var c *Caps
			if vf&0x8 == 0 {
				c = caps(int(iss%5), int(iss>>3%5), int(iss>>5%5), 3)
			}
			cr := credential(fmt.Sprintf("c%d", len(cs)), fmt.Sprintf("did:web:i%d.example", iss%4), vctHealth,
				evalTime.Add(-time.Duration(age)*7*day+time.Duration(int(age%3)-1)*day), ev, c)
			cs = append(cs, cr)
		}
		for _, p := range policies {
			r, err := Evaluate(p, cs, evalTime)
			if err != nil {
				t.Fatal(err)
			}
			if r.Met != nil && len(r.Met.Missing) != 0 {
				t.Fatalf("met with missing parts: %+v", r.Met)
			}
			if (r.Met == nil) == (r.Nearest == nil) && r.Refusal == nil {
				t.Fatalf("met %v nearest %v", r.Met, r.Nearest)
			}
			if r.Met == nil && r.EIDAS != EIDASNone {
				t.Fatalf("eidas %q with nothing met", r.EIDAS)
			}
			for _, pr := range r.Profiles {
				ids, issuers := map[string]bool{}, map[string]bool{}
				for _, s := range pr.Slots {
					if s.CredentialID == "" {
						continue
					}
					if ids[s.CredentialID] || issuers[s.Issuer] {
						t.Fatalf("%s: a credential or issuer fills two slots: %+v", pr.Profile, pr.Slots)
					}
					ids[s.CredentialID], issuers[s.Issuer] = true, true
				}
			}
			for i, c := range r.Credentials {
				in := cs[i]
				if in.Caps == nil && c.Counted {
					t.Fatalf("%s counted without authorization", c.CredentialID)
				}
				if in.Caps != nil && (c.Capped.Strength > in.Caps.Strength || c.Capped.Strength > max(c.Declared.Strength, 0) ||
					c.Capped.Validity > in.Caps.Validity || c.Capped.Verification > in.Caps.Verification) {
					t.Fatalf("%s: capped %+v above caps %+v or declared %+v", c.CredentialID, c.Capped, *in.Caps, c.Declared)
				}
			}
		}
	})
}
