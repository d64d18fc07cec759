package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Default timeouts of Run.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 15 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultShutdownTimeout   = 10 * time.Second
	DefaultMaxHeaderBytes    = 16 << 10
)

// Timeouts of one listener's http.Server; a zero field takes the
// Config's, then the package default.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

func (t Timeouts) or(d Timeouts) Timeouts {
	if t.ReadHeader == 0 {
		t.ReadHeader = d.ReadHeader
	}
	if t.Read == 0 {
		t.Read = d.Read
	}
	if t.Write == 0 {
		t.Write = d.Write
	}
	if t.Idle == 0 {
		t.Idle = d.Idle
	}
	return t
}

var defaultTimeouts = Timeouts{ReadHeader: DefaultReadHeaderTimeout, Read: DefaultReadTimeout, Write: DefaultWriteTimeout, Idle: DefaultIdleTimeout}

// Listener is one thing Run serves: Handler on Listener, or on a TCP
// listener opened on Addr.
type Listener struct {
	Name     string // for logs and errors
	Addr     string
	Listener net.Listener
	Handler  http.Handler
	Timeouts Timeouts
}

// Trigger says why a hook runs.
type Trigger string

// Hook triggers.
const (
	TriggerHangup Trigger = "SIGHUP"
	TriggerTick   Trigger = "tick"
)

// Hook is work Run does besides serving, one hook at a time, never
// concurrently with another: a reload on SIGHUP (OnHangup) and/or a
// periodic task (Every > 0). Its error is logged; serving goes on.
type Hook struct {
	Name     string
	Fn       func(ctx context.Context, why Trigger) error
	OnHangup bool
	Every    time.Duration
}

// Config configures Run.
type Config struct {
	Listeners []Listener
	// Timeouts are every listener's defaults (zero fields: the package
	// defaults).
	Timeouts        Timeouts
	MaxHeaderBytes  int           // 0: DefaultMaxHeaderBytes
	ShutdownTimeout time.Duration // 0: DefaultShutdownTimeout
	Hooks           []Hook
	// Signals, when set, replaces the process's signals (for tests):
	// SIGINT and SIGTERM shut down, SIGHUP runs the OnHangup hooks. When
	// nil, Run subscribes to SIGINT and SIGTERM, and to SIGHUP only if a
	// hook wants it.
	Signals <-chan os.Signal
	// NewTicker makes the tickers of periodic hooks; nil means
	// time.NewTicker. It returns the channel and a stop function.
	NewTicker func(time.Duration) (<-chan time.Time, func())
	// Listening is called once every listener is open, before serving,
	// with their addresses in order.
	Listening func(addrs []net.Addr)
	Logger    *slog.Logger
}

// ListenError is a listener Run could not open.
type ListenError struct {
	Name, Addr string
	Err        error
}

func (e *ListenError) Error() string { return fmt.Sprintf("listen on %s: %v", e.Addr, e.Err) }
func (e *ListenError) Unwrap() error { return e.Err }

