package assurance

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestShippedPolicies(t *testing.T) {
	names := Shipped()
	if want := []string{"bank-account", "basic-services", "cash-assistance"}; !slices.Equal(names, want) {
		t.Fatalf("Shipped() = %v, want %v", names, want)
	}
	for _, n := range names {
		p, err := Load(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for _, pr := range p.Profiles {
			if pr.EIDAS == "high" || pr.After == "" || pr.Description == "" {
				t.Errorf("%s/%s: eidas %q, after %q", n, pr.Name, pr.EIDAS, pr.After)
			}
		}
	}
	if _, err := Load("no-such-policy"); !errors.Is(err, ErrUnknownPolicy) {
		t.Errorf("Load(unknown) = %v", err)
	}
	if _, err := Load("../policies/basic-services"); !errors.Is(err, ErrUnknownPolicy) {
		t.Errorf("Load(path) = %v", err)
	}
}

const goodPolicy = `{"name":"p","version":1,"profiles":[{"name":"a","evidence":[{"strength":1,"validity":1}],"activity":0,"identity_fraud":0,"verification":0,"distinct_issuers":1,"eidas":"low"}]}`

func TestParsePolicyErrors(t *testing.T) {
	edit := func(old, new string) string { return strings.Replace(goodPolicy, old, new, 1) }
	tests := []struct {
		name, in, want string
	}{
		{"unknown field", edit(`"version":1`, `"version":1,"extra":true`), `unknown field "extra"`},
		{"unknown profile field", edit(`"activity":0`, `"activity":0,"activty":1`), `unknown field "activty"`},
		{"trailing data", goodPolicy + `{}`, "data after"},
		{"not json", `{`, "bad policy"},
		{"bad name", edit(`"name":"p"`, `"name":"P p"`), "name"},
		{"version 0", edit(`"version":1`, `"version":0`), "version"},
		{"no profiles", `{"name":"p","version":1,"profiles":[]}`, "1 to 16 profiles"},
		{"no slots", edit(`[{"strength":1,"validity":1}]`, `[]`), "evidence slots"},
		{"strength 5", edit(`"strength":1`, `"strength":5`), "strength and validity"},
		{"validity 0", edit(`"validity":1`, `"validity":0`), "strength and validity"},
		{"activity 5", edit(`"activity":0`, `"activity":5`), "activity"},
		{"fraud 4", edit(`"identity_fraud":0`, `"identity_fraud":4`), "identity_fraud"},
		{"verification -1", edit(`"verification":0`, `"verification":-1`), "verification"},
		{"eidas high", edit(`"eidas":"low"`, `"eidas":"high"`), "never reached from third-party evidence"},
		{"eidas missing", edit(`,"eidas":"low"`, ``), "eidas"},
		{"duplicate profile", `{"name":"p","version":1,"profiles":[` + profileA + `,` + profileA + `]}`, "listed twice"},
		{"activity days short", edit(`"version":1`, `"version":1,"activity_days":[1,2]`), "activity_days"},
		{"activity days descending", edit(`"version":1`, `"version":1,"activity_days":[9,2,3,4]`), "ascending"},
		{"too big", strings.Repeat(" ", MaxPolicyBytes+1), "bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.in))
			if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrPolicy containing %q", err, tt.want)
			}
		})
	}
	if _, err := ParsePolicy([]byte(goodPolicy)); err != nil {
		t.Fatalf("good policy: %v", err)
	}
}

const profileA = `{"name":"a","evidence":[{"strength":1,"validity":1}],"activity":0,"identity_fraud":0,"verification":0,"distinct_issuers":1,"eidas":"low"}`

func TestActivityScore(t *testing.T) {
	p := &Policy{}
	tests := []struct{ days, score int }{{0, 0}, {179, 0}, {180, 1}, {364, 1}, {365, 2}, {729, 2}, {730, 3}, {1095, 4}, {5000, 4}}
	for _, tt := range tests {
		if got := p.ActivityScore(tt.days); got != tt.score {
			t.Errorf("ActivityScore(%d) = %d, want %d", tt.days, got, tt.score)
		}
	}
	custom := &Policy{ActivityDays: []int{10, 20, 30, 40}}
	if custom.ActivityScore(25) != 2 || custom.daysFor(3) != 30 {
		t.Error("activity_days not used")
	}
}

// FuzzParsePolicy: the parser never panics, and whatever it accepts is
// valid and survives a round trip unchanged.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(goodPolicy))
	for _, n := range Shipped() {
		b, _ := shippedFS.ReadFile("policies/" + n + ".json")
		f.Add(b)
	}
	f.Add([]byte(`{"name":"p","version":1,"profiles":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			if !errors.Is(err, ErrPolicy) {
				t.Fatalf("error not ErrPolicy: %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted an invalid policy: %v", err)
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParsePolicy(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the policy:\n%+v\n%+v", p, q)
		}
		// An accepted policy evaluates without error.
		if _, err := Evaluate(p, threeWeak(), evalTime); err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
	})
}
