package trust

import (
	"encoding/json"
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
