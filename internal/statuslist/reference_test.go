package statuslist

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
)

func decodeStatus(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseReference(t *testing.T) {
	ok := []struct {
		name   string
		status map[string]any
		want   Reference
	}{
		{"json_number", decodeStatus(t, `{"status_list":{"idx":412,"uri":"https://example.com/statuslists/1"}}`), Reference{412, "https://example.com/statuslists/1"}},
		{"json_number_exponent", decodeStatus(t, `{"status_list":{"idx":1.2e2,"uri":"https://example.com/s"}}`), Reference{120, "https://example.com/s"}},
		{"float64", map[string]any{"status_list": map[string]any{"idx": float64(5), "uri": "https://example.com/s"}}, Reference{5, "https://example.com/s"}},
		{"go_int", map[string]any{"status_list": map[string]any{"idx": 0, "uri": "http://localhost:8080/s"}}, Reference{0, "http://localhost:8080/s"}},
		{"extra_members_ignored", decodeStatus(t, `{"status_list":{"idx":1,"uri":"https://e.example/s","x":1},"other_mechanism":{}}`), Reference{1, "https://e.example/s"}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseReference(tc.status)
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	bad := []struct {
		name   string
		status map[string]any
		want   error
	}{
		{"nil", nil, ErrInvalidReference},
		{"no_status_list", decodeStatus(t, `{"identifiers":{}}`), ErrInvalidReference},
		{"status_list_string", decodeStatus(t, `{"status_list":"x"}`), ErrInvalidReference},
		{"no_idx", decodeStatus(t, `{"status_list":{"uri":"https://e.example/s"}}`), ErrInvalidReference},
		{"idx_string", decodeStatus(t, `{"status_list":{"idx":"1","uri":"https://e.example/s"}}`), ErrInvalidReference},
		{"idx_negative", decodeStatus(t, `{"status_list":{"idx":-1,"uri":"https://e.example/s"}}`), ErrInvalidReference},
		{"idx_fraction", decodeStatus(t, `{"status_list":{"idx":1.5,"uri":"https://e.example/s"}}`), ErrInvalidReference},
		{"idx_float64_fraction", map[string]any{"status_list": map[string]any{"idx": 2.25, "uri": "https://e.example/s"}}, ErrInvalidReference},
		{"idx_nan", map[string]any{"status_list": map[string]any{"idx": math.NaN(), "uri": "https://e.example/s"}}, ErrInvalidReference},
		{"idx_huge", decodeStatus(t, `{"status_list":{"idx":1e30,"uri":"https://e.example/s"}}`), ErrIndexOutOfRange},
		{"idx_max_entries", decodeStatus(t, `{"status_list":{"idx":16777216,"uri":"https://e.example/s"}}`), ErrIndexOutOfRange},
		{"idx_bool", decodeStatus(t, `{"status_list":{"idx":true,"uri":"https://e.example/s"}}`), ErrInvalidReference},
		{"no_uri", decodeStatus(t, `{"status_list":{"idx":1}}`), ErrInvalidReference},
		{"uri_number", decodeStatus(t, `{"status_list":{"idx":1,"uri":5}}`), ErrInvalidReference},
		{"uri_relative", decodeStatus(t, `{"status_list":{"idx":1,"uri":"/statuslists/1"}}`), ErrInvalidReference},
		{"uri_no_host", decodeStatus(t, `{"status_list":{"idx":1,"uri":"https://"}}`), ErrInvalidReference},
		{"uri_urn", decodeStatus(t, `{"status_list":{"idx":1,"uri":"urn:x:1"}}`), ErrInvalidReference},
		{"uri_bad", decodeStatus(t, `{"status_list":{"idx":1,"uri":"https://exa mple.com/%zz"}}`), ErrInvalidReference},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseReference(tc.status)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %+v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestReferenceClaimRoundTrip(t *testing.T) {
	r := Reference{Index: 77, URI: "https://issuer.example/statuslists/3"}
	b, err := json.Marshal(map[string]any{"status": r.Claim()})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"status":{"status_list":{"idx":77,"uri":"https://issuer.example/statuslists/3"}}}` {
		t.Errorf("claim JSON %s", b)
	}
	var back map[string]map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got, err := ParseReference(back["status"])
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
}