// Run serves every listener until ctx is cancelled or SIGINT/SIGTERM
// arrives, then shuts them all down gracefully within ShutdownTimeout
// and returns nil (or the shutdown's error). If one listener fails, the
// others are shut down and its error is returned. Listeners given to Run
// are closed by it, also when it fails early.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = discard
	}
	if err := cfg.validate(); err != nil {
		closeGiven(cfg.Listeners)
		return err
	}
	lns, err := listen(cfg.Listeners)
	if err != nil {
		return err
	}
	defaults := cfg.Timeouts.or(defaultTimeouts)
	maxHeader := cfg.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	errLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	servers := make([]*http.Server, len(lns))
	addrs := make([]net.Addr, len(lns))
	for i, l := range cfg.Listeners {
		t := l.Timeouts.or(defaults)
		servers[i] = &http.Server{Handler: l.Handler, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
			WriteTimeout: t.Write, IdleTimeout: t.Idle, MaxHeaderBytes: maxHeader, ErrorLog: errLog}
		addrs[i] = lns[i].Addr()
	}
	if cfg.Listening != nil {
		cfg.Listening(addrs)
	}

	sigs := cfg.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 1)
		wanted := []os.Signal{os.Interrupt, syscall.SIGTERM}
		for _, h := range cfg.Hooks {
			if h.OnHangup {
				wanted = append(wanted, syscall.SIGHUP)
				break
			}
		}
		signal.Notify(ch, wanted...)
		defer signal.Stop(ch)
		sigs = ch
	}

	type served struct {
		i   int
		err error
	}
	errc := make(chan served, len(servers))
	for i, s := range servers {
		go func() { errc <- served{i, s.Serve(lns[i])} }()
	}
	done := make(chan struct{})
	var tickers sync.WaitGroup
	defer func() { close(done); tickers.Wait() }()
	fire := make(chan int)
	for i, h := range cfg.Hooks {
		if h.Every <= 0 {
			continue
		}
		c, stop := newTicker(cfg.NewTicker, h.Every)
		tickers.Add(1)
		go func() {
			defer tickers.Done()
			defer stop()
			for {
				select {
				case <-c:
					select {
					case fire <- i:
					case <-done:
						return
					}
				case <-done:
					return
				}
			}
		}()
	}
	runHook := func(h Hook, why Trigger) {
		if err := h.Fn(ctx, why); err != nil {
			log.Error("hook failed", "hook", h.Name, "trigger", string(why), "err", err.Error())
		}
	}
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), orDuration(cfg.ShutdownTimeout, DefaultShutdownTimeout))
		defer cancel()
		errs := make([]error, len(servers))
		var wg sync.WaitGroup
		for i, s := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Shutdown(sctx); err != nil {
					errs[i] = fmt.Errorf("shutdown %s: %w", cfg.Listeners[i].Name, err)
				}
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				for _, h := range cfg.Hooks {
					if h.OnHangup {
						runHook(h, TriggerHangup)
					}
				}
				continue
			}
			log.Info("shutting down", "signal", sig.String())
			return shutdown()
		case i := <-fire:
			runHook(cfg.Hooks[i], TriggerTick)
		case s := <-errc:
			err := fmt.Errorf("serve %s: %w", cfg.Listeners[s.i].Name, s.err)
			log.Error("serving failed", "listener", cfg.Listeners[s.i].Name, "err", s.err.Error())
			return errors.Join(err, shutdown())
		case <-ctx.Done():
			log.Info("shutting down")
			return shutdown()
		}
	}
}

func (cfg *Config) validate() error {
	if len(cfg.Listeners) == 0 {
		return fmt.Errorf("%w: nothing to serve", ErrInvalidConfig)
	}
	for _, l := range cfg.Listeners {
		if l.Handler == nil || (l.Listener == nil) == (l.Addr == "") {
			return fmt.Errorf("%w: listener %q needs a handler and either Addr or Listener", ErrInvalidConfig, l.Name)
		}
	}
	for _, h := range cfg.Hooks {
		if h.Fn == nil || (!h.OnHangup && h.Every <= 0) {
			return fmt.Errorf("%w: hook %q needs Fn and OnHangup or Every", ErrInvalidConfig, h.Name)
		}
	}
	return nil
}

// listen opens the Addr listeners; on failure it closes every listener,
// opened or given.
func listen(ls []Listener) ([]net.Listener, error) {
	out := make([]net.Listener, len(ls))
	for i, l := range ls {
		if l.Listener != nil {
			out[i] = l.Listener
			continue
		}
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			for j := range i {
				if ls[j].Listener == nil {
					out[j].Close()
				}
			}
			closeGiven(ls)
			return nil, &ListenError{Name: l.Name, Addr: l.Addr, Err: err}
		}
		out[i] = ln
	}
	return out, nil
}

func closeGiven(ls []Listener) {
	for _, l := range ls {
		if l.Listener != nil {
			l.Listener.Close()
		}
	}
}

func newTicker(f func(time.Duration) (<-chan time.Time, func()), d time.Duration) (<-chan time.Time, func()) {
	if f != nil {
		return f(d)
	}
	t := time.NewTicker(d)
	return t.C, t.Stop
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
