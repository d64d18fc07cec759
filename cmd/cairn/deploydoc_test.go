package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestDeployGuideCommands parses every cairn command line of the shell
// blocks of docs/deploy.md against the real command tree, as
// TestExamplesNameRealCommands does for the help examples.
func TestDeployGuideCommands(t *testing.T) {
	b, err := os.ReadFile("../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	e := clidocEnv(func(string) string { return "" }, time.Now())
	checked := 0
	for _, block := range shellBlocks(string(b)) {
		for _, cmdline := range exampleCommandLines(block) {
			checked++
			if err := checkExampleCommand(e, cmdline); err != nil {
				t.Errorf("docs/deploy.md %q: %v", strings.Join(cmdline, " "), err)
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d commands found in docs/deploy.md; is the parser broken?", checked)
	}
}

// shellBlocks returns the bodies of the ```sh fenced blocks of a
// Markdown text.
func shellBlocks(md string) []string {
	var out []string
	var cur []string
	in := false
	for _, l := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(l) == "```sh":
			in, cur = true, nil
		case in && strings.TrimSpace(l) == "```":
			in = false
			out = append(out, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, l)
		}
	}
	return out
}

func TestShellBlocks(t *testing.T) {
	md := "x\n```sh\ncairn up\n```\n```go\ncairn no\n```\n```sh\na\nb\n```\n"
	got := shellBlocks(md)
	if len(got) != 2 || got[0] != "cairn up" || got[1] != "a\nb" {
		t.Errorf("shellBlocks = %q", got)
	}
}
