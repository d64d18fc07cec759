package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/testkit"
)

// started runs Run in a goroutine and returns the listeners' base URLs
// and the channel Run's result arrives on.
func started(t *testing.T, ctx context.Context, cfg Config) ([]string, <-chan error) {
	t.Helper()
	addrs := make(chan []net.Addr, 1)
	cfg.Listening = func(a []net.Addr) { addrs <- a }
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	select {
	case a := <-addrs:
		urls := make([]string, len(a))
		for i, x := range a {
			urls[i] = "http://" + x.String()
		}
		return urls, done
	case err := <-done:
		t.Fatalf("Run returned before listening: %v", err)
	}
	return nil, nil
}

func waitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("Run did not return")
		return nil
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func text(s string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(s)) })
}

// TestRunShutdown: Run serves every listener and returns nil after a
// graceful shutdown, on a cancelled context and on SIGTERM or SIGINT; a
// request in flight when shutdown starts completes.
func TestRunShutdown(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(cancel context.CancelFunc, sigs chan os.Signal)
	}{
		{"context cancelled", func(cancel context.CancelFunc, _ chan os.Signal) { cancel() }},
		{"SIGTERM", func(_ context.CancelFunc, sigs chan os.Signal) { sigs <- syscall.SIGTERM }},
		{"SIGINT", func(_ context.CancelFunc, sigs chan os.Signal) { sigs <- os.Interrupt }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sigs := make(chan os.Signal, 1)
			inFlight, release := make(chan struct{}), make(chan struct{})
			slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(inFlight)
				<-release
				w.Write([]byte("slow done"))
			})
			admin, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			urls, done := started(t, ctx, Config{
				Listeners: []Listener{{Name: "public", Addr: "127.0.0.1:0", Handler: slow}, {Name: "admin", Listener: admin, Handler: text("admin")}},
				Signals:   sigs,
			})
			if got := get(t, urls[1]); got != "admin" {
				t.Fatalf("admin listener: %q", got)
			}
			res := make(chan string, 1)
			go func() { res <- get(t, urls[0]) }()
			<-inFlight
			tc.stop(cancel, sigs)
			close(release)
			if got := <-res; got != "slow done" {
				t.Errorf("in-flight request: %q", got)
			}
			if err := waitRun(t, done); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if _, err := http.Get(urls[1]); err == nil {
				t.Error("admin listener still serving after shutdown")
			}
		})
	}
}

// TestRunHooks: SIGHUP runs the OnHangup hooks (a failing one is logged
// and serving goes on); a periodic hook runs on its ticker.
func TestRunHooks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal)
	tick := make(chan time.Time)
	ran := make(chan string, 10)
	logs := &testkit.SyncBuffer{}
	urls, done := started(t, ctx, Config{
		Listeners: []Listener{{Name: "public", Addr: "127.0.0.1:0", Handler: text("up")}},
		Signals:   sigs,
		NewTicker: func(d time.Duration) (<-chan time.Time, func()) {
			if d != time.Minute {
				t.Errorf("ticker period %v", d)
			}
			return tick, func() {}
		},
		Hooks: []Hook{
			{Name: "reload", OnHangup: true, Fn: func(_ context.Context, why Trigger) error { ran <- "reload " + string(why); return nil }},
			{Name: "broken", OnHangup: true, Fn: func(context.Context, Trigger) error { ran <- "broken"; return errors.New("bad file") }},
			{Name: "sweep", Every: time.Minute, Fn: func(_ context.Context, why Trigger) error { ran <- "sweep " + string(why); return nil }},
		},
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	expect := func(want ...string) {
		t.Helper()
		for _, w := range want {
			if got := <-ran; got != w {
				t.Fatalf("hook ran %q, want %q", got, w)
			}
		}
	}
	sigs <- syscall.SIGHUP
	expect("reload SIGHUP", "broken")
	tick <- time.Now()
	expect("sweep tick")
	sigs <- syscall.SIGHUP
	expect("reload SIGHUP", "broken")
	if got := get(t, urls[0]); got != "up" {
		t.Errorf("serving after hooks: %q", got)
	}
	cancel()
	if err := waitRun(t, done); err != nil {
		t.Fatal(err)
	}
	if l := logs.String(); !strings.Contains(l, `"hook":"broken"`) || !strings.Contains(l, "bad file") {
		t.Errorf("hook error not logged: %s", l)
	}
}

func TestRunConfigErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	given, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), Config{Listeners: []Listener{
		{Name: "given", Listener: given, Handler: text("x")},
		{Name: "busy", Addr: busy.Addr().String(), Handler: text("x")},
	}})
	var le *ListenError
	if !errors.As(err, &le) || le.Name != "busy" {
		t.Fatalf("listen on a busy address: %v", err)
	}
	if _, err := given.Accept(); err == nil {
		t.Error("a given listener was left open after a failed start")
	}
	for name, cfg := range map[string]Config{
		"nothing":         {},
		"no handler":      {Listeners: []Listener{{Addr: "127.0.0.1:0"}}},
		"addr and ln":     {Listeners: []Listener{{Addr: "127.0.0.1:0", Listener: busy, Handler: text("x")}}},
		"hook never runs": {Listeners: []Listener{{Addr: "127.0.0.1:0", Handler: text("x")}}, Hooks: []Hook{{Name: "h", Fn: func(context.Context, Trigger) error { return nil }}}},
	} {
		if err := Run(context.Background(), cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
