package tsl

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

var seAt = time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)

// read reads a trusted list from testdata/eudi/trust-lists (kept once
// there; provenance in its README.md), or a file of this package's
// testdata (the PTS signer).
func read(t testing.TB, name string) []byte {
	t.Helper()
	dir := "../../testdata/eudi/trust-lists/"
	if strings.HasSuffix(name, ".pem") {
		dir = "testdata/"
	}
	b, err := os.ReadFile(dir + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptsAnchor(t testing.TB) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(read(t, "pts-se-tl-signer.pem"))
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSwedishListVerifies: the SE list's XAdES signature (2 references)
// verifies at 2025-05-01 under the PTS certificate, and its services are
// what expected.json records.
func TestSwedishListVerifies(t *testing.T) {
	s, err := Verify(read(t, "tl-se-2025-04-10.xml"), VerifyOptions{SignerAnchors: []*x509.Certificate{ptsAnchor(t)}, Now: seAt})
	if err != nil {
		t.Fatal(err)
	}
	if s.Reference != 2 || s.Method != AlgRSASHA256 || !strings.Contains(s.Chain[0].Subject.CommonName, "PTS") {
		t.Fatalf("references %d, method %s, signer %s", s.Reference, s.Method, s.Chain[0].Subject)
	}
	l := s.List
	if l.Scheme.SequenceNumber != 55 || l.Scheme.SchemeTerritory != "SE" || len(l.TSPs) != 4 {
		t.Fatalf("seq %d territory %s tsps %d", l.Scheme.SequenceNumber, l.Scheme.SchemeTerritory, len(l.TSPs))
	}
	got := map[string]int{}
	services, history := 0, 0
	for _, p := range l.TSPs {
		for _, svc := range p.Services {
			services++
			history += len(svc.History)
			st := "withdrawn"
			if svc.GrantedAt(seAt) {
				st = "granted"
			}
			got[strings.TrimPrefix(svc.Information.ServiceTypeIdentifier, "http://uri.etsi.org/TrstSvc/Svctype/")+" "+st]++
		}
	}
	want := map[string]int{"CA/QC granted": 4, "CA/QC withdrawn": 1, "Certstatus/OCSP/QC granted": 1, "Certstatus/OCSP/QC withdrawn": 1,
		"TSA/QTST granted": 2, "QESValidation/Q granted": 1, "QESValidation/Q withdrawn": 2}
	if services != 12 || history != 6 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("services %d history %d: %v, want %v", services, history, got, want)
	}
	if stale, err := l.CheckFresh(seAt, 0); stale || err != nil {
		t.Fatalf("fresh at 2025-05-01: %v %v", stale, err)
	}
	if _, err := l.CheckFresh(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), 7*24*time.Hour); !errors.Is(err, ErrStale) {
		t.Fatalf("at 2026-12-02: %v", err)
	}
}

// TestSwedishListEdits: any one-byte change to signed content, or to the
// signature, fails; so does another anchor or a time outside the signer's
// validity.
func TestSwedishListEdits(t *testing.T) {
	orig := read(t, "tl-se-2025-04-10.xml")
	anchors := []*x509.Certificate{ptsAnchor(t)}
	edit := func(old, new string) []byte {
		if !bytes.Contains(orig, []byte(old)) {
			t.Fatalf("%q not in the list", old)
		}
		return bytes.Replace(orig, []byte(old), []byte(new), 1)
	}
	other, _ := selfSigned(t, "Other", false)
	sv := orig[bytes.Index(orig, []byte("<ds:SignatureValue")):]
	sv = sv[bytes.IndexByte(sv, '>')+1:]
	flipped := bytes.Replace(orig, sv[:10], append([]byte{sv[0] ^ 1}, sv[1:10]...), 1)
	for _, tc := range []struct {
		name    string
		b       []byte
		anchors []*x509.Certificate
		now     time.Time
		want    error
	}{
		{"sequence number edited", edit("<TSLSequenceNumber>55<", "<TSLSequenceNumber>56<"), anchors, seAt, ErrSignature},
		{"one letter of a name", edit("Post- och telestyrelsen", "Post- och telestyrelsEn"), anchors, seAt, ErrSignature},
		{"signing time edited", edit("<xades:SigningTime>2025", "<xades:SigningTime>2024"), anchors, seAt, ErrSignature},
		{"signature value flipped", flipped, anchors, seAt, ErrSignature},
		{"other anchor", orig, []*x509.Certificate{other.Cert}, seAt, ErrUntrustedSigner},
		{"after the signer expired", orig, anchors, time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), ErrUntrustedSigner},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Verify(tc.b, VerifyOptions{SignerAnchors: tc.anchors, Now: tc.now}); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestUnsignedEWCList: the EWC pilot list parses, but is refused where a
// signature is required.
func TestUnsignedEWCList(t *testing.T) {
	b := read(t, "tl-ewc-pilot-2025-02-13.xml")
	l, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, p := range l.TSPs {
		for _, s := range p.Services {
			types[s.Information.ServiceTypeIdentifier]++
		}
	}
	if len(l.TSPs) != 17 || l.Scheme.SchemeTerritory != "TT" || types["https://ewc-consortium.github.io/ewc-trust-list/TrstSvc/Svctype/PID"] != 4 {
		t.Fatalf("tsps %d territory %s types %v", len(l.TSPs), l.Scheme.SchemeTerritory, types)
	}
	if _, err := Verify(b, VerifyOptions{SignerAnchors: []*x509.Certificate{ptsAnchor(t)}, Now: seAt}); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("unsigned list: %v", err)
	}
}

