package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run this binary as the "cairn" command.
// CAIRN_TEST_NOW (RFC 3339) fixes the clock for scripts; it is read here,
// in the test harness, never by the real binary.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cairn": func() {
			now := time.Now
			if s := os.Getenv("CAIRN_TEST_NOW"); s != "" {
				at, err := time.Parse(time.RFC3339, s)
				if err != nil {
					panic(err)
				}
				now = func() time.Time { return at }
			}
			os.Exit(run(context.Background(), os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: now}))
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(e *testscript.Env) error {
			e.Setenv("CAIRN_TEST_NOW", "2026-11-26T12:00:00Z")
			// A home of the script's own, where the verifier keeps its
			// registry high-water marks (~/.cache/cairn/trust-state.json).
			home := filepath.Join(e.WorkDir, "home")
			e.Setenv("HOME", home)
			return os.MkdirAll(home, 0o700)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"wallet-agent":         walletAgentCmd,
			"wallet-recovery-code": walletRecoveryCodeCmd,
			// envfile VAR FILE sets VAR to the trimmed contents of FILE, so a
			// DID printed by one command can be passed to the next.
			"envfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: envfile VAR FILE")
				}
				ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile(args[1])))
			},
			// cairn-exit N args... runs cairn and asserts its exit code is N;
			// stdout and stderr stay available to later stdout/stderr checks.
			"cairn-exit": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 1 {
					ts.Fatalf("usage: cairn-exit CODE [args...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("bad exit code %q", args[0])
				}
				bin, err := exec.LookPath("cairn")
				if err != nil {
					// testscript puts its command binaries on the script's PATH.
					bin = findOnPath(ts.Getenv("PATH"), "cairn")
				}
				cmd := exec.Command(bin, args[1:]...)
				cmd.Dir = ts.Getenv("WORK")
				cmd.Env = []string{"PATH=" + ts.Getenv("PATH"), "HOME=" + ts.Getenv("HOME"), "TMPDIR=" + ts.Getenv("TMPDIR"), "CAIRN_TEST_NOW=" + ts.Getenv("CAIRN_TEST_NOW")}
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if in := ts.Getenv("CAIRN_STDIN"); in != "" {
					cmd.Stdin = strings.NewReader(ts.ReadFile(in))
				}
				err = cmd.Run()
				got := 0
				if ee, ok := err.(*exec.ExitError); ok {
					got = ee.ExitCode()
				} else if err != nil {
					ts.Fatalf("run cairn: %v", err)
				}
				ts.Stdout().Write(stdout.Bytes())
				ts.Stderr().Write(stderr.Bytes())
				if got != want {
					ts.Fatalf("cairn %s: exit code %d, want %d\nstderr: %s", strings.Join(args[1:], " "), got, want, stderr.String())
				}
			},
		},
	})
}

func findOnPath(path, name string) string {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return name
}
