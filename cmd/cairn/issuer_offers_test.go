package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/issuer/batch"
)

// TestIssuerOfferManagementCLI (issues 8 and 9): an offer-batch drive run
// again skips the rows already offered and says how many; the summary
// names offers by handle, never by the id the QR code redeems; 'issuer
// offers' lists them with reference and batch; 'issuer cancel --batch'
// cancels them all.
func TestIssuerOfferManagementCLI(t *testing.T) {
	dir := t.TempDir()
	ngo := filepath.Join(dir, "ngo")
	const vct = "urn:cairn:vct:identity-attestation:1"
	if code, _, stderr := batchCLI(t, "issuer", "init", "--dir", ngo, "--name", "en=Relief", "--url", "https://issuer.ngo.example", "--type", vct); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	rows := "reference,given_name,family_name,birthdate,sex\nA,Amina,Yusuf,1990-04-02,2\nB,Dawit,Tesfaye,1979-06-02,1\n"
	csv := filepath.Join(dir, "camp4.csv")
	if err := os.WriteFile(csv, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := batchCLI(t, "issuer", "offer-batch", "--dir", ngo, "--csv", csv, "--out", filepath.Join(dir, "out1"), "--type", vct); code != 0 {
		t.Fatalf("first run: %d %s", code, stderr)
	}
	sumRaw, err := os.ReadFile(filepath.Join(dir, "out1", batch.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var sum batch.Summary
	if err := json.Unmarshal(sumRaw, &sum); err != nil {
		t.Fatal(err)
	}
	for _, o := range sum.Offers {
		png, err := os.ReadFile(filepath.Join(dir, "out1", o.File))
		if err != nil {
			t.Fatal(err)
		}
		uri, err := qr.Decode(png)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(uri)
		offerURL := u.Query().Get("credential_offer_uri")
		id := offerURL[strings.LastIndex(offerURL, "/")+1:]
		if id == "" || strings.Contains(string(sumRaw), id) || strings.Contains(o.File, id) {
			t.Errorf("summary.json or file name %s holds the redeeming offer id %q", o.File, id)
		}
		if o.OfferHandle == "" {
			t.Errorf("summary row %d has no offer handle", o.Line)
		}
	}

	// Interrupted drive, run again with one more row: only the new one.
	rows += "C,Ngozi,Okafor,1988-03-03,2\n"
	if err := os.WriteFile(csv, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := batchCLI(t, "issuer", "offer-batch", "--dir", ngo, "--csv", csv, "--out", filepath.Join(dir, "out2"), "--type", vct)
	if code != 0 || !strings.Contains(stderr, "skipped 2 rows already offered") || !strings.Contains(stdout, "1 offers for 1 rows") {
		t.Fatalf("resumed run: %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	code, _, stderr = batchCLI(t, "issuer", "offer-batch", "--dir", ngo, "--csv", csv, "--out", filepath.Join(dir, "out3"), "--type", vct)
	if code != 0 || !strings.Contains(stderr, "skipped 3 rows") || !strings.Contains(stderr, "nothing to do") {
		t.Fatalf("third run: %d %s", code, stderr)
	}

	code, stdout, stderr = batchCLI(t, "issuer", "offers", "--dir", ngo, "--pending", "--json")
	var list []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list) != 3 {
		t.Fatalf("offers: %d %s %s", code, stdout, stderr)
	}
	for _, o := range list {
		if o["batch"] != "camp4" || o["reference"] == nil || o["handle"] == nil || o["id"] != nil {
			t.Errorf("offer listed as %v", o)
		}
	}
	code, stdout, stderr = batchCLI(t, "issuer", "cancel", "--dir", ngo, list[0]["handle"].(string))
	if code != 0 || !strings.Contains(stdout, "cancelled") {
		t.Fatalf("cancel: %d %s %s", code, stdout, stderr)
	}
	code, stdout, stderr = batchCLI(t, "issuer", "cancel", "--dir", ngo, "--batch", "camp4")
	if code != 0 || !strings.Contains(stdout, "2 offers of batch camp4 cancelled") {
		t.Fatalf("cancel --batch: %d %s %s", code, stdout, stderr)
	}
	if code, _, _ := batchCLI(t, "issuer", "cancel", "--dir", ngo, "--batch", "camp4"); code != ExitUsage {
		t.Errorf("cancelling an empty batch: exit %d, want %d", code, ExitUsage)
	}
	if code, _, stderr := batchCLI(t, "issuer", "revoke", "--dir", ngo, "--reference", "A"); code != ExitUsage || !strings.Contains(stderr, "no credential issued with reference") {
		t.Errorf("revoke --reference with nothing issued: %d %s", code, stderr)
	}
}
