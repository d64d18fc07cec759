package x509trust_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/x509trust"
)

// Validate the x5c of the EU reference PID to the PID provider CA it was
// issued under, at a time when both were valid.
func ExampleValidate() {
	pemData, _ := os.ReadFile("../../testdata/eudi/certs/pid-issuer-ca-ut-02.pem")
	as, err := x509trust.ParseAnchorsPEM(pemData, x509trust.ContextPID, "pid-issuer-ca-ut-02.pem")
	if err != nil {
		fmt.Println(err)
		return
	}
	raw, _ := os.ReadFile("../../testdata/eudi/credentials/pid-eudi-ref-2026-08.sdjwt")
	hdr, _, _ := strings.Cut(string(raw), ".")
	js, _ := base64.RawURLEncoding.DecodeString(hdr)
	var h map[string]any
	_ = json.Unmarshal(js, &h)
	chain, err := x509trust.DecodeX5C(h["x5c"])
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := x509trust.Validate(chain, x509trust.NewAnchorSet(as...), time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), x509trust.ContextPID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Leaf().Subject.CommonName, "->", p.Anchor.Name)
	fmt.Println(x509trust.CheckPIDSigningProfile(p.Leaf(), true).OK())
	// Output:
	// PID DS - 002 -> PID Issuer CA - UT 02
	// true
}
