package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

const walkthroughDoc = "../../docs/registry-walkthrough.md"

var skipMarker = regexp.MustCompile(`^<!-- walkthrough-test: skip: .+ -->$`)

// walkthroughBlocks returns the ```sh blocks of a page, in order, and how
// many were marked to be skipped (the marker line must come right before
// the block, and must give a reason).
func walkthroughBlocks(doc string) (run []string, skipped int) {
	lines := strings.Split(doc, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		skip := i > 0 && skipMarker.MatchString(strings.TrimSpace(lines[i-1]))
		var b []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			b = append(b, lines[i])
		}
		if skip {
			skipped++
			continue
		}
		run = append(run, strings.Join(b, "\n"))
	}
	return run, skipped
}

// walkthroughScript makes one shell script of the blocks. What a reader
// does in another terminal is done in the background: a line that starts
// "cairn registry serve" is started with & and waited for, and stopped
// when the script ends; it runs on the real clock. The page's port 8090
// becomes addr. A reader takes a while between steps; the script's clock
// (CAIRN_TEST_NOW, read by the test harness only) moves one second from one
// block to the next, from start, so every step happens in a second of its
// own. The server answers on the real clock, so the script's clock must
// stay in the past of it: start at least len(blocks) seconds ago.
func walkthroughScript(blocks []string, addr string, start time.Time) string {
	var b strings.Builder
	b.WriteString("set -eux\nSERVE_PID=\ntrap 'if [ -n \"$SERVE_PID\" ]; then kill $SERVE_PID; fi' EXIT\n")
	for i, block := range blocks {
		fmt.Fprintf(&b, "export CAIRN_TEST_NOW=%s\n", start.Add(time.Duration(i)*time.Second).UTC().Format(time.RFC3339))
		block = strings.ReplaceAll(block, "127.0.0.1:8090", addr)
		for _, l := range strings.Split(block, "\n") {
			if strings.HasPrefix(l, "cairn registry serve") {
				b.WriteString("env -u CAIRN_TEST_NOW " + l + " 2>serve.log &\nSERVE_PID=$!\n")
				b.WriteString("n=0; until curl -sf http://" + addr + "/healthz >/dev/null; do n=$((n+1)); if [ $n -gt 200 ]; then cat serve.log; exit 1; fi; sleep 0.05; done\n")
				continue
			}
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestWalkthroughBlocks(t *testing.T) {
	doc := "text\n```sh\na\nb \\\n  c\n```\n\n<!-- walkthrough-test: skip: no wallet -->\n```sh\nskipped\n```\n" +
		"<!-- walkthrough-test: skip: -->\n```sh\nd\n```\n```\nnot sh\n```\n"
	run, skipped := walkthroughBlocks(doc)
	if len(run) != 2 || run[0] != "a\nb \\\n  c" || run[1] != "d" || skipped != 1 {
		t.Fatalf("blocks %q, %d skipped", run, skipped)
	}
	s := walkthroughScript([]string{"cairn registry serve --addr 127.0.0.1:8090\ncurl http://127.0.0.1:8090/x", "cairn registry show"}, "127.0.0.1:5555", time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	if !strings.Contains(s, "env -u CAIRN_TEST_NOW cairn registry serve --addr 127.0.0.1:5555 2>serve.log &\nSERVE_PID=$!") || strings.Contains(s, "8090") ||
		!strings.Contains(s, "export CAIRN_TEST_NOW=2026-11-26T12:00:01Z\ncairn registry show") {
		t.Fatalf("script:\n%s", s)
	}
}

// TestRegistryWalkthroughRuns runs docs/registry-walkthrough.md as written:
// every sh block, in order, in one shell, in an empty directory, with the
// cairn under test on PATH. Only blocks marked "walkthrough-test: skip"
// (with a reason) are left out.
func TestRegistryWalkthroughRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole walkthrough")
	}
	for _, tool := range []string{"sh", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("the walkthrough needs %s (.ci/run installs it)", tool)
			}
			t.Skipf("the walkthrough needs %s", tool)
		}
	}
	doc, err := os.ReadFile(walkthroughDoc)
	if err != nil {
		t.Fatal(err)
	}
	blocks, skipped := walkthroughBlocks(string(doc))
	if len(blocks) < 10 || skipped > 3 {
		t.Fatalf("%d blocks to run, %d skipped: is the page or the parser broken?", len(blocks), skipped)
	}
	start := time.Now().Truncate(time.Second).Add(-time.Duration(len(blocks)+1) * time.Second)
	script := walkthroughScript(blocks, freeAddr(t), start)
	// What the page says each step prints.
	checks := []string{
		`stdout 'openid-credential-offer://'`,
		`stderr 'authorization a1 recorded: may issue urn:cairn:vct:humanitarian-registration:1 \(strength ≤2, validity ≤2, verification ≤2\)'`,
		`stdout '"authorized":true'`,
		`stdout 'claims_outside_purpose'`,
		`stdout '"recognized":true'`,
		`stderr 'authorization a2 replaces a1 from now \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)'`,
		`stdout 'a1: may issue .* – \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, ended \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(recorded .*\) – document checks audited'`,
		`stdout 'replaces a1'`,
		`stderr 'authorization a1 ends at now'`,
		`stdout 'a2: may issue urn:cairn:vct:humanitarian-registration:1 \(strength ≤2, validity ≤3, verification ≤2, GR\)'`,
		`stderr 'published version 5'`,
		`stdout 'Lesvos Pilot Board version 5'`,
	}
	dir := t.TempDir()
	ar := "exec sh walkthrough.sh\n" + strings.Join(checks, "\n") + "\n-- walkthrough.sh --\n" + script
	if err := os.WriteFile(filepath.Join(dir, "walkthrough.txtar"), []byte(ar), 0o644); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{Dir: dir, Setup: func(e *testscript.Env) error {
		// The page's ~/.cache/cairn (trust marks) lives in the test's directory.
		e.Setenv("HOME", e.WorkDir)
		e.Setenv("XDG_CACHE_HOME", filepath.Join(e.WorkDir, ".cache"))
		return nil
	}})
}
