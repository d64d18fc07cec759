package examples

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
)

// buildCairn builds cmd/cairn into a temporary directory.
func buildCairn(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cairn")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/cairn").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a long-running command started in its own process group.
type running struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	url            string
	started        time.Time
	ready          time.Duration // from start to the first 200 of /readyz
	done           chan error
}

var upLine = regexp.MustCompile(`Cairn is up: open (http://\S+)/ on this machine`)

// startUp starts cmd (a 'cairn up' or a 'make up'), waits for its
// "Cairn is up" line and for /readyz, and stops it (SIGINT to the group)
// at the end of the test if still running.
func startUp(t *testing.T, cmd *exec.Cmd) *running {
	t.Helper()
	r := &running{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	pr, pw := io.Pipe()
	cmd.Stdout = io.MultiWriter(r.stdout, pw)
	cmd.Stderr = r.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() { r.stop(t) })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := upLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case r.url = <-found:
	case err := <-r.done:
		r.done <- err
		t.Fatalf("%s ended before it was up: %v\nstdout:\n%s\nstderr:\n%s", cmd, err, r.stdout, r.stderr)
	case <-time.After(5 * time.Minute):
		t.Fatalf("%s: not up after 5 minutes\nstdout:\n%s\nstderr:\n%s", cmd, r.stdout, r.stderr)
	}
	for i := 0; ; i++ {
		res, err := http.Get(r.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 200 {
			t.Fatalf("/readyz never ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.ready = time.Since(r.started)
	return r
}

// stop sends SIGINT to the process group and waits for the end.
func (r *running) stop(t *testing.T) error {
	if r.cmd.ProcessState != nil {
		return nil
	}
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT)
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		t.Errorf("%s: still running 30 s after SIGINT", r.cmd)
		return <-r.done
	}
}

// TestAccretion starts a fresh 'cairn up' in a temporary data directory
// and runs accretion.sh against it: three credentials from three issuers
// over 185 simulated days, then the clinic desk's check, which meets the
// 'accreted' profile that the first credential alone did not meet; then
// stops the stack with SIGINT (a graceful shutdown, exit 0).
func TestAccretion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the whole stack; skipped with -short")
	}
	bin := buildCairn(t)
	data := filepath.Join(t.TempDir(), "data")
	up := startUp(t, exec.Command(bin, "up", "--data", data, "--addr", "127.0.0.1:0"))
	t.Logf("cairn up (first run, seeding): ready %s after the process started", up.ready.Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "accretion.sh")
	cmd.Env = append(os.Environ(), "CAIRN="+bin, "CAIRN_DATA="+data, "CAIRN_URL="+up.url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("accretion.sh: %v\n%s\nstack log:\n%s", err, out, up.stderr)
	}
	s := string(out)
	for _, want := range []string{
		"received: urn:cairn:vct:humanitarian-registration:1 from Northgate Registration Office",
		"received: urn:cairn:vct:health-attestation:1 from Riverside Community Clinic",
		"received: urn:cairn:vct:community-vouching:1 from Harbour Logistics",
		"(100 days ahead)", "(185 days ahead)",
		"Meets no profile of policy basic-services",
		"Meets profile accreted of policy basic-services",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	// The first check saw one credential, the last three, each from
	// its issuer.
	first, last, _ := strings.Cut(s, "== 4.")
	if strings.Count(first, "\ncredential identity/") != 1 || strings.Count(last, "\ncredential identity/") != 3 {
		t.Errorf("credentials presented: %d then %d\n%s", strings.Count(first, "\ncredential identity/"), strings.Count(last, "\ncredential identity/"), s)
	}
	for _, secret := range []string{"NG-2026-004512", "Zahlé"} {
		if strings.Contains(up.stderr.String(), secret) {
			t.Errorf("the stack's log holds a claim value %q", secret)
		}
	}
	if err := up.stop(t); err != nil {
		t.Errorf("cairn up after SIGINT: %v\n%s", err, up.stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "admin.sock")); !os.IsNotExist(err) {
		t.Errorf("the admin socket outlived the shutdown: %v", err)
	}
}

