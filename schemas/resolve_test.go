package schemas

import (
	"errors"
	"testing"
)

func TestResolve(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref, vct string
	}{
		{"urn:cairn:vct:humanitarian-registration:1", "urn:cairn:vct:humanitarian-registration:1"},
		{"humanitarian-registration", "urn:cairn:vct:humanitarian-registration:1"},
		{" identity-attestation ", "urn:cairn:vct:identity-attestation:1"},
		{"https://cairn.example/vct/identity", ""},
		{"urn:cairn:vct:humanitarian-registration", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got, err := cat.Resolve(tc.ref)
		switch {
		case tc.vct == "" && !errors.Is(err, ErrUnknownType):
			t.Errorf("Resolve(%q) = %v, %v; want ErrUnknownType", tc.ref, got, err)
		case tc.vct != "" && (err != nil || got.VCT != tc.vct):
			t.Errorf("Resolve(%q) = %v, %v; want %s", tc.ref, got, err, tc.vct)
		}
	}
}
