package main

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerStage is one FROM … stage of a Dockerfile: its base image and
// name, and its instructions in order (keyword upper-cased, arguments as
// written, continuation lines joined).
type dockerStage struct {
	from, name string
	instr      [][2]string
}

// parseDockerfile reads the instructions of a Dockerfile (enough of the
// syntax for ours: comments, backslash continuations, FROM … AS name).
func parseDockerfile(t *testing.T, path string) []*dockerStage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []*dockerStage
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		kw, args, _ := strings.Cut(line, " ")
		kw, args = strings.ToUpper(kw), strings.TrimSpace(args)
		if kw == "FROM" {
			f := strings.Fields(args)
			st := &dockerStage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %s before FROM", kw)
		}
		st := stages[len(stages)-1]
		st.instr = append(st.instr, [2]string{kw, args})
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if s, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	flush()
	return stages
}

func (s *dockerStage) all(kw string) []string {
	var out []string
	for _, in := range s.instr {
		if in[0] == kw {
			out = append(out, in[1])
		}
	}
	return out
}

// makeGoToolchain is the GOTOOLCHAIN the Makefile pins.
func makeGoToolchain(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^export GOTOOLCHAIN\s*:?=\s*(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the Makefile pins no GOTOOLCHAIN")
	}
	return string(m[1])
}

// TestDockerfileBuildSteps checks the repository's Dockerfile without a
// container engine: its build stage uses the Makefile's Go release,
// CGO_ENABLED=0 and -trimpath; its build command, run here from the
// repository, makes a static ELF (no interpreter, no dynamic section)
// whose --version and --help work; the final stage is the digest-pinned
// distroless static base, runs as a non-root user, has no RUN (no
// shell), and its ENTRYPOINT is the binary the build stage made.
func TestDockerfileBuildSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	stages := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a final one", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	// The build stage.
	env := map[string]string{}
	for _, e := range build.all("ENV") {
		for _, kv := range strings.Fields(e) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("ENV %q: use KEY=VALUE", e)
			}
			env[k] = v
		}
	}
	if want := makeGoToolchain(t, root); env["GOTOOLCHAIN"] != want {
		t.Errorf("build stage GOTOOLCHAIN=%q, the Makefile pins %q", env["GOTOOLCHAIN"], want)
	}
	if env["CGO_ENABLED"] != "0" {
		t.Errorf("build stage CGO_ENABLED=%q, want 0", env["CGO_ENABLED"])
	}
	var buildCmd string
	for _, r := range build.all("RUN") {
		if strings.HasPrefix(r, "go build ") {
			buildCmd = r
		}
	}
	if buildCmd == "" || !strings.Contains(buildCmd, " -trimpath ") || !strings.Contains(buildCmd, " ./cmd/cairn") {
		t.Fatalf("build command %q: want go build -trimpath … ./cmd/cairn", buildCmd)
	}
	out := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(buildCmd)
	if out == nil {
		t.Fatalf("build command %q names no -o output", buildCmd)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "cairn")
	cmd := exec.Command("sh", "-c", strings.Replace(buildCmd, out[0], "-o "+bin, 1))
	cmd.Dir = root
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", buildCmd, err, b)
	}

	// A static binary.
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %v program header: not static", p.Type)
		}
	}
	if f.Section(".dynamic") != nil || f.Section(".interp") != nil {
		t.Error("the binary has a dynamic or interp section: not static")
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary imports %v", libs)
	}
	f.Close()
	v, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("cairn --version: %v", err)
	}
	for _, want := range []string{"cairn ", makeGoToolchain(t, root), "CGO_ENABLED=0", "-trimpath=true"} {
		if !strings.Contains(string(v), want) {
			t.Errorf("cairn --version = %q, want %q in it", v, want)
		}
	}
	if h, err := exec.Command(bin, "--help").Output(); err != nil || !strings.Contains(string(h), "wallet") {
		t.Errorf("cairn --help: %v\n%s", err, h)
	}

	// The final stage.
	if !regexp.MustCompile(`^gcr\.io/distroless/static-debian12:nonroot@sha256:[0-9a-f]{64}$`).MatchString(final.from) {
		t.Errorf("final base %q: want gcr.io/distroless/static-debian12:nonroot pinned by digest", final.from)
	}
	if r := final.all("RUN"); len(r) > 0 {
		t.Errorf("the final stage runs %q: it has no shell", r)
	}
	users := final.all("USER")
	if len(users) == 0 {
		t.Fatal("the final stage sets no USER (it would run as root)")
	}
	user, group, _ := strings.Cut(users[len(users)-1], ":")
	for _, id := range []string{user, group} {
		if id == "root" || id == "0" {
			t.Errorf("final USER %q is root", users[len(users)-1])
		}
	}
	eps := final.all("ENTRYPOINT")
	var ep []string
	if len(eps) != 1 || json.Unmarshal([]byte(eps[0]), &ep) != nil || len(ep) != 1 {
		t.Fatalf("ENTRYPOINT %q: want the exec form [\"/path/cairn\"]", eps)
	}
	copied := false
	for _, c := range final.all("COPY") {
		f := strings.Fields(c)
		if len(f) >= 3 && f[0] == "--from="+build.name && f[len(f)-2] == out[1] && f[len(f)-1] == ep[0] {
			copied = true
		}
	}
	if !copied {
		t.Errorf("no COPY --from=%s %s %s: the ENTRYPOINT is not the built binary", build.name, out[1], ep[0])
	}
	if len(final.all("EXPOSE")) == 0 || len(final.all("VOLUME")) == 0 {
		t.Error("the final stage declares no EXPOSE or no VOLUME")
	}
}
