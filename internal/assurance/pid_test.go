package assurance

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/schemas"
)

func TestIsPID(t *testing.T) {
	domestic := []string{"urn:eudi:pid:de:1"}
	for _, tc := range []struct {
		vct  string
		aka  []string
		want bool
	}{
		{"urn:eudi:pid:1", nil, true},
		{"urn:eudi:pid:de:1", nil, true},
		{"urn:eudi:pid:fr:1", nil, false}, // not registered
		{"urn:eudi:pid:", nil, false},
		{"urn:eu.europa.ec.eudi:pid:1", nil, false}, // the legacy type
		{"https://pid.example/de/v2", []string{"urn:eudi:pid:1"}, true},
		{"https://pid.example/de/v2", []string{"urn:eudi:pid:de:1"}, false},
		{vctRegistration, nil, false},
	} {
		if got := IsPID(tc.vct, tc.aka, domestic); got != tc.want {
			t.Errorf("IsPID(%q, %v) = %v", tc.vct, tc.aka, got)
		}
	}
}

// TestPIDIdentityEUDI maps the processed claims of the EU reference PID
// (testdata/eudi/expected.json "values") to the core identity.
func TestPIDIdentityEUDI(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/eudi/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Credentials []struct {
			File   string         `json:"file"`
			Values map[string]any `json:"values"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range doc.Credentials {
		if c.Values == nil {
			continue
		}
		n++
		id, err := PIDIdentity(c.Values)
		if err != nil {
			t.Fatalf("%s: %v", c.File, err)
		}
		v := c.Values
		if id.FamilyName != v["family_name"] || id.GivenName != v["given_name"] || id.Birthdate != v["birthdate"] {
			t.Errorf("%s: names/birthdate %+v", c.File, id)
		}
		pob := v["place_of_birth"].(map[string]any)
		if id.PlaceOfBirth == nil || id.PlaceOfBirth.Country != pob["country"] || id.PlaceOfBirth.Locality != pob["locality"] {
			t.Errorf("%s: place of birth %+v", c.File, id.PlaceOfBirth)
		}
		var nat []string
		for _, x := range v["nationalities"].([]any) {
			nat = append(nat, x.(string))
		}
		if !reflect.DeepEqual(id.Nationalities, nat) {
			t.Errorf("%s: nationalities %v, want %v", c.File, id.Nationalities, nat)
		}
	}
	if n == 0 {
		t.Fatal("no credential with values")
	}
}

func TestPIDIdentity(t *testing.T) {
	sex := 2
	for _, tc := range []struct {
		name   string
		claims string
		want   Identity
		err    bool
	}{
		{"full", `{"family_name":"Müller","given_name":"Anna","birthdate":"1985-03-02","birth_family_name":"Schmidt",
			"place_of_birth":{"country":"DE","region":"Bayern","locality":"München"},"nationalities":["DE","qu","QS"],"sex":2}`,
			Identity{FamilyName: "Müller", GivenName: "Anna", Birthdate: "1985-03-02", BirthFamilyName: "Schmidt",
				PlaceOfBirth: &Place{Country: "DE", Region: "Bayern", Locality: "München"}, Nationalities: []string{"DE", "QU", "QS"}, Sex: &sex,
				NameVariants: []NameVariant{{FamilyName: "Schmidt", GivenName: "Anna", Source: SourceBirthName}}}, false},
		{"nothing disclosed", `{}`, Identity{}, false},
		{"empty nationalities", `{"nationalities":[]}`, Identity{Nationalities: []string{}}, false},
		{"number as name", `{"family_name":7}`, Identity{}, true},
		{"bad birthdate", `{"birthdate":"12/06/1990"}`, Identity{}, true},
		{"three-letter nationality", `{"nationalities":["PRT"]}`, Identity{}, true},
		{"sex out of range", `{"sex":12}`, Identity{}, true},
		{"sex as text", `{"sex":"F"}`, Identity{}, true},
		{"place not an object", `{"place_of_birth":"Porto"}`, Identity{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal([]byte(tc.claims), &m); err != nil {
				t.Fatal(err)
			}
			got, err := PIDIdentity(m)
			if tc.err {
				if !errors.Is(err, ErrPIDClaims) {
					t.Fatalf("err = %v, want ErrPIDClaims", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// pidCred is an EU PID from a listed provider whose registry
// authorization caps it at c.
func pidCred(id string, c *Caps) Credential {
	cr := credential(id, "https://pid-provider.example", PIDVCT, monthsAgo(1), schemas.Evidence{}, c)
	cr.Kind = KindPID
	return cr
}

// TestPIDEvidence: what the shipped policies make of a PID: it fills the
// strong slot up to the registry caps; eIDAS "high" only when the PID
// alone meets the profile; third-party evidence never reads high.
func TestPIDEvidence(t *testing.T) {
	full := caps(4, 4, 4, 3)
	for _, tc := range []struct {
		name, policy string
		creds        []Credential
		met          string
		eidas        EIDAS
		pidAlone     string
	}{
		{"PID alone, bank account", "bank-account", []Credential{pidCred("pid", full)}, "eu-pid", EIDASHigh, "pid"},
		{"PID with a registration", "bank-account", []Credential{pidCred("pid", full), registration()}, "eu-pid", EIDASHigh, "pid"},
		{"PID capped below the strong slot", "bank-account", []Credential{pidCred("pid", caps(3, 2, 2, 0))}, "", "", ""},
		{"PID of an unlisted provider", "bank-account", []Credential{pidCred("pid", nil)}, "", "", ""},
		{"third party as strong as a PID", "bank-account", []Credential{credential("id", "did:web:ministry.example", vctIdentity, monthsAgo(1),
			schemas.Evidence{Strength: 4, Validity: 3, Verification: 3}, caps(4, 4, 4, 3))}, "eu-pid", EIDASSubstantial, ""},
		{"PID alone, basic services", "basic-services", []Credential{pidCred("pid", full)}, "one-registration", EIDASLow, ""},
		{"PID alone, cash assistance", "cash-assistance", []Credential{pidCred("pid", full)}, "registration-verified", EIDASLow, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Load(tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Evaluate(p, tc.creds, evalTime)
			if err != nil {
				t.Fatal(err)
			}
			met := ""
			if r.Met != nil {
				met = r.Met.Profile
			}
			if met != tc.met || r.EIDAS != tc.eidas || r.PIDAlone != tc.pidAlone {
				t.Fatalf("met %q eidas %q pid alone %q; want %q %q %q\n%s", met, r.EIDAS, r.PIDAlone, tc.met, tc.eidas, tc.pidAlone, r.Summary)
			}
			if tc.eidas == EIDASHigh && !strings.Contains(r.Summary, "meets it alone") {
				t.Errorf("summary %q", r.Summary)
			}
			for _, c := range r.Credentials {
				if c.VCT == PIDVCT && (c.Kind != KindPID || !strings.Contains(c.Message, "not a third-party attestation")) {
					t.Errorf("PID contribution %+v", c)
				}
				if c.VCT == PIDVCT && c.Counted && c.Declared != p.PID.Evidence {
					t.Errorf("PID declared %+v, want the policy's %+v", c.Declared, p.PID.Evidence)
				}
			}
		})
	}
}

// TestPIDNeedsPolicy: without a pid section a PID declares nothing,
// whatever evidence claim it carries; eidas_pid needs that section;
// "high" stays refused as a profile's own level.
func TestPIDNeedsPolicy(t *testing.T) {
	base := `{"name":"x","version":1,%s"profiles":[{"name":"p","evidence":[{"strength":2,"validity":2}],"activity":0,"identity_fraud":0,"verification":0,"distinct_issuers":1,"eidas":"%s"%s}]}`
	pidSection := `"pid":{"evidence":{"strength":4,"validity":3,"verification":3,"identity_fraud":0}},`
	for _, tc := range []struct {
		name          string
		pid, eidas, x string
		ok            bool
	}{
		{"eidas_pid high with pid section", pidSection, "low", `,"eidas_pid":"high"`, true},
		{"eidas_pid without pid section", "", "low", `,"eidas_pid":"high"`, false},
		{"eidas high", pidSection, "high", "", false},
		{"eidas_pid unknown", pidSection, "low", `,"eidas_pid":"top"`, false},
		{"pid strength 5", `"pid":{"evidence":{"strength":5,"validity":3}},`, "low", "", false},
	} {
		_, err := ParsePolicy([]byte(fmt.Sprintf(base, tc.pid, tc.eidas, tc.x)))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	p, err := ParsePolicy([]byte(fmt.Sprintf(base, "", "low", "")))
	if err != nil {
		t.Fatal(err)
	}
	c := pidCred("pid", caps(4, 4, 4, 3))
	c.Evidence = schemas.Evidence{Strength: 4, Validity: 4, Verification: 4}
	r, err := Evaluate(p, []Credential{c}, evalTime)
	if err != nil {
		t.Fatal(err)
	}
	if r.Met != nil || r.Credentials[0].Declared != (Scores{}) {
		t.Errorf("a PID counted without the policy's say: %+v", r.Credentials[0])
	}
}

// TestPIDBirthName: a PID whose family name changed since birth agrees
// with an older attestation made under the birth name.
func TestPIDBirthName(t *testing.T) {
	id, err := PIDIdentity(map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-05-01", "birth_family_name": "Yusuf"})
	if err != nil {
		t.Fatal(err)
	}
	pid := pidCred("pid", caps(4, 4, 4, 3))
	pid.Identity = id
	fs := Consistency([]Credential{pid, registration()})
	if len(fs) != 1 || fs[0].Field != FieldFamilyName || fs[0].Outcome != AgreeVariant || !strings.Contains(fs[0].Message, SourceBirthName) {
		t.Fatalf("findings %+v", fs)
	}
}