type testCert struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

func selfSigned(t testing.TB, cn string, useRSA bool) (*testCert, []byte) {
	t.Helper()
	var key crypto.Signer
	var err error
	if useRSA {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCert{Cert: c, Key: key}, der
}

const miniList = `<?xml version="1.0" encoding="UTF-8"?><TrustServiceStatusList xmlns="http://uri.etsi.org/02231/v2#" Id="tsl"><SchemeInformation><TSLVersionIdentifier>6</TSLVersionIdentifier><TSLSequenceNumber>3</TSLSequenceNumber><TSLType>http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric</TSLType><SchemeOperatorName><Name xml:lang="en">Test operator</Name></SchemeOperatorName><SchemeTerritory>TT</SchemeTerritory><ListIssueDateTime>2025-04-01T00:00:00Z</ListIssueDateTime><NextUpdate><dateTime>2025-10-01T00:00:00Z</dateTime></NextUpdate></SchemeInformation><TrustServiceProviderList><TrustServiceProvider><TSPInformation><TSPName><Name xml:lang="en">QEAA Provider</Name></TSPName></TSPInformation><TSPServices><TSPService><ServiceInformation><ServiceTypeIdentifier>http://uri.etsi.org/TrstSvc/Svctype/EAA/Q</ServiceTypeIdentifier><ServiceName><Name xml:lang="en">QEAA issuance</Name></ServiceName><ServiceDigitalIdentity><DigitalId><X509Certificate>%s</X509Certificate></DigitalId></ServiceDigitalIdentity><ServiceStatus>http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted</ServiceStatus><StatusStartingTime>2025-03-01T00:00:00Z</StatusStartingTime></ServiceInformation></TSPService></TSPServices></TrustServiceProvider></TrustServiceProviderList></TrustServiceStatusList>`

// signMini signs a small list the way a scheme operator does (enveloped,
// exclusive c14n, one reference), with method.
func signMini(t testing.TB, signer *testCert, method string, serviceCert []byte) []byte {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(fmt.Sprintf(miniList, base64.StdEncoding.EncodeToString(serviceCert))); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	canon, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(root.Copy())
	if err != nil {
		t.Fatal(err)
	}
	sm := sigMethods[method]
	d := crypto.SHA256.New()
	d.Write(canon)
	sig := root.CreateElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", dsigNS)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", algExcC14N)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", method)
	ref := si.CreateElement("ds:Reference")
	ref.CreateAttr("URI", "")
	trs := ref.CreateElement("ds:Transforms")
	trs.CreateElement("ds:Transform").CreateAttr("Algorithm", algEnveloped)
	trs.CreateElement("ds:Transform").CreateAttr("Algorithm", algExcC14N)
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgDigest256)
	ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(d.Sum(nil)))
	canonSI, err := canonicalize(si, "")
	if err != nil {
		t.Fatal(err)
	}
	h := sm.hash.New()
	h.Write(canonSI)
	digest := h.Sum(nil)
	var value []byte
	switch sm.kind {
	case "rsa":
		value, err = rsa.SignPKCS1v15(rand.Reader, signer.Key.(*rsa.PrivateKey), sm.hash, digest)
	case "pss":
		value, err = rsa.SignPSS(rand.Reader, signer.Key.(*rsa.PrivateKey), sm.hash, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ecdsa":
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, signer.Key.(*ecdsa.PrivateKey), digest)
		value = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
	if err != nil {
		t.Fatal(err)
	}
	sig.CreateElement("ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(signer.Cert.Raw))
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSignatureMethods: lists signed with RSA PKCS#1 v1.5, RSASSA-PSS and
// ECDSA verify; the same bytes under another key or an edited list do not.
func TestSignatureMethods(t *testing.T) {
	rsaSigner, _ := selfSigned(t, "RSA operator", true)
	ecSigner, _ := selfSigned(t, "EC operator", false)
	_, svcDER := selfSigned(t, "QEAA CA", false)
	at := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		method string
		signer *testCert
	}{{AlgRSASHA256, rsaSigner}, {AlgPSSSHA256, rsaSigner}, {AlgPSSSHA512, rsaSigner}, {AlgECDSA256, ecSigner}} {
		t.Run(tc.method, func(t *testing.T) {
			b := signMini(t, tc.signer, tc.method, svcDER)
			s, err := Verify(b, VerifyOptions{SignerAnchors: []*x509.Certificate{tc.signer.Cert}, Now: at})
			if err != nil {
				t.Fatal(err)
			}
			svc := s.List.TSPs[0].Services[0]
			if !svc.GrantedAt(at) || svc.GrantedAt(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
				t.Fatal("granted window wrong")
			}
			edited := bytes.Replace(b, []byte("QEAA Provider"), []byte("QEAA Provides"), 1)
			if _, err := Verify(edited, VerifyOptions{SignerAnchors: []*x509.Certificate{tc.signer.Cert}, Now: at}); !errors.Is(err, ErrSignature) {
				t.Fatalf("edited: %v", err)
			}
		})
	}
	// A PSS value presented as PKCS#1 v1.5 fails: the method is honoured.
	b := bytes.Replace(signMini(t, rsaSigner, AlgPSSSHA256, svcDER), []byte(AlgPSSSHA256), []byte(AlgRSASHA256), 1)
	if _, err := Verify(b, VerifyOptions{SignerAnchors: []*x509.Certificate{rsaSigner.Cert}, Now: at}); !errors.Is(err, ErrSignature) {
		t.Fatalf("method swapped: %v", err)
	}
}

// TestServiceHistory: the status at t comes from the entry in force then.
func TestServiceHistory(t *testing.T) {
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	svc := Service{
		Information: ServiceFields{ServiceStatus: StatusWithdrawn, StatusStartingTime: d("2024-06-01")},
		History: []ServiceFields{
			{ServiceStatus: StatusGranted, StatusStartingTime: d("2020-01-01")},
			{ServiceStatus: StatusWithdrawn, StatusStartingTime: d("2021-01-01")},
			{ServiceStatus: StatusGranted, StatusStartingTime: d("2022-01-01")},
		},
	}
	for at, want := range map[string]bool{"2019-01-01": false, "2020-06-01": true, "2021-06-01": false, "2023-01-01": true, "2024-06-01": false, "2026-01-01": false} {
		if got := svc.GrantedAt(d(at)); got != want {
			t.Errorf("granted at %s = %v", at, got)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(read(f, "tl-ewc-pilot-2025-02-13.xml")[:4000])
	f.Add([]byte(`<TrustServiceStatusList xmlns="http://uri.etsi.org/02231/v2#"><SchemeInformation><TSLType>x</TSLType><ListIssueDateTime>2025-01-01T00:00:00Z</ListIssueDateTime></SchemeInformation><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/><ds:SignatureValue/></ds:Signature></TrustServiceStatusList>`))
	anchor := ptsAnchor(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Parse(b)
		_, _ = Verify(b, VerifyOptions{SignerAnchors: []*x509.Certificate{anchor}, Now: seAt})
	})
}
