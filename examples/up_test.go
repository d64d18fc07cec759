package examples

import (
	"bufio"
	"bytes"
	"context"
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
