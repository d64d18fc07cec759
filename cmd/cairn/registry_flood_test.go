package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/registry/boltstore"
)

// startRegistryServe runs 'cairn registry serve' in process on a
// loopback port until the test ends, and returns its base URL, the
// logs and the addresses it printed.
func startRegistryServe(t *testing.T, r *registryCLI, extra ...string) (base string, logs *testkit.SyncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &testkit.SyncBuffer{}
	now := r.now
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }, now: func() time.Time { return now }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"registry", "--db", r.db, "serve", "--addr", "127.0.0.1:0"}, extra...), e)
	}()
	addrRe := regexp.MustCompile(`registry listening on (http://\S+)`)
	for i := 0; i < 500 && base == ""; i++ {
		if m := addrRe.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("server did not start: %s", logs.String())
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != ExitOK {
				t.Errorf("serve exit %d: %s", code, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not shut down")
		}
	}
	t.Cleanup(stop)
	return base, logs, stop
}

// TestRegistryPublishUnderReadFlood: 64 concurrent readers hammer a
// running 'cairn registry serve' (loopback, rate limit off so every
// request reaches the handler) while the authority publishes 8 times
// with 'cairn registry publish' (its own open of the database per
// call, as from another process), one publish every 1,000 reads.
// Every publish succeeds and the served version advances to the last
// one. Then the authority holds the database open (an exclusive lock)
// for 1.5 s: no read fails, since reads never touch the file. Bounded:
// the readers stop when that is done, or after 4,000 requests each.
func TestRegistryPublishUnderReadFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("flood test")
	}
	const (
		readers      = 64
		publishes    = 8
		maxPerReader = 4000
		readsBetween = 1000
	)
	r := newRegistryCLI(t)
	r.ok("init", "--name", "Board", "--key", r.path("authority.jwk"))
	r.ok("add", "--did", "did:web:ngo.example", "--role", "issuer", "--name", "en=NGO")
	r.ok("publish", "--key", r.path("authority.jwk"))
	base, _, _ := startRegistryServe(t, r, "--client-rate", "0", "--refresh", "200ms")

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: readers}}
	defer client.CloseIdleConnections()
	version := func() (uint64, bool) {
		resp, err := client.Get(base + "/registry/entities/did:web:ngo.example")
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		var m struct {
			Version uint64 `json:"registry_version"`
		}
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&m) != nil {
			return 0, false
		}
		return m.Version, true
	}

	done := make(chan struct{})
	var served, failed atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < readers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < maxPerReader; n++ {
				select {
				case <-done:
					return
				default:
				}
				path := "/registry/snapshot"
				if n%2 == 1 {
					path = "/registry/entities/did:web:ngo.example"
				}
				resp, err := client.Get(base + path)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					served.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}

	// Publish while the flood runs: each call opens the database itself.
	type outcome struct {
		code   int
		stderr string
	}
	results := make([]outcome, publishes)
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	for i := range results {
		// Each publish meets the flood: wait for readsBetween more
		// answers (or for the readers to reach their bound).
		target := served.Load() + failed.Load() + readsBetween
		for served.Load()+failed.Load() < target {
			select {
			case <-allDone:
				target = 0
			case <-time.After(time.Millisecond):
			}
		}
		var errb testkit.SyncBuffer
		now := r.now
		e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb, getenv: func(string) string { return "" }, now: func() time.Time { return now }}
		results[i].code = run(context.Background(), []string{"registry", "--db", r.db, "publish", "--key", r.path("authority.jwk")}, e)
		results[i].stderr = errb.String()
	}
	readsDuring := served.Load()
	// Then the authority holds the database (an exclusive lock, as a
	// long command would) for longer than a reader would wait for it:
	// reads go on, from memory.
	failedBefore := failed.Load()
	held, err := boltstore.Open(r.db)
	if err != nil {
		t.Errorf("open the database under the flood: %v", err)
	} else {
		time.Sleep(1500 * time.Millisecond) // bbolt readers give up after 1 s
		held.Close()
	}
	close(done)
	wg.Wait()
	if f := failed.Load() - failedBefore; f > 0 {
		t.Errorf("%d reads failed while the authority held the database", f)
	}

	ok := 0
	for i, res := range results {
		if res.code == ExitOK {
			ok++
		} else {
			t.Errorf("publish %d under the flood: exit %d: %s", i+1, res.code, res.stderr)
		}
	}
	t.Logf("publishes succeeded: %d/%d; reads served: %d during the publishing, %d in all; reads failed: %d", ok, publishes, readsDuring, served.Load(), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d reads failed under the flood", failed.Load())
	}
	if readsDuring == 0 {
		t.Fatal("no read was served during the publishing")
	}
	// The served version advances to the last one published.
	want := uint64(1 + ok)
	var got uint64
	for i := 0; i < 500; i++ {
		if v, okv := version(); okv {
			if got = v; got == want {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ok == publishes && got != want {
		t.Errorf("served version %d, want %d", got, want)
	}
}
