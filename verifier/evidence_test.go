package verifier

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/cairn-id/cairn/schemas"
)

// TestEvidenceFromDecoded: reading the evidence claim without a JSON round
// trip gives what json.Unmarshal into schemas.Evidence gives, or declines.
func TestEvidenceFromDecoded(t *testing.T) {
	for _, c := range []string{
		`{"strength":3,"validity":2}`,
		`{"strength":3,"validity":2,"verification":1,"identity_fraud":2,"known_since":"2024-01-02","method":"in_person","other":[1]}`,
		`{"strength":2.5}`,
		`{"strength":"3"}`,
		`{"Strength":3}`,
		`{"strength":null}`,
		`{"known_since":7}`,
		`[1]`,
		`{"strength":99999999999999999999}`,
	} {
		d := json.NewDecoder(bytes.NewReader([]byte(c)))
		d.UseNumber()
		var raw any
		if err := d.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		var want schemas.Evidence
		wantOK := json.Unmarshal([]byte(c), &want) == nil
		got, ok := evidenceFromDecoded(raw)
		// Declining is always safe: the caller then takes the round trip.
		if ok && (!wantOK || got != want) {
			t.Errorf("%s: %+v, json.Unmarshal gives %+v (%v)", c, got, want, wantOK)
		}
		if c == `{"strength":3,"validity":2}` && !ok {
			t.Errorf("%s: declined", c)
		}
	}
}
