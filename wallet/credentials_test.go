package wallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

var recordT0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func sampleRecords() []Credential {
	return []Credential{
		{ID: "credential-0001", Group: "group-0001", KeyIndex: 3, VCT: "urn:cairn:vct:humanitarian-registration:1",
			IssuerDID: "did:web:issuer.example", IssuedAt: recordT0, ExpiresAt: recordT0.AddDate(1, 0, 0),
			Compact: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln~WyJzIiwiYSIsMV0~", Status: &StatusRef{URI: "https://issuer.example/status/1", Index: 123456},
			ReceivedAt: recordT0.Add(time.Minute)},
		// No status, no expiry, another time zone, a key index of 0.
		{ID: "credential-0002", Group: "group-0002", VCT: "urn:x", IssuerDID: "did:jwk:e30",
			IssuedAt: time.Date(2020, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600)), Compact: "a.b.c~", ReceivedAt: recordT0},
		// Empty strings and a status index of 0.
		{ID: "credential-0003", Compact: "x", Status: &StatusRef{}},
		// A jpt credential: its format and the issuer's BBS key survive.
		{ID: "credential-0004", Group: "group-0004", Format: FormatJPT, IssuerKey: "did:jwk:eyJrdHkiOiJPS1AifQ", VCT: "urn:x",
			IssuerDID: "did:web:issuer.example", IssuedAt: recordT0, ExpiresAt: recordT0.AddDate(0, 1, 0), Compact: "e30.AAA~~AAA.cHJvb2Y", ReceivedAt: recordT0},
	}
}

// TestCredentialRecordFormats: a record written now (format 2) and ones
// written before (format 1 for SD-JWT VCs; format 0, JSON then a newline)
// read back as the credential stored, through the sealed record.
func TestCredentialRecordFormats(t *testing.T) {
	l := &liveSession{holderID: "holder-0001", recKey: bytes.Repeat([]byte{9}, 32)}
	legacy := func(c *Credential) []byte {
		meta := *c
		meta.Compact = ""
		js, err := json.Marshal(&meta)
		if err != nil {
			t.Fatal(err)
		}
		return append(append(js, '\n'), c.Compact...)
	}
	for _, c := range sampleRecords() {
		encs := map[string]func(*Credential) []byte{
			"format 2": func(c *Credential) []byte {
				b, err := encodeCredential(c)
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
			"format 0": legacy,
		}
		if c.Format == "" {
			encs["format 1"] = formatV1
		}
		for name, enc := range encs {
			pt := enc(&c)
			sealed := seal(l.recKey, make([]byte, 24), pt, recordAD(l.holderID, KindCredential, c.ID))
			got, err := openCredential(l, c.ID, sealed)
			if err != nil {
				t.Fatalf("%s %s: %v", name, c.ID, err)
			}
			if !sameCredential(got, &c) {
				t.Errorf("%s: got %+v, want %+v", name, got, c)
			}
			if _, err := openCredential(l, "credential-9999", sealed); !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: a record at another address opened: %v", name, err)
			}
		}
	}
}

// formatV1 is a record as format 1 wrote it: format 2 without Format
// and IssuerKey (two empty strings after IssuerDID).
func formatV1(c *Credential) []byte {
	b, err := encodeCredential(c)
	if err != nil {
		panic(err)
	}
	d := metaDecoder{b: b[1:], s: string(b[1:])}
	d.str()
	d.str()
	d.int()
	d.str()
	d.str()
	at := 1 + d.pos
	if b[at] != 0 || b[at+1] != 0 {
		panic("formatV1: Format or IssuerKey set")
	}
	return append(append([]byte{credentialMetaV1}, b[1:at]...), b[at+2:]...)
}

// sameCredential compares credentials, times by instant and offset.
func sameCredential(a, b *Credential) bool {
	sameTime := func(x, y time.Time) bool {
		_, ox := x.Zone()
		_, oy := y.Zone()
		return x.Equal(y) && ox == oy
	}
	if !sameTime(a.IssuedAt, b.IssuedAt) || !sameTime(a.ExpiresAt, b.ExpiresAt) || !sameTime(a.ReceivedAt, b.ReceivedAt) {
		return false
	}
	x, y := *a, *b
	x.IssuedAt, x.ExpiresAt, x.ReceivedAt = time.Time{}, time.Time{}, time.Time{}
	y.IssuedAt, y.ExpiresAt, y.ReceivedAt = time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}

// TestDecodeCredentialRefusesMalformed: truncations, an unknown format
// byte and lengths past the end are refused, never read past.
func TestDecodeCredentialRefusesMalformed(t *testing.T) {
	good, err := encodeCredential(&sampleRecords()[0])
	if err != nil {
		t.Fatal(err)
	}
	metaLen := len(good) - len(sampleRecords()[0].Compact)
	for name, pt := range map[string][]byte{
		"empty":               {},
		"unknown format":      append([]byte{0x03}, good[1:]...),
		"JSON, no separator":  []byte(`{"id":"credential-0001"}`),
		"JSON, bad":           []byte("{\"id\":1}\nx"),
		"string past the end": {credentialMetaV1, 0x7f, 'a'},
		"bad status flag":     append(append([]byte(nil), good[:metaLen-len("https://issuer.example/status/1")-5]...), 7),
	} {
		if _, err := decodeCredential(pt); !errors.Is(err, errCredentialFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for n := 1; n < metaLen; n++ {
		if c, err := decodeCredential(good[:n]); err == nil {
			t.Fatalf("metadata cut at %d of %d decoded: %+v", n, metaLen, c)
		}
	}
}

// FuzzDecodeCredential: any plaintext is refused with
// errCredentialFormat or decoded; a decoded one encodes (format 1) and
// decodes again to the same credential.
func FuzzDecodeCredential(f *testing.F) {
	for _, c := range sampleRecords() {
		b, _ := encodeCredential(&c)
		f.Add(b)
	}
	f.Add([]byte("{\"id\":\"credential-0001\",\"key_index\":2}\na.b.c~"))
	f.Add([]byte{credentialMetaV1})
	f.Fuzz(func(t *testing.T, pt []byte) {
		c, err := decodeCredential(pt)
		if err != nil {
			if !errors.Is(err, errCredentialFormat) {
				t.Fatalf("error outside errCredentialFormat: %v", err)
			}
			return
		}
		b, err := encodeCredential(c)
		if err != nil {
			return // a decoded time with no binary form (e.g. an odd offset)
		}
		again, err := decodeCredential(b)
		if err != nil || !sameCredential(again, c) {
			t.Fatalf("round trip: %+v, %v; was %+v", again, err, c)
		}
	})
}
