package examples

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeCommands returns the commands of the README's set-up block (each
// line's text before its comment).
func readmeCommands(t *testing.T, readme string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "\n## Set-up")
	if !ok {
		t.Fatal("README has no Set-up section")
	}
	_, block, ok := strings.Cut(rest, "```sh\n")
	if !ok {
		t.Fatal("the Set-up section has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	var cmds []string
	for _, line := range strings.Split(block, "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		if cmd = strings.TrimSpace(cmd); cmd != "" {
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// TestREADMESetup clones this repository's committed state into a new
// directory and runs the README's two set-up commands as written there,
// so the README's promise stays true from a clean clone:
//
//   - the first ('make up'), which runs until Ctrl-C, is started (with
//     UP_FLAGS="--addr 127.0.0.1:0" in the environment, since 8080 may be
//     taken on a test machine), waited for (/readyz), checked (the pages,
//     a registry snapshot, and the offer command it prints, run as
//     printed), and stopped with SIGINT;
//   - the second ('make test') runs every test: the whole suite again
//     inside this one, so it runs only with CAIRN_README_FULL=1 (CI's
//     'make test' already is that command); otherwise 'make -n test'
//     checks that it resolves to the test run.
func TestREADMESetup(t *testing.T) {
	if testing.Short() {
		t.Skip("clones the repository and builds it; skipped with -short")
	}
	if os.Getenv("CAIRN_README_NESTED") != "" {
		t.Skip("inside the README's own 'make test'")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	clone := filepath.Join(t.TempDir(), "cairn")
	if out, err := exec.Command("git", "clone", "-q", strings.TrimSpace(string(top)), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	readme, err := os.ReadFile(filepath.Join(clone, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(t, string(readme))
	if len(cmds) != 2 || cmds[0] != "make up" || cmds[1] != "make test" {
		t.Fatalf("the README's set-up commands are %q, want [make up, make test]", cmds)
	}
	if !strings.Contains(string(readme), "until\nyou press Ctrl-C") && !strings.Contains(string(readme), "until you press Ctrl-C") {
		t.Error("the README does not say that 'make up' runs until Ctrl-C")
	}
	if _, err := os.Stat(filepath.Join(clone, "cairn-data")); !os.IsNotExist(err) {
		t.Fatalf("the clone already has a data directory: %v", err)
	}

	// 1. make up
	up := exec.Command("sh", "-c", cmds[0])
	up.Dir = clone
	up.Env = append(os.Environ(), "UP_FLAGS=--addr 127.0.0.1:0")
	r := startUp(t, up)
	t.Logf("%q: up %s after it started (the build included)", cmds[0], r.ready.Round(time.Millisecond))
	for _, c := range []struct{ path, want string }{
		{"/", "/wallet/"},
		{"/trust/", "Northgate Registration Office"},
		{"/registry/snapshot", "eyJ"},
		{"/.well-known/openid-credential-issuer/issuers/clinic", `"credential_issuer":"` + r.url + `/issuers/clinic"`},
	} {
		if body := httpGet(t, r.url+c.path); !strings.Contains(body, c.want) {
			t.Errorf("GET %s: %.300q lacks %q", c.path, body, c.want)
		}
	}
	// The offer command it printed works as printed, from the clone.
	m := regexp.MustCompile(`(?m)^    (\./bin/cairn issuer offer .*--claims .*)$`).FindStringSubmatch(r.stdout.String())
	if m == nil {
		t.Fatalf("no offer command in the output:\n%s", r.stdout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	offer := exec.CommandContext(ctx, "sh", "-c", m[1])
	offer.Dir = clone
	var stdout, stderr bytes.Buffer
	offer.Stdout, offer.Stderr = &stdout, &stderr
	if err := offer.Run(); err != nil || !strings.HasPrefix(stdout.String(), "openid-credential-offer://?credential_offer_uri="+url.QueryEscape(r.url+"/issuers/registration/offers/")) {
		t.Errorf("%s: %v\n%s\n%s", m[1], err, stdout.String(), stderr.String())
	}
	_ = r.stop(t) // make reports the interrupt; cairn itself shut down gracefully:
	if !strings.Contains(r.stderr.String(), "shutting down") {
		t.Errorf("no graceful shutdown in the log:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(clone, "cairn-data", "stack.json")); err != nil {
		t.Errorf("the data directory was not kept: %v", err)
	}

	// 2. make test
	if os.Getenv("CAIRN_README_FULL") == "" {
		dry := exec.Command("sh", "-c", cmds[1]+" -n")
		dry.Dir = clone
		out, err := dry.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "go test") {
			t.Errorf("%s -n: %v\n%s", cmds[1], err, out)
		}
		return
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel2()
	test := exec.CommandContext(ctx2, "sh", "-c", cmds[1])
	test.Dir = clone
	test.Env = append(os.Environ(), "CAIRN_README_NESTED=1")
	if out, err := test.CombinedOutput(); err != nil {
		t.Errorf("%s: %v\n%s", cmds[1], err, out)
	}
}

func httpGet(t *testing.T, u string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", "-sS", u).Output()
	if err != nil {
		t.Errorf("GET %s: %v", u, err)
	}
	return string(out)
}
