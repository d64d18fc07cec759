package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cairn-id/cairn/schemas"
)

var update = flag.Bool("update", false, "rewrite docs/cli.md from the command tree")

const cliReferencePath = "../../docs/cli.md"

func clidocEnv(getenv func(string) string, now time.Time) *env {
	return &env{
		stdin:  strings.NewReader(""),
		stdout: io.Discard,
		stderr: io.Discard,
		getenv: getenv,
		now:    func() time.Time { return now },
	}
}

func renderCLIReference(t *testing.T, e *env) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeCLIReference(&buf, newRootCmd(e)); err != nil {
		t.Fatalf("writeCLIReference: %v", err)
	}
	return buf.Bytes()
}

func TestCLIReferenceUpToDate(t *testing.T) {
	got := renderCLIReference(t, clidocEnv(func(string) string { return "" }, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)))
	if *update {
		if err := os.WriteFile(cliReferencePath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(cliReferencePath)
	if err != nil {
		t.Fatalf("%v\nrun: %s", err, cliReferenceCommand)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/cli.md is out of date (%s)\nrun: %s", firstDifference(want, got), cliReferenceCommand)
	}
}

// firstDifference names the first line where the committed and the
// rendered reference differ.
func firstDifference(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Sprintf("line %d: file has %q, commands give %q", i+1, w, g)
		}
	}
	return "same lines, different bytes"
}

// TestCLIReferenceDeterministic renders the reference under two different
// environments (variables, clock, home, working directory): a default
// computed from the machine would make the committed file flap.
func TestCLIReferenceDeterministic(t *testing.T) {
	first := renderCLIReference(t, clidocEnv(func(string) string { return "" }, time.Date(2033, 3, 3, 3, 3, 3, 0, time.UTC)))

	elsewhere := t.TempDir()
	for _, k := range []string{"HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "USER"} {
		t.Setenv(k, filepath.Join(elsewhere, strings.ToLower(k)))
	}
	t.Chdir(elsewhere)
	second := renderCLIReference(t, clidocEnv(func(k string) string { return filepath.Join(elsewhere, k) }, time.Date(2031, 7, 7, 7, 7, 7, 0, time.UTC)))

	if !bytes.Equal(first, second) {
		t.Fatalf("reference depends on the environment (%s)", firstDifference(first, second))
	}
	if bytes.Contains(second, []byte(elsewhere)) {
		t.Errorf("reference contains the machine path %s", elsewhere)
	}
	// Neither clock's year appears in any help text.
	for _, year := range []string{"2033", "2031"} {
		if bytes.Contains(second, []byte(year)) {
			t.Errorf("reference contains the year %s of the clock", year)
		}
	}
}

// TestCLIReferenceCoversTree checks the reference has a section and a
// contents entry for every visible command and a row for each of its
// flags, and nothing for cobra's help and completion commands.
func TestCLIReferenceCoversTree(t *testing.T) {
	e := clidocEnv(func(string) string { return "" }, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	doc := string(renderCLIReference(t, e))
	root := newRootCmd(e)
	cmds := documentedCommands(root)
	if len(cmds) < 10 {
		t.Fatalf("only %d commands documented", len(cmds))
	}
	for _, c := range cmds {
		heading := strings.Repeat("#", min(6, commandDepth(c)+1)) + " " + c.CommandPath() + "\n"
		if strings.Count(doc, "\n"+heading) != 1 {
			t.Errorf("want exactly one heading %q", heading)
		}
		if !strings.Contains(doc, "["+c.CommandPath()+"](#"+headingAnchor(c.CommandPath())+")") {
			t.Errorf("contents lack %s", c.CommandPath())
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" {
				return
			}
			if !strings.Contains(doc, "| `--"+f.Name+"` |") {
				t.Errorf("%s: no row for --%s", c.CommandPath(), f.Name)
			}
		})
	}
	for _, unwanted := range []string{"cairn completion", "cairn help", "`--help`"} {
		if strings.Contains(doc, unwanted) {
			t.Errorf("reference mentions %q", unwanted)
		}
	}
	if !strings.Contains(doc, "8  issuer not authorized for this credential type") {
		t.Error("reference lacks the root's exit codes")
	}
}