// TestUpRegistryAmendedWhileRunning: the authority narrows each of the
// desk's purposes to the names with 'cairn registry amend' and
// 'cairn registry publish' on the running stack's registry file; without
// a restart the stack takes the new snapshot in force and the wallet's
// consent view flags the desk's request, which it did not before.
func TestUpRegistryAmendedWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the whole stack; skipped with -short")
	}
	bin := buildCairn(t)
	data := filepath.Join(t.TempDir(), "data")
	up := startUp(t, exec.Command(bin, "up", "--data", data, "--addr", "127.0.0.1:0"))
	work := t.TempDir()
	session := filepath.Join(work, "amina.json")
	// run returns the command's standard output, or with both its
	// standard error after it.
	var both bool
	run := func(stdin string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = work
		cmd.Stdin = strings.NewReader(stdin)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("cairn %s: %v\n%s%s\nstack log:\n%s", strings.Join(args, " "), err, out, stderr.String(), up.stderr)
		}
		if both {
			return string(out) + stderr.String()
		}
		return string(out)
	}
	pin := filepath.Join(work, "pin.txt")
	if err := os.WriteFile(pin, []byte("2468\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run("", "wallet", "--session", session, "--agent", up.url+"/wallet/agent", "holder", "create", "--pin-file", pin, "--lang", "en")
	var o struct {
		URI    string
		TxCode string `json:"tx_code"`
	}
	if err := json.Unmarshal([]byte(run("", "issuer", "offer", "--dir", filepath.Join(data, "issuers", "registration"), "--type", "humanitarian-registration",
		"--claims", filepath.Join(data, "examples", "registration.json"), "--tx-code", "--no-png", "--json")), &o); err != nil {
		t.Fatal(err)
	}
	code := filepath.Join(work, "code.txt")
	if err := os.WriteFile(code, []byte(o.TxCode+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(o.URI, "wallet", "--session", session, "receive", "-", "--tx-code-file", code, "--yes")
	present := func() string {
		t.Helper()
		both = true
		defer func() { both = false }()
		out := run("", "verifier", "request", "--dir", filepath.Join(data, "verifier"), "--purpose", "clinic-access")
		_, uri, found := strings.Cut(out, "request URI: ")
		if !found {
			t.Fatalf("no request URI in %q", out)
		}
		uri, _, _ = strings.Cut(uri, "\n")
		return run("", "wallet", "--session", session, "present", uri, "--yes")
	}
	const flagged = "beyond its registered purpose"
	if out := present(); strings.Contains(out, flagged) {
		t.Fatalf("flagged before the amendment:\n%s", out)
	}

	db := filepath.Join(data, "registry", "registry.db")
	var shown struct {
		Registry struct {
			Entities []struct {
				DID   string
				Auths []struct{ ID, Purpose string } `json:"verifier_authorizations"`
			}
		}
	}
	if err := json.Unmarshal([]byte(run("", "registry", "show", "--db", db, "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	amended := 0
	for _, e := range shown.Registry.Entities {
		for _, a := range e.Auths {
			run("", "registry", "amend", "--db", db, "--did", e.DID, "--id", a.ID, "--claims", "/family_name,/given_name", "--reason", "names are enough")
			amended++
		}
	}
	if amended < 4 {
		t.Fatalf("%d grants of the desk amended", amended)
	}
	run("", "registry", "publish", "--db", db, "--key", filepath.Join(data, "registry", "authority.jwk"))
	for i := 0; !strings.Contains(up.stderr.String(), `"registry snapshot in force"`); i++ {
		if i == 500 {
			t.Fatalf("the stack never took the new snapshot in force:\n%s", up.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out := present(); !strings.Contains(out, flagged) {
		t.Errorf("not flagged after the amendment, without restart:\n%s", out)
	}
	if err := up.stop(t); err != nil {
		t.Errorf("cairn up after SIGINT: %v\n%s", err, up.stderr)
	}
}

// TestAccretionOnPostgres: 'cairn up' with every service on PostgreSQL
// ($CAIRN_STORE, a schema prefix of its own): it seeds the empty
// database, keeps no bbolt file, runs accretion.sh green, and a restart
// keeps the credentials issued; --reset needs --yes there and then
// starts over from an empty database.
func TestAccretionOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the whole stack; skipped with -short")
	}
	storeURL := pgtest.URL(t)
	bin := buildCairn(t)
	data := filepath.Join(t.TempDir(), "data")
	env := append(os.Environ(), "CAIRN_STORE="+storeURL)
	upCmd := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, append([]string{"up", "--data", data, "--addr", "127.0.0.1:0"}, args...)...)
		c.Env = env
		return c
	}
	up := startUp(t, upCmd())
	for _, f := range []string{"registry/registry.db", "issuers/clinic/issuer.db", "wallet/wallet.db", "verifier/verifier.db"} {
		if _, err := os.Stat(filepath.Join(data, f)); !os.IsNotExist(err) {
			t.Errorf("%s exists on a PostgreSQL stack: %v", f, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "accretion.sh")
	cmd.Env = append(os.Environ(), "CAIRN="+bin, "CAIRN_DATA="+data, "CAIRN_URL="+up.url)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Meets profile accreted of policy basic-services") {
		t.Fatalf("accretion.sh on PostgreSQL: %v\n%s\nstack log:\n%s", err, out, up.stderr)
	}
	// An issuer's store is under the prefix P_NAME: its operator
	// commands reach it from any machine with the directory's keys.
	prefix, err := pg.SchemaPrefix(storeURL)
	if err != nil {
		t.Fatal(err)
	}
	records := func(issuer string) int {
		t.Helper()
		c := exec.Command(bin, "issuer", "list", "--dir", filepath.Join(data, "issuers", issuer), "--json")
		c.Env = append(os.Environ(), "CAIRN_STORE="+pgtest.WithPrefix(t, storeURL, prefix+"_"+issuer))
		b, err := c.Output()
		if err != nil {
			t.Fatalf("issuer list %s: %v", issuer, err)
		}
		var rs []json.RawMessage
		if err := json.Unmarshal(b, &rs); err != nil {
			t.Fatalf("issuer list %s: %v: %s", issuer, err, b)
		}
		return len(rs)
	}
	issued := map[string]int{}
	for _, is := range []string{"registration", "clinic", "employer"} {
		if issued[is] = records(is); issued[is] == 0 {
			t.Errorf("%s holds no credential after the story", is)
		}
	}
	if err := up.stop(t); err != nil {
		t.Fatalf("cairn up after SIGINT: %v\n%s", err, up.stderr)
	}
	up = startUp(t, upCmd())
	if !strings.Contains(up.stdout.String(), "kept between runs") {
		t.Errorf("restart seeded again:\n%s", up.stdout)
	}
	for _, is := range []string{"registration", "clinic", "employer"} {
		if n := records(is); n != issued[is] {
			t.Errorf("after a restart, %s holds %d credentials, want %d", is, n, issued[is])
		}
	}
	if err := up.stop(t); err != nil {
		t.Fatalf("cairn up after SIGINT: %v\n%s", err, up.stderr)
	}
	refused := upCmd("--reset")
	if b, err := refused.CombinedOutput(); err == nil || !strings.Contains(string(b), "confirm with --yes") {
		t.Errorf("--reset on PostgreSQL without --yes: %v\n%s", err, b)
	}
	if n := records("clinic"); n != issued["clinic"] {
		t.Errorf("a refused reset changed the store: %d", n)
	}
	up = startUp(t, upCmd("--reset", "--yes"))
	if !strings.Contains(up.stdout.String(), "First run") {
		t.Errorf("reset did not seed again:\n%s", up.stdout)
	}
	if err := up.stop(t); err != nil {
		t.Fatalf("cairn up after SIGINT: %v\n%s", err, up.stderr)
	}
	if n := records("clinic"); n != 0 {
		t.Errorf("after --reset --yes the clinic holds %d credentials", n)
	}
}
