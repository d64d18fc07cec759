package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/issuer/batch"
)

// Issue 8, issuer desk: each test fails on the main of before the fix.

func writeDeskFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeskShortTypeName: the short name of a type works wherever a type
// is named, and the full vct is what gets stored and offered.
func TestDeskShortTypeName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://"+freeAddr(t), "--dev",
		"--type", "humanitarian-registration", "--type", "identity-attestation"); code != 0 {
		t.Fatalf("init --type short name: %d %s", code, stderr)
	}
	claims := writeDeskFile(t, "c.json", `{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`)
	code, stdout, stderr := promptCLI(t, "", "issuer", "offer", "--dir", dir, "--type", "humanitarian-registration", "--claims", claims, "--no-png", "--json")
	if code != 0 {
		t.Fatalf("offer --type short name: %d %s", code, stderr)
	}
	if id, _ := jsonMap(t, stdout)["id"].(string); id == "" {
		t.Fatalf("no offer id: %s", stdout)
	}
	code, _, stderr = promptCLI(t, lines("REG-1", "2025-03-02", "LB", "", "", "", "", "", "", "", "", "y"),
		"issuer", "offer", "--dir", dir, "--type", "humanitarian-registration", "--prompt", "--no-png")
	if code != 0 {
		t.Fatalf("offer --prompt --type short name: %d %s", code, stderr)
	}
	csv := writeDeskFile(t, "d.csv", "reference,vct,registration_id,registration_date,registration_place.country\n"+
		"A,,REG-2,2025-03-02,LB\nB,identity-attestation,,,\n")
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr = batchCLI(t, "issuer", "offer-batch", "--dir", dir, "--csv", csv, "--out", out, "--type", "humanitarian-registration")
	if code != ExitInvalid { // B lacks its required claims
		t.Fatalf("offer-batch --type short name: %d %s", code, stderr)
	}
	if strings.Contains(stderr, "unknown credential type") || !strings.Contains(stderr, "line 3 (B): claims:") {
		t.Errorf("short name in the vct column not resolved:\n%s", stderr)
	}
}

// TestDeskSingleOfferPerFieldReasons: a single offer's refusal says why
// each claim fails, as the batch and the prompt do.
func TestDeskSingleOfferPerFieldReasons(t *testing.T) {
	dir := promptIssuer(t)
	claims := writeDeskFile(t, "c.json", `{"registration_id":"REG-1","registration_date":"2/3/2025","registration_place":{"country":"LB"},"household_size":4.5}`)
	code, _, stderr := promptCLI(t, "", "issuer", "offer", "--dir", dir, "--type", vctHumanitarian, "--claims", claims, "--no-png")
	if code != ExitInvalid {
		t.Fatalf("exit %d %s", code, stderr)
	}
	for _, want := range []string{"/household_size must be a whole number", "/registration_date must be a date YYYY-MM-DD"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "2/3/2025") {
		t.Error("a claim value in the message")
	}
}

// TestDeskBatchAllRefused: when every row fails nothing is printed as
// ready; the exit code says nothing was created.
func TestDeskBatchAllRefused(t *testing.T) {
	dir := promptIssuer(t)
	csv := writeDeskFile(t, "bad.csv", "reference,registration_id\nA,REG 1\nB,\n")
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := batchCLI(t, "issuer", "offer-batch", "--dir", dir, "--csv", csv, "--out", out, "--type", vctHumanitarian)
	if code != ExitNothingOffered {
		t.Errorf("exit %d, want %d", code, ExitNothingOffered)
	}
	if strings.Contains(stdout+stderr, "print ") || strings.Contains(stderr, "offers are ready") {
		t.Errorf("tells to print a sheet without offers:\n%s\n%s", stdout, stderr)
	}
	if !strings.Contains(stderr, "no offer was created") {
		t.Errorf("does not say nothing was created:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(out, batch.SummaryFile)); err != nil {
		t.Errorf("summary not written: %v", err)
	}
}