func TestHeadingAnchor(t *testing.T) {
	for in, want := range map[string]string{
		"cairn issuer offer-batch": "cairn-issuer-offer-batch",
		"cairn Keys":               "cairn-keys",
		"a.b (c)":                  "ab-c",
	} {
		if got := headingAnchor(in); got != want {
			t.Errorf("headingAnchor(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCommandsHaveExamples: every command that does something (not the
// root, not a pure group) shows how to use it.
func TestCommandsHaveExamples(t *testing.T) {
	root := newRootCmd(clidocEnv(func(string) string { return "" }, time.Now()))
	for _, c := range documentedCommands(root) {
		if isCommandGroup(c) {
			continue
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no Example", c.CommandPath())
		}
	}
}

// TestExamplesNameRealCommands parses every "cairn ..." command in every
// Example with the real command tree, so help text cannot name a command
// or flag that does not exist (or is not accepted where it is used).
func TestExamplesNameRealCommands(t *testing.T) {
	e := clidocEnv(func(string) string { return "" }, time.Now())
	checked := 0
	for _, c := range append([]*cobra.Command{newRootCmd(e)}, documentedCommands(newRootCmd(e))...) {
		for _, cmdline := range exampleCommandLines(c.Example) {
			checked++
			if err := checkExampleCommand(e, cmdline); err != nil {
				t.Errorf("%s example %q: %v", c.CommandPath(), strings.Join(cmdline, " "), err)
			}
		}
	}
	t.Logf("%d example commands checked", checked)
	if checked < 20 {
		t.Errorf("only %d example commands found; is the parser broken?", checked)
	}
}

func TestCheckExampleCommand(t *testing.T) {
	e := clidocEnv(func(string) string { return "" }, time.Now())
	tests := []struct {
		line string
		ok   bool
	}{
		{"cairn keys generate --out k.jwk", true},
		{"cairn keys generate --alg=EdDSA --out k.jwk --json", true},
		{"cairn registry show --db board.db --json", true},               // inherited persistent flag
		{"cairn registry --db board.db init --name N --key k.jwk", true}, // flag before the subcommand
		{"cat c | cairn credential inspect --json - > out.json", true},
		{"cairn credential verify --no-kb 'my cred.sdjwt'", true},
		{"cairn keys", false},                                    // a group, no command
		{"cairn", false},                                         // the root
		{"cairn keyz generate --out k.jwk", false},               // unknown group
		{"cairn keys generat --out k.jwk", false},                // unknown subcommand
		{"cairn keys generate --out k.jwk --format pem", false},  // unknown flag
		{"cairn keys show --db board.db k.jwk", false},           // flag of another group
		{"cairn keys generate", false},                           // required --out missing
		{"cairn keys show", false},                               // missing argument
		{"cairn keys generate --out k.jwk extra", false},         // takes no arguments
		{"cairn registry publish --key k.jwk --ttl soon", false}, // not a duration
		{"cairn credential issue --key k --vct v --claims c --holder-jwk h --holder-did d", false}, // mutually exclusive
		{"cat c | cairn credential inspeckt -", false},
	}
	for _, tt := range tests {
		lines := exampleCommandLines("  " + tt.line)
		if len(lines) != 1 {
			t.Errorf("%q: %d command lines found, want 1", tt.line, len(lines))
			continue
		}
		err := checkExampleCommand(e, lines[0])
		if (err == nil) != tt.ok {
			t.Errorf("%q: err = %v, want ok=%v", tt.line, err, tt.ok)
		}
	}
}

func TestExampleCommandLines(t *testing.T) {
	example := `  # comment: cairn nothing
  cairn credential present --holder-key me.jwk --disclose '/nationalities/*' \
    --nonce "n 1" --aud x en=Helping\ Hands > p.txt
  cat x | cairn keys show - | jq .did

  reference,given_name
  echo cairn keys show`
	got := exampleCommandLines(example)
	want := [][]string{
		{"cairn", "credential", "present", "--holder-key", "me.jwk", "--disclose", "/nationalities/*", "--nonce", "n 1", "--aud", "x", "en=Helping Hands"},
		{"cairn", "keys", "show", "-"},
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("exampleCommandLines:\n got %q\nwant %q", got, want)
	}
}

// exampleCommandLines finds the cairn invocations in an Example text:
// continuation lines are joined, comments skipped, and each pipeline
// stage that starts with the word cairn is returned as its shell words,
// without redirections.
func exampleCommandLines(example string) [][]string {
	var out [][]string
	var joined []string
	var cur string
	for _, l := range strings.Split(example, "\n") {
		if strings.HasSuffix(l, `\`) && !strings.HasSuffix(l, `\\`) {
			cur += strings.TrimSuffix(l, `\`) + " "
			continue
		}
		joined = append(joined, cur+l)
		cur = ""
	}
	if cur != "" {
		joined = append(joined, cur)
	}
	for _, l := range joined {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		for _, stage := range shellStages(l) {
			if len(stage) > 0 && stage[0] == "cairn" {
				out = append(out, stage)
			}
		}
	}
	return out
}

// shellStages splits a command line into the words of its pipeline
// stages, with the quoting an example uses ('…', "…", backslash) and
// redirections (< FILE, > FILE) dropped. It is enough for help text, not
// a shell.
func shellStages(line string) [][]string {
	var stages [][]string
	var words []string
	var word strings.Builder
	inWord, skipNext := false, false
	endWord := func() {
		if !inWord {
			return
		}
		if skipNext {
			skipNext = false
		} else {
			words = append(words, word.String())
		}
		word.Reset()
		inWord = false
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\'':
			inWord = true
			for i++; i < len(rs) && rs[i] != '\''; i++ {
				word.WriteRune(rs[i])
			}
		case r == '"':
			inWord = true
			for i++; i < len(rs) && rs[i] != '"'; i++ {
				if rs[i] == '\\' && i+1 < len(rs) {
					i++
				}
				word.WriteRune(rs[i])
			}
		case r == '\\' && i+1 < len(rs):
			inWord = true
			i++
			word.WriteRune(rs[i])
		case r == ' ' || r == '\t':
			endWord()
		case r == '|' || r == ';' || r == '&':
			endWord()
			stages = append(stages, words)
			words = nil
		case r == '<' || r == '>':
			if inWord && strings.Trim(word.String(), "0123456789") == "" {
				word.Reset() // the descriptor number of 2> …
				inWord = false
			}
			endWord()
			skipNext = true
		default:
			inWord = true
			word.WriteRune(r)
		}
	}
	endWord()
	return append(stages, words)
}

// checkExampleCommand parses args (starting with "cairn") as cobra would,
// on a fresh command tree, without running anything: the command path
// must lead to a command that is not a group, every flag must be defined
// on it or inherited and take the value given, and the arguments, required
// flags and flag groups must be what the command accepts.
func checkExampleCommand(e *env, args []string) error {
	if len(args) == 0 || args[0] != "cairn" {
		return fmt.Errorf("not a cairn command")
	}
	root := newRootCmd(e)
	c, rest, err := root.Find(args[1:])
	if err != nil {
		return err
	}
	if c == root {
		return fmt.Errorf("names no command")
	}
	if err := c.ParseFlags(rest); err != nil {
		return fmt.Errorf("%s: %w", c.CommandPath(), err)
	}
	positional := c.Flags().Args()
	if isCommandGroup(c) {
		if len(positional) > 0 {
			return fmt.Errorf("%s has no subcommand %q", c.CommandPath(), positional[0])
		}
		return fmt.Errorf("%s is a group, not a command", c.CommandPath())
	}
	if err := c.ValidateArgs(positional); err != nil {
		return fmt.Errorf("%s: %w", c.CommandPath(), err)
	}
	if err := c.ValidateRequiredFlags(); err != nil {
		return fmt.Errorf("%s: %w", c.CommandPath(), err)
	}
	if err := c.ValidateFlagGroups(); err != nil {
		return fmt.Errorf("%s: %w", c.CommandPath(), err)
	}
	return nil
}

// deskSamples holds the sample files the issuing desk's examples use.
const deskSamples = "../../examples/desk"

// TestIssuerExamplesRun runs every example of 'issuer offer' and 'issuer
// offer-batch' on the sample files in examples/desk, in a directory with
// an issuer "ngo" offering every catalogue type (and
// humanitarian-registration as jpt too): each must exit 0. A
// --prompt example is answered with the session the help text shows, and
// (in English) every question of that session must be asked as shown.
// A CSV file the help text shows inline must be the sample file itself.
func TestIssuerExamplesRun(t *testing.T) {
	samples, err := filepath.Abs(deskSamples)
	if err != nil {
		t.Fatal(err)
	}
	e := clidocEnv(func(string) string { return "" }, time.Now())
	root := newRootCmd(e)
	ran := 0
	for _, path := range [][]string{{"issuer", "offer"}, {"issuer", "offer-batch"}} {
		c, _, err := root.Find(path)
		if err != nil || c.Name() != path[len(path)-1] {
			t.Fatalf("no command %v", path)
		}
		questions, answers := exampleSession(c.Example)
		checkInlineSamples(t, c.Example, samples)
		for _, cmdline := range exampleCommandLines(c.Example) {
			ran++
			name := strings.Join(cmdline, " ")
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				copySamples(t, samples, dir)
				t.Chdir(dir)
				types := []string{"issuer", "init", "--dir", "ngo", "--name", "en=Relief", "--url", "http://127.0.0.1:1", "--dev"}
				cat, err := loadCatalogueForTest()
				if err != nil {
					t.Fatal(err)
				}
				for _, ty := range cat {
					types = append(types, "--type", ty)
				}
				// The --format jpt example needs jpt enabled for its type.
				types = append(types, "--jpt", "urn:cairn:vct:humanitarian-registration:1")
				if code, _, stderr := promptCLI(t, "", types...); code != 0 {
					t.Fatalf("issuer init: %d %s", code, stderr)
				}
				stdin := ""
				if slices.Contains(cmdline, "--prompt") {
					stdin = strings.Join(answers, "\n") + "\n"
				}
				code, stdout, stderr := promptCLI(t, stdin, cmdline[1:]...)
				if code != ExitOK {
					t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
				}
				if slices.Contains(cmdline, "--prompt") && !slices.Contains(cmdline, "--lang") {
					for _, q := range questions {
						if !strings.Contains(stderr, q) {
							t.Errorf("the session in the help asks %q; the prompt does not:\n%s", q, stderr)
						}
					}
				}
			})
		}
	}
	if ran < 5 {
		t.Errorf("only %d examples run", ran)
	}
}

func loadCatalogueForTest() ([]string, error) {
	cat, err := schemas.Load()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ty := range cat.Types() {
		if !ty.External { // the EU PID: issued outside Cairn, never by an issuer
			out = append(out, ty.VCT)
		}
	}
	return out, nil
}

// exampleSession reads the --prompt session an Example shows: each
// question up to its colon, and the answer after it ("" for none), from
// the instructions line to the confirmation.
func exampleSession(example string) (questions, answers []string) {
	in := false
	for _, l := range strings.Split(example, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "Fields marked"):
			in = true
			continue
		case strings.HasPrefix(l, "The credential will say"):
			in = false
			continue
		case strings.HasPrefix(l, "Create the offer?"):
			in = true
		}
		if !in || l == "" {
			continue
		}
		i := strings.LastIndex(l, ":")
		if i < 0 {
			continue
		}
		questions = append(questions, l[:i+1])
		answers = append(answers, strings.TrimSpace(l[i+1:]))
	}
	return questions, answers
}

// checkInlineSamples: a "# NAME.csv" block in an Example is the sample
// file NAME.csv, line by line.
func checkInlineSamples(t *testing.T, example, samples string) {
	t.Helper()
	lines := strings.Split(example, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "# ") || !strings.Contains(l, ".csv") {
			continue
		}
		name := strings.Fields(strings.TrimPrefix(l, "# "))[0]
		var block []string
		for _, b := range lines[i+1:] {
			if strings.TrimSpace(b) == "" {
				break
			}
			block = append(block, strings.TrimSpace(b))
		}
		file, err := os.ReadFile(filepath.Join(samples, name))
		if err != nil {
			t.Errorf("the help shows %s, which examples/desk lacks: %v", name, err)
			continue
		}
		if got := strings.Split(strings.TrimSpace(string(file)), "\n"); !slices.Equal(got, block) {
			t.Errorf("the help's %s differs from examples/desk/%s:\n%q\n%q", name, name, block, got)
		}
	}
}

func copySamples(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(from, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, en.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
