package trust

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRoleAndStatusJSON: the defined types encode as the plain strings the
// published registry format has always used.
func TestRoleAndStatusJSON(t *testing.T) {
	e := Entity{
		DID: "did:example:ngo", Names: map[string]string{"en": "NGO"}, Role: RoleVerifier, Status: StatusSuspended,
		StatusHistory: []StatusChange{{Status: StatusRevoked, At: time.Unix(0, 0).UTC()}},
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"role":"verifier"`, `"status":"suspended"`, `"status_history":[{"status":"revoked"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	var back Entity
	if err := json.Unmarshal(b, &back); err != nil || back.Role != RoleVerifier || back.Status != StatusSuspended || back.StatusHistory[0].Status != StatusRevoked {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestCheckDisplayNames(t *testing.T) {
	tests := []struct {
		name  string
		names map[string]string
		noEn  bool
		ok    bool
	}{
		{"english", map[string]string{"en": "Helping Hands"}, false, true},
		{"english and arabic", map[string]string{"en": "Helping Hands", "ar": "أيادي المساعدة"}, false, true},
		{"upper-case tag", map[string]string{"EN": "Helping Hands"}, false, true},
		{"french only", map[string]string{"fr": "Mains Secourables"}, true, false},
		{"none", nil, true, false},
		{"blank english", map[string]string{"en": " ", "fr": "x"}, false, false},
		{"blank tag", map[string]string{" ": "x", "en": "y"}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckDisplayNames(tc.names)
			if (err == nil) != tc.ok || errors.Is(err, ErrNoEnglishName) != tc.noEn {
				t.Fatalf("CheckDisplayNames(%v) = %v", tc.names, err)
			}
		})
	}
}
