package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func writeToken(t *testing.T, dir string, mode os.FileMode) (path, token string) {
	t.Helper()
	token = "metrics-token-0123456789abcdef"
	path = filepath.Join(dir, "metrics.token")
	if err := os.WriteFile(path, []byte(token+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, mode)
	return path, token
}

// TestRegistryServeMetrics: /metrics is not on the public listener by
// default; --metrics-addr serves it (and nothing else) on its own
// listener; --metrics-token-file alone puts it on the public listener
// behind a bearer token; a token file others can read is refused.
func TestRegistryServeMetrics(t *testing.T) {
	r := newRegistryCLI(t)
	r.ok("init", "--name", "Board", "--key", r.path("authority.jwk"))
	r.ok("publish", "--key", r.path("authority.jwk"))

	base, _, stop := startRegistryServe(t, r)
	if code, _ := get(t, base+"/metrics", ""); code != 404 {
		t.Errorf("default: /metrics on the public listener: %d", code)
	}
	stop()

	base, logs, stop := startRegistryServe(t, r, "--metrics-addr", "127.0.0.1:0")
	m := regexp.MustCompile(`metrics on (http://\S+)/metrics`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no metrics address: %s", logs)
	}
	get(t, base+"/registry/snapshot", "")
	if code, _ := get(t, base+"/metrics", ""); code != 404 {
		t.Errorf("--metrics-addr: /metrics on the public listener: %d", code)
	}
	if code, body := get(t, m[1]+"/metrics", ""); code != 200 || !strings.Contains(body, `cairn_registry_http_requests_total{code="200",route="snapshot"} 1`) {
		t.Errorf("metrics listener: %d\n%s", code, body)
	}
	if code, _ := get(t, m[1]+"/registry/snapshot", ""); code != 404 {
		t.Errorf("metrics listener serves the API: %d", code)
	}
	stop()

	tokenFile, token := writeToken(t, r.dir, 0o600)
	base, _, stop = startRegistryServe(t, r, "--metrics-token-file", tokenFile)
	if code, _ := get(t, base+"/metrics", ""); code != 401 {
		t.Errorf("token: /metrics without it: %d", code)
	}
	if code, body := get(t, base+"/metrics", token); code != 200 || !strings.Contains(body, "cairn_registry_http_requests_total") {
		t.Errorf("token: /metrics with it: %d", code)
	}
	stop()

	open, _ := writeToken(t, t.TempDir(), 0o644)
	if res := r.run("serve", "--addr", "127.0.0.1:0", "--metrics-token-file", open); res.code != ExitFailure || !strings.Contains(res.stderr, "readable by group or others") {
		t.Errorf("token file 0644: exit %d %s", res.code, res.stderr)
	}
	if res := r.run("serve", "--addr", "127.0.0.1:0", "--metrics-addr", "nonsense"); res.code != ExitUsage {
		t.Errorf("bad --metrics-addr: exit %d %s", res.code, res.stderr)
	}
}

// TestIssuerServeMetrics: the issuer's /metrics leaves the public
// listener (404 there, in the issuer's own error shape) and is served on
// --metrics-addr.
func TestIssuerServeMetrics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	addr := freeAddr(t)
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", "http://"+addr, "--dev", "--type", "urn:cairn:vct:humanitarian-registration:1"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	metricsAddr := freeAddr(t)
	_, stop := serveInProcess(t, dir, addr, "--metrics-addr", metricsAddr)
	if code, body := get(t, "http://"+addr+"/metrics", ""); code != 404 || !strings.Contains(body, `"not_found"`) {
		t.Errorf("/metrics on the public listener: %d %s", code, body)
	}
	for _, p := range []string{"//metrics", "/./metrics", "/%6Detrics"} {
		if code, body := get(t, "http://"+addr+p, ""); strings.Contains(body, "cairn_issuer_") {
			t.Errorf("%s on the public listener: %d, metrics served", p, code)
		}
	}
	if code, body := get(t, "http://"+metricsAddr+"/metrics", ""); code != 200 || !strings.Contains(body, "cairn_issuer_") {
		t.Errorf("metrics listener: %d\n%s", code, body)
	}
	if code, _ := get(t, "http://"+metricsAddr+"/healthz", ""); code != 404 {
		t.Errorf("metrics listener serves the issuer: %d", code)
	}
	stop()
}

// TestRegistryPublishWaitsForTheLock: a publish while another process
// holds the database for longer than bbolt's one-second timeout waits
// and succeeds instead of failing.
func TestRegistryPublishWaitsForTheLock(t *testing.T) {
	r := newRegistryCLI(t)
	r.ok("init", "--name", "Board", "--key", r.path("authority.jwk"))
	held, err := openBoltWaiting(context.Background(), r.db)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(1500 * time.Millisecond)
		held.Close()
		close(released)
	}()
	res := r.run("publish", "--key", r.path("authority.jwk"))
	<-released
	if res.code != ExitOK {
		t.Fatalf("publish while the database was held: exit %d %s", res.code, res.stderr)
	}
}

// TestRegistryServeClientRate: --client-rate and --client-burst limit
// the public routes per client address; bad values are usage errors.
func TestRegistryServeClientRate(t *testing.T) {
	r := newRegistryCLI(t)
	r.ok("init", "--name", "Board", "--key", r.path("authority.jwk"))
	r.ok("publish", "--key", r.path("authority.jwk"))
	base, _, stop := startRegistryServe(t, r, "--client-rate", "1", "--client-burst", "2")
	for i, want := range []int{200, 200, 429} {
		if code, _ := get(t, base+"/registry/snapshot", ""); code != want {
			t.Errorf("request %d: %d, want %d", i+1, code, want)
		}
	}
	if code, _ := get(t, base+"/healthz", ""); code != 200 {
		t.Errorf("healthz limited: %d", code)
	}
	stop()
	for _, args := range [][]string{
		{"--client-rate", "-1"},
		{"--client-burst", "0"},
		{"--trusted-proxy", "not-an-address"},
		{"--refresh", "-1s"},
	} {
		if res := r.run(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...); res.code != ExitUsage {
			t.Errorf("%v: exit %d %s", args, res.code, res.stderr)
		}
	}
}
