package main

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/internal/testkit"
)

// serveProcess is a real 'cairn … serve' process: this test binary,
// which TestMain runs as the "cairn" command (built once per test
// binary), so a test may kill it (SIGKILL) and start it again.
type serveProcess struct {
	addr   string
	cmd    *exec.Cmd
	stderr *testkit.SyncBuffer
	// noLog lists strings its log must never show (checked when the
	// test ends); the store URL's password is always one.
	noLog []string
	done  chan struct{}
}

// startServe runs "cairn args… --addr ADDR" as a separate process with
// storeURL ("" for none: the embedded bbolt store) in its environment
// only, and waits until /readyz answers. It is interrupted (then killed
// after 15 s) when the test ends.
func startServe(t *testing.T, storeURL string, args ...string) *serveProcess {
	t.Helper()
	return startServeAt(t, freeAddr(t), storeURL, args...)
}

// startServeAt is startServe on a given address.
func startServeAt(t *testing.T, addr, storeURL string, args ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{addr: addr, stderr: &testkit.SyncBuffer{}, noLog: []string{pgPassword(storeURL)}, done: make(chan struct{})}
	p.cmd = exec.Command(findOnPath(os.Getenv("PATH"), "cairn"), append(args, "--addr", p.addr)...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TMPDIR=" + os.TempDir()}
	if storeURL != "" {
		p.cmd.Env = append(p.cmd.Env, "CAIRN_STORE="+storeURL)
	}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		for _, s := range p.noLog {
			if strings.Contains(p.stderr.String(), s) {
				t.Errorf("'cairn %s' logged %.12q…", strings.Join(args[:2], " "), s)
			}
		}
	})
	if !waitReady("http://" + p.addr) {
		t.Fatalf("'cairn %s' not ready: %s", strings.Join(args, " "), p.stderr.String())
	}
	return p
}

// stop interrupts the process and waits for it to exit (killing it
// after 15 s); a stopped process stays stopped.
func (p *serveProcess) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// kill ends the process with SIGKILL (no shutdown, no cleanup) and
// waits for it to be gone.
func (p *serveProcess) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// crashStores are the stores a crash test runs on: the embedded bbolt
// store (no URL) and PostgreSQL (a schema of the test's own; skipped
// without CAIRN_TEST_POSTGRES, except under CI).
var crashStores = []struct {
	name string
	url  func(t *testing.T) string
}{
	{"bbolt", func(*testing.T) string { return "" }},
	{"postgres", func(t *testing.T) string { return pgtest.URL(t) }},
}

// crashBurst runs items through op on workers goroutines against p, and
// kills p (SIGKILL) as soon as killAfter of them were acknowledged (op
// returned true): no worker starts another op after that. op records
// what was acknowledged; an op in flight at the kill fails, and is
// neither acknowledged nor retried. crashBurst returns the items no
// worker got to, for the test to run after a restart. The test fails if
// the burst ended before the kill.
func crashBurst[T any](t *testing.T, p *serveProcess, items []T, workers, killAfter int, op func(T) bool) (left []T) {
	t.Helper()
	queue := make(chan T, len(items))
	for _, it := range items {
		queue <- it
	}
	close(queue)
	var mu sync.Mutex
	acks := 0
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for it := range queue {
				select {
				case <-killed:
					mu.Lock()
					left = append(left, it)
					mu.Unlock()
					continue
				default:
				}
				if !op(it) {
					continue
				}
				mu.Lock()
				acks++
				n := acks
				mu.Unlock()
				if n >= killAfter {
					once.Do(func() {
						close(killed)
						p.kill()
					})
				}
			}
		})
	}
	wg.Wait()
	once.Do(func() { t.Fatalf("the burst ended before the kill (%d acknowledged)", acks) })
	return left
}
