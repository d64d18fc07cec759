package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/issuer/batch"
)

// batchCLI runs cairn in-process with `issuer offer-batch` present, whether
// or not the issuer group lists it yet.
func batchCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		now: func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }}
	root := newRootCmd(e)
	iss, _, err := root.Find([]string{"issuer"})
	if err != nil || iss == root {
		t.Fatalf("no issuer command group: %v", err)
	}
	if sub, _, err := iss.Find([]string{"offer-batch"}); err != nil || sub == iss {
		iss.AddCommand(newIssuerOfferBatchCmd(e))
	}
	root.SetArgs(args)
	code := ExitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		errb.WriteString("cairn: " + err.Error() + "\n")
		code = exitCode(err)
	}
	return code, out.String(), errb.String()
}

func TestIssuerOfferBatch(t *testing.T) {
	dir := t.TempDir()
	ngo := filepath.Join(dir, "ngo")
	if code, _, stderr := batchCLI(t, "issuer", "init", "--dir", ngo, "--name", "en=Relief", "--url", "https://issuer.ngo.example",
		"--type", "urn:cairn:vct:identity-attestation:1", "--type", "urn:cairn:vct:humanitarian-registration:1"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.csv", "\ufeffreference,given_name,family_name,birthdate,nationalities,sex,tx_code\r\n"+
		"Q-001,Amina,Yusuf,1990-04-02,ER;SO,2,yes\r\n"+
		"Q-002,Олена,Коваленко,1985-01-31,UA,2,\r\n"+
		"../../etc/passwd,أمينة,الحسن,1999-12-31,SY,1,no\r\n")
	mixed := write("mixed.csv", "reference,given_name,family_name,birthdate,sex\n"+
		"A,Amina,Yusuf,1990-04-02,2\n"+
		"B,Dawit,Tesfaye,02/06/1979,1\n"+
		"C,Ngozi,Okafor,1988-03-03,female\n")
	unusable := write("unusable.csv", "name,given_name\nx,y\n")
	const vct = "urn:cairn:vct:identity-attestation:1"

	t.Run("all good", func(t *testing.T) {
		out := filepath.Join(dir, "out-good")
		code, stdout, stderr := batchCLI(t, "issuer", "offer-batch", "--dir", ngo, "--csv", good, "--out", out, "--type", vct)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "3 offers for 3 rows") || !strings.Contains(stderr, "offers: 3/3 (100%)") {
			t.Errorf("stdout %q stderr %q", stdout, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, batch.SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		var sum batch.Summary
		if err := json.Unmarshal(b, &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Offered != 3 || !sum.Offers[0].TxCodeRequired || sum.Offers[1].TxCodeRequired || sum.Offers[2].File != "etc_passwd-4.png" {
			t.Fatalf("summary %+v", sum)
		}
		for _, o := range sum.Offers {
			png, err := os.ReadFile(filepath.Join(out, o.File))
			if err != nil {
				t.Fatal(err)
			}
			uri, err := qr.Decode(png)
			if err != nil || !strings.HasPrefix(uri, "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.ngo.example") {
				t.Errorf("%s reads %q, %v", o.File, uri, err)
			}
		}
		// The same directory again: refused, exit 2.
		code, _, stderr = batchCLI(t, "issuer", "offer-batch", "--dir", ngo, "--csv", good, "--out", out, "--type", vct)
		if code != ExitUsage || !strings.Contains(stderr, "not empty") {
			t.Errorf("second run: exit %d, %s", code, stderr)
		}
	})

	t.Run("some refused", func(t *testing.T) {
		out := filepath.Join(dir, "out-mixed")
		code, stdout, stderr := batchCLI(t, "issuer", "offer-batch", "--dir", ngo, "--csv", mixed, "--out", out, "--type", vct, "--json")
		if code != ExitInvalid {
			t.Fatalf("exit %d, want %d: %s", code, ExitInvalid, stderr)
		}
		for _, want := range []string{"line 3 (B): claims: /birthdate", "line 4 (C): claims: /sex must be a whole number", "2 of 3 rows refused", "the other 1 offers are ready"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		if strings.Contains(stderr, "02/06/1979") || strings.Contains(stderr, "female") {
			t.Errorf("stderr reveals claim values:\n%s", stderr)
		}
		var sum batch.Summary
		if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Offered != 1 || sum.Refused != 2 {
			t.Errorf("--json summary %q: %v", stdout, err)
		}
	})

	t.Run("unusable CSV", func(t *testing.T) {
		code, _, stderr := batchCLI(t, "issuer", "offer-batch", "--dir", ngo, "--csv", unusable, "--out", filepath.Join(dir, "o3"), "--type", vct)
		if code != ExitUsage || !strings.Contains(stderr, `no "reference" column`) {
			t.Errorf("exit %d: %s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "o3")); !os.IsNotExist(err) {
			t.Error("output directory created for an unusable CSV")
		}
		code, _, _ = batchCLI(t, "issuer", "offer-batch", "--dir", ngo, "--csv", filepath.Join(dir, "missing.csv"), "--out", filepath.Join(dir, "o4"))
		if code != ExitUsage {
			t.Errorf("missing file: exit %d", code)
		}
		code, _, _ = batchCLI(t, "issuer", "offer-batch", "--dir", ngo, "--csv", good, "--out", filepath.Join(dir, "o5"))
		if code != ExitUsage {
			t.Errorf("no vct column and no --type: exit %d", code)
		}
		code, _, _ = batchCLI(t, "issuer", "offer-batch", "--dir", filepath.Join(dir, "nope"), "--csv", good, "--out", filepath.Join(dir, "o6"), "--type", vct)
		if code != ExitUsage {
			t.Errorf("not an issuer directory: exit %d", code)
		}
	})
}
