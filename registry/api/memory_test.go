package api_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/registry/api"
)

// countingStore counts the reads that reach the store.
type countingStore struct {
	*memStore
	reads atomic.Int64
}

func (c *countingStore) Get(ctx context.Context) (*registry.State, error) {
	c.reads.Add(1)
	return c.memStore.Get(ctx)
}

func (c *countingStore) Latest(ctx context.Context) (uint64, string, error) {
	c.reads.Add(1)
	return c.memStore.Latest(ctx)
}

// signature is a Watch the test changes by hand.
type signature struct {
	mu  sync.Mutex
	sig int
}

func (s *signature) watch() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.sig), nil
}

func (s *signature) bump() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sig++
}

// memoryFixture is newFixture's registry served in memory mode.
func memoryFixture(t *testing.T, publish bool, opts api.Options) (*fixture, *countingStore, *signature, *api.Handler) {
	t.Helper()
	f := newFixture(t, publish)
	cs := &countingStore{memStore: f.store}
	sig := &signature{}
	opts.Now, opts.Watch, opts.Metrics = f.clk.Now, sig.watch, f.metrics
	opts.Logger = slog.New(slog.NewJSONHandler(f.logs, nil))
	h, err := api.New(cs, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f, cs, sig, h
}

// TestMemoryModeReadsNeverTouchTheStore: once loaded, the snapshot,
// entity and TRQP answers and /readyz come from memory: the store is not
// read again (here it even fails) until the watched signature changes;
// then the served version advances.
func TestMemoryModeReadsNeverTouchTheStore(t *testing.T) {
	f, cs, sig, h := memoryFixture(t, true, api.Options{})
	if v, err := h.Reload(context.Background()); err != nil || v != 1 {
		t.Fatalf("reload: %d %v", v, err)
	}
	reads := cs.reads.Load()
	f.store.fail(errDisk)
	q := `{"entity_id":"` + ngoDID + `","authority_id":"` + f.st.Authority.DID + `","action":"issue","resource":"` + vct + `"}`
	for i := 0; i < 10; i++ {
		if resp, body := f.do(t, "GET", "/registry/snapshot", ""); resp.StatusCode != 200 {
			t.Fatalf("snapshot: %d %s", resp.StatusCode, body)
		}
		if resp, body := f.do(t, "GET", "/registry/entities/"+ngoDID, ""); resp.StatusCode != 200 {
			t.Fatalf("entity: %d %s", resp.StatusCode, body)
		}
		if resp, body := f.do(t, "POST", "/trqp/authorization", q); resp.StatusCode != 200 || decode(t, body)["authorized"] != true {
			t.Fatalf("trqp: %d %s", resp.StatusCode, body)
		}
		if resp, _ := f.do(t, "GET", "/readyz", ""); resp.StatusCode != 200 {
			t.Fatalf("readyz: %d", resp.StatusCode)
		}
	}
	if got := cs.reads.Load(); got != reads {
		t.Fatalf("reads reached the store %d times", got-reads)
	}

	f.store.fail(nil)
	if err := f.svc.Suspend(context.Background(), ngoDID, "audit"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Publish(context.Background(), f.key, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	_, body := f.do(t, "GET", "/registry/entities/"+ngoDID, "")
	if m := decode(t, body); m["registry_version"] != float64(1) {
		t.Fatalf("changed without a signature change: %s", body)
	}
	sig.bump()
	_, body = f.do(t, "GET", "/registry/entities/"+ngoDID, "")
	if m := decode(t, body); m["registry_version"] != float64(2) || m["entity"].(map[string]any)["status"] != string(trust.StatusSuspended) {
		t.Fatalf("after the signature changed: %s", body)
	}
	if h.Version() != 2 {
		t.Errorf("Version %d", h.Version())
	}
}

// TestMemoryModeNothingLoaded: /readyz reports that no snapshot is
// loaded; reads answer not_published; a failing reload keeps what is
// held; a rollback in the store is refused.
func TestMemoryModeNothingLoaded(t *testing.T) {
	f, _, sig, h := memoryFixture(t, false, api.Options{})
	if _, err := h.Reload(context.Background()); !errors.Is(err, registry.ErrNoSnapshot) {
		t.Fatalf("reload with nothing published: %v", err)
	}
	resp, body := f.do(t, "GET", "/readyz", "")
	if m := decode(t, body); resp.StatusCode != 503 || m["code"] != "not_ready" || m["message"] != "not ready: snapshot" {
		t.Fatalf("readyz with nothing loaded: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.do(t, "GET", "/registry/snapshot", ""); resp.StatusCode != 404 || decode(t, body)["code"] != "not_published" {
		t.Fatalf("snapshot: %d %s", resp.StatusCode, body)
	}
	if _, _, err := f.svc.Publish(context.Background(), f.key, time.Hour); err != nil {
		t.Fatal(err)
	}
	sig.bump()
	if resp, _ := f.do(t, "GET", "/readyz", ""); resp.StatusCode != 200 {
		t.Fatalf("readyz once published: %d", resp.StatusCode)
	}
	f.store.fail(errDisk)
	sig.bump()
	if v, err := h.Reload(context.Background()); !errors.Is(err, errDisk) || v != 1 {
		t.Fatalf("failing reload: %d %v", v, err)
	}
	if resp, _ := f.do(t, "GET", "/registry/snapshot", ""); resp.StatusCode != 200 {
		t.Fatalf("snapshot after a failed reload: %d", resp.StatusCode)
	}
	// Expired in memory: queries say so, the snapshot is still served.
	f.store.fail(nil)
	f.clk.Advance(2 * time.Hour)
	q := `{"entity_id":"` + ngoDID + `","authority_id":"` + f.st.Authority.DID + `","action":"issue","resource":"` + vct + `"}`
	if resp, body := f.do(t, "POST", "/trqp/authorization", q); resp.StatusCode != 503 || decode(t, body)["code"] != "snapshot_expired" {
		t.Fatalf("expired: %d %s", resp.StatusCode, body)
	}
}

// TestReloadHook: SIGHUP reloads even when the signature is unchanged; a
// tick reloads only when it changed.
func TestReloadHook(t *testing.T) {
	f, cs, _, h := memoryFixture(t, true, api.Options{})
	hook := h.ReloadHook(time.Second)
	if !hook.OnHangup || hook.Every != time.Second {
		t.Fatalf("hook %+v", hook)
	}
	ctx := context.Background()
	if err := hook.Fn(ctx, server.TriggerTick); err != nil || h.Version() != 1 {
		t.Fatalf("first tick: %v, version %d", err, h.Version())
	}
	if _, _, err := f.svc.Publish(ctx, f.key, time.Hour); err != nil {
		t.Fatal(err)
	}
	reads := cs.reads.Load()
	if err := hook.Fn(ctx, server.TriggerTick); err != nil || h.Version() != 1 || cs.reads.Load() != reads {
		t.Fatalf("tick without a change: %v, version %d, %d store reads", err, h.Version(), cs.reads.Load()-reads)
	}
	if err := hook.Fn(ctx, server.TriggerHangup); err != nil || h.Version() != 2 {
		t.Fatalf("SIGHUP: %v, version %d", err, h.Version())
	}
}

// TestPublicRoutesRateLimited: the snapshot, entity and TRQP routes share
// one per-client limit (429 with Retry-After); health is not limited;
// each refusal is counted.
func TestPublicRoutesRateLimited(t *testing.T) {
	f, _, _, h := memoryFixture(t, true, api.Options{ClientRate: server.RateLimit{PerMinute: 6, Burst: 3}})
	if _, err := h.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	q := `{"entity_id":"` + ngoDID + `","authority_id":"` + f.st.Authority.DID + `","action":"issue","resource":"` + vct + `"}`
	f.do(t, "GET", "/registry/snapshot", "")
	f.do(t, "GET", "/registry/entities/"+ngoDID, "")
	if resp, _ := f.do(t, "POST", "/trqp/authorization", q); resp.StatusCode != 200 {
		t.Fatalf("third request: %d", resp.StatusCode)
	}
	for _, p := range []string{"/registry/snapshot", "/registry/entities/" + ngoDID, "/trqp/recognition"} {
		method, body := "GET", ""
		if p == "/trqp/recognition" {
			method, body = "POST", q
		}
		resp, b := f.do(t, method, p, body)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "10" || decode(t, b)["code"] != server.CodeRateLimited {
			t.Errorf("%s over the limit: %d %q %s", p, resp.StatusCode, resp.Header.Get("Retry-After"), b)
		}
	}
	for i := 0; i < 5; i++ {
		if resp, _ := f.do(t, "GET", "/healthz", ""); resp.StatusCode != 200 {
			t.Fatalf("healthz limited: %d", resp.StatusCode)
		}
	}
	if got := testkit.MetricValue(f.scrape(t), "cairn_registry_http_refused_total", map[string]string{"route": "snapshot", "code": "429"}); got != 1 {
		t.Errorf("refused counter %v", got)
	}
	// Off: no limit.
	h2, err := api.New(f.store, api.Options{ClientRate: server.RateLimit{Off: true, PerMinute: 1, Burst: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		rec := httptest.NewRecorder()
		h2.ServeHTTP(rec, httptest.NewRequest("GET", "/registry/snapshot", nil))
		if rec.Code != 200 {
			t.Fatalf("limit off: %d", rec.Code)
		}
	}
}

// TestFileSignature: the signature changes when the file is written,
// stays put otherwise, and while the file is fresh changes with time.
func TestFileSignature(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	if err := os.WriteFile(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	mod := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	if err := os.Chtimes(path, mod, mod); err != nil {
		t.Fatal(err)
	}
	clk := testkit.NewClock(mod.Add(time.Hour))
	watch := api.FileSignature(path, clk.Now)
	a, err := watch()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := watch(); b != a {
		t.Fatalf("unchanged file: %q then %q", a, b)
	}
	if err := os.WriteFile(path, []byte("two"), 0o600); err != nil { // same size
		t.Fatal(err)
	}
	mod2 := mod.Add(time.Millisecond)
	if err := os.Chtimes(path, mod2, mod2); err != nil {
		t.Fatal(err)
	}
	b, _ := watch()
	if b == a {
		t.Fatal("a write went unnoticed")
	}
	// Fresh: the signature moves on every half second.
	clk.Set(mod2.Add(100 * time.Millisecond))
	c1, _ := watch()
	clk.Advance(600 * time.Millisecond)
	c2, _ := watch()
	clk.Advance(3 * time.Second)
	c3, _ := watch()
	c4, _ := watch()
	if c1 == c2 || c2 == c3 || c3 != c4 {
		t.Errorf("fresh signatures %q %q %q %q", c1, c2, c3, c4)
	}
	os.Remove(path)
	if _, err := watch(); err == nil {
		t.Error("missing file: no error")
	}
}

// TestMemoryModeFailedReloadBacksOff: while nothing is published (or a
// reload fails), requests do not each open the store again: a failed
// reload is retried only once the signature changes (or after a pause).
func TestMemoryModeFailedReloadBacksOff(t *testing.T) {
	f, cs, sig, h := memoryFixture(t, false, api.Options{})
	if _, err := h.Reload(context.Background()); !errors.Is(err, registry.ErrNoSnapshot) {
		t.Fatalf("reload: %v", err)
	}
	reads := cs.reads.Load()
	for i := 0; i < 20; i++ {
		f.do(t, "GET", "/registry/snapshot", "")
		f.do(t, "GET", "/readyz", "")
	}
	if got := cs.reads.Load() - reads; got != 0 {
		t.Fatalf("40 requests with nothing published read the store %d times", got)
	}
	if _, _, err := f.svc.Publish(context.Background(), f.key, time.Hour); err != nil {
		t.Fatal(err)
	}
	sig.bump()
	if resp, _ := f.do(t, "GET", "/registry/snapshot", ""); resp.StatusCode != 200 {
		t.Fatalf("after a publication: %d", resp.StatusCode)
	}
}
