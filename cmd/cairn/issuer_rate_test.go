package main

import (
	"net/http"
	"path/filepath"
	"testing"
)

// TestIssuerServeClientRate: --client-rate and --client-burst reach the
// nonce endpoint's limiter; 0 turns it off; bad values are usage errors.
func TestIssuerServeClientRate(t *testing.T) {
	const vct = "urn:cairn:vct:humanitarian-registration:1"
	nonceStatuses := func(t *testing.T, base string, n int) []int {
		var got []int
		for i := 0; i < n; i++ {
			res, err := http.Post(base+"/nonce", "application/json", nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			got = append(got, res.StatusCode)
		}
		return got
	}
	for _, tc := range []struct {
		name  string
		flags []string
		want  []int
	}{
		{"burst of two", []string{"--client-rate", "1", "--client-burst", "2"}, []int{200, 200, 429}},
		{"off", []string{"--client-rate", "0"}, []int{200, 200, 200, 200, 200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ngo")
			addr := freeAddr(t)
			if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://"+addr, "--dev", "--type", vct); code != 0 {
				t.Fatalf("init: %d %s", code, stderr)
			}
			_, stop := serveInProcess(t, dir, addr, tc.flags...)
			got := nonceStatuses(t, "http://"+addr, len(tc.want))
			stop()
			for i := range tc.want {
				if got[i] != tc.want[i] {
					t.Fatalf("statuses %v, want %v", got, tc.want)
				}
			}
		})
	}
	t.Run("bad values", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ngo")
		if code, _, _ := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://127.0.0.1:1", "--dev", "--type", vct); code != 0 {
			t.Fatal("init")
		}
		for _, flags := range [][]string{{"--client-rate", "-1"}, {"--client-burst", "0"}} {
			if code, _, _ := issuerCLI(t, append([]string{"issuer", "serve", "--dir", dir, "--addr", "127.0.0.1:0"}, flags...)...); code != ExitUsage {
				t.Errorf("%v: exit %d, want %d", flags, code, ExitUsage)
			}
		}
	})
}
