package x509trust_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/cairn-id/cairn/internal/x509trust"
)

// FuzzX5C feeds the x5c decoder and then Validate arbitrary header
// values: nothing panics, and nothing validates without a path to the
// one configured anchor.
func FuzzX5C(f *testing.F) {
	ref := x5cOf(f, "credentials/pid-eudi-ref-2026-08.sdjwt")
	bdr := x5cOf(f, "credentials/pid-bdr-2025-04.sdjwt")
	enc := func(ders ...[]byte) string {
		var a []string
		for _, d := range ders {
			a = append(a, base64.StdEncoding.EncodeToString(d))
		}
		b, _ := json.Marshal(a)
		return string(b)
	}
	f.Add(enc(ref...))
	f.Add(enc(bdr...))
	f.Add(enc(bdr[1], bdr[0]))
	f.Add(`["MAo="]`)
	f.Add(`[]`)
	f.Add(`"x"`)
	anchors := anchors(f, x509trust.ContextPID, "certs/pid-issuer-ca-ut-02.pem")
	v := loadVectors(f)[0] // pid-eudi-ref-2026-08
	f.Fuzz(func(t *testing.T, header string) {
		var x any
		if json.Unmarshal([]byte(header), &x) != nil {
			return
		}
		chain, err := x509trust.DecodeX5C(x)
		if err != nil {
			return
		}
		p, err := x509trust.Validate(chain, anchors, v.VerificationTime, x509trust.ContextPID)
		if err == nil && (p.Anchor == nil || p.Anchor.Cert.Subject.CommonName != "PID Issuer CA - UT 02" || len(p.Certs) == 0) {
			t.Fatalf("accepted a path that does not end at the anchor: %+v", p)
		}
	})
}
