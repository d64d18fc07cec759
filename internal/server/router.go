package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RouteUnmatched is the route name of requests no route matched.
const RouteUnmatched = "unmatched"

// RouterConfig configures NewRouter.
type RouterConfig struct {
	// Namespace prefixes the router's metric names:
	// <Namespace>_http_requests_total and
	// <Namespace>_http_request_duration_seconds, both labelled route and
	// code. Required with Metrics.
	Namespace string
	// Metrics is the process's registry (NewRegistry); nil records none.
	Metrics prometheus.Registerer
	// Logger receives one line per request (method, route name, status,
	// duration; never paths, bodies or claim values) with the request id;
	// nil discards.
	Logger *slog.Logger
	// Rand generates request ids; nil means crypto/rand.
	Rand io.Reader
	// Now is the clock of the refusal log's intervals; nil means
	// time.Now. (Latencies are always measured on the real clock.)
	Now func() time.Time
	// RefusalLogEvery is the refusal log's interval: at most one line
	// per client per interval for 429 and 503 answers (0:
	// DefaultRefusalLogEvery). RefusalLogClients bounds how many clients
	// it remembers (0: DefaultRefusalLogClients).
	RefusalLogEvery   time.Duration
	RefusalLogClients int
}

// Router is a ServeMux whose routes have fixed names and allowed methods,
// behind the package's middleware: request id, logger in the context,
// metrics, panic recovery. Requests no route matches get 404
// {code: not_found} under the route name "unmatched".
type Router struct {
	mux      *http.ServeMux
	log      *slog.Logger
	rand     io.Reader
	metrics  *httpMetrics
	refusals *refusalLog
	paths    map[string]*pathRoutes
}

type pathRoutes struct {
	byMethod map[string]*route
	name     string // of the first route on the path, for 405s
}

type route struct {
	name    string
	h       http.Handler
	noStore bool
	quiet   bool
	limiter *Limiter
	refuse  Refuse
}

// NewRouter returns an empty router. It fails only when its metrics
// cannot be registered (a Namespace missing, or a clash on Metrics).
func NewRouter(cfg RouterConfig) (*Router, error) {
	rt := &Router{mux: http.NewServeMux(), log: cfg.Logger, rand: cfg.Rand, paths: map[string]*pathRoutes{},
		refusals: newRefusalLog(cfg.RefusalLogEvery, cfg.RefusalLogClients, cfg.Now)}
	if rt.log == nil {
		rt.log = slog.New(slog.DiscardHandler)
	}
	if rt.rand == nil {
		rt.rand = rand.Reader
	}
	if cfg.Metrics != nil {
		m, err := newHTTPMetrics(cfg.Metrics, cfg.Namespace)
		if err != nil {
			return nil, err
		}
		rt.metrics = m
	}
	rt.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such endpoint"})
	})
	return rt, nil
}

// RouteOption configures one route.
type RouteOption func(*routeOptions)

type routeOptions struct {
	methods []string
	noStore bool
	quiet   bool
	limiter *Limiter
	refuse  Refuse
}

// Methods sets the methods a route answers (default GET). GET implies
// HEAD. Other methods get 405 with an Allow header.
func Methods(m ...string) RouteOption {
	return func(o *routeOptions) { o.methods = append(o.methods, m...) }
}

// NoStore sets Cache-Control: no-store on every answer of the route.
func NoStore() RouteOption { return func(o *routeOptions) { o.noStore = true } }

// Quiet logs the route's successful answers (status below 400) at debug
// level instead of info: for hot public routes whose every success
// would otherwise cost a log line. Errors and refusals are logged as on
// any route.
func Quiet() RouteOption { return func(o *routeOptions) { o.quiet = true } }

// RateLimited applies l to the route: a refused request gets Retry-After
// and, from refuse (nil: 429 {code: rate_limited, message}), its answer.
// A nil l limits nothing.
func RateLimited(l *Limiter, refuse Refuse) RouteOption {
	return func(o *routeOptions) { o.limiter, o.refuse = l, refuse }
}

// Handle registers h on path (a ServeMux pattern without a method, such
// as /registry/entities/{did}) under the route name, which labels its
// metrics and log lines. One path may be registered several times with
// different methods. It panics on a method registered twice for a path,
// like ServeMux on a conflicting pattern.
func (rt *Router) Handle(name, path string, h http.Handler, opts ...RouteOption) {
	var o routeOptions
	for _, f := range opts {
		f(&o)
	}
	if len(o.methods) == 0 {
		o.methods = []string{http.MethodGet}
	}
	p := rt.paths[path]
	if p == nil {
		p = &pathRoutes{byMethod: map[string]*route{}, name: name}
		rt.paths[path] = p
		rt.mux.Handle(path, p.dispatch())
	}
	rh := &route{name: name, h: h, noStore: o.noStore, quiet: o.quiet, limiter: o.limiter, refuse: o.refuse}
	if rh.refuse == nil {
		rh.refuse = refuseDefault
	}
	for _, m := range o.methods {
		m = strings.ToUpper(m)
		if _, dup := p.byMethod[m]; dup {
			panic(fmt.Sprintf("server: %s %s registered twice", m, path))
		}
		p.byMethod[m] = rh
	}
	if _, ok := p.byMethod[http.MethodHead]; !ok {
		if g, ok := p.byMethod[http.MethodGet]; ok {
			p.byMethod[http.MethodHead] = g
		}
	}
}

// RouteInfo is one registered route: its name, one method and its path
// pattern.
type RouteInfo struct {
	Name, Method, Path string
}

// Routes lists the registered routes, one per method (the HEAD a GET
// implies left out), sorted by path then method: for a test that keeps
// an API's OpenAPI document equal to them.
func (rt *Router) Routes() []RouteInfo {
	var out []RouteInfo
	for path, p := range rt.paths {
		for m, r := range p.byMethod {
			if m == http.MethodHead && p.byMethod[http.MethodGet] == r {
				continue
			}
			out = append(out, RouteInfo{Name: r.name, Method: m, Path: path})
		}
	}
	slices.SortFunc(out, func(a, b RouteInfo) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return out
}

// HandleFunc is Handle for a function.
func (rt *Router) HandleFunc(name, path string, h http.HandlerFunc, opts ...RouteOption) {
	rt.Handle(name, path, h, opts...)
}

func (p *pathRoutes) allow() string {
	ms := make([]string, 0, len(p.byMethod))
	for m := range p.byMethod {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	return strings.Join(ms, ", ")
}

func (p *pathRoutes) dispatch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rh := p.byMethod[r.Method]
		if rh == nil {
			setRoute(r.Context(), p.name)
			w.Header().Set("Allow", p.allow())
			WriteError(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed, Message: "method not allowed; use " + p.allow()})
			return
		}
		setRoute(r.Context(), rh.name)
		if ri, ok := r.Context().Value(ctxKey{}).(*reqInfo); ok {
			ri.quiet, ri.limiter = rh.quiet, rh.limiter
		}
		if rh.noStore {
			w.Header().Set("Cache-Control", "no-store")
		}
		if rh.limiter != nil {
			if ok, wait := rh.limiter.Allow(r); !ok {
				w.Header().Set("Retry-After", retryAfterHeader(wait))
				rh.refuse(w, r, wait)
				return
			}
		}
		rh.h.ServeHTTP(w, r)
	})
}

// ---- request context ----

type ctxKey struct{}

type reqInfo struct {
	id      string
	log     *slog.Logger
	route   string
	quiet   bool
	limiter *Limiter // the route's, which keys its client
}

func setRoute(ctx context.Context, name string) {
	if ri, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		ri.route = name
	}
}

var discard = slog.New(slog.DiscardHandler)

// Logger returns the request's logger, which carries request_id; outside
// a Router it returns a logger that discards.
func Logger(ctx context.Context) *slog.Logger {
	if ri, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return ri.log
	}
	return discard
}

// RequestID returns the request's id ("" outside a Router).
func RequestID(ctx context.Context) string {
	if ri, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return ri.id
	}
	return ""
}

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

const maxRequestID = 64

// safeRequestID reports whether an incoming id is a short token of
// letters, digits, '-', '_', '.' and ':' (safe in logs and headers).
func safeRequestID(s string) bool {
	if s == "" || len(s) > maxRequestID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func (rt *Router) newRequestID() string {
	var b [12]byte
	if _, err := io.ReadFull(rt.rand, b[:]); err != nil {
		return "unknown"
	}
	return hex.EncodeToString(b[:])
}

// ---- middleware ----

// recorder remembers the status a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP implements http.Handler: the middleware around the mux.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now() // latency is measured on the real clock
	id := r.Header.Get(RequestIDHeader)
	if !safeRequestID(id) {
		id = rt.newRequestID()
	}
	w.Header().Set(RequestIDHeader, id)
	ri := &reqInfo{id: id, log: rt.log.With("request_id", id), route: RouteUnmatched}
	rec := &recorder{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri))
	defer func() {
		p := recover()
		if p != nil && p != http.ErrAbortHandler {
			ri.log.Error("panic serving request", "route", ri.route, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if rec.status == 0 {
				WriteError(rec, r, &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"})
			}
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		if p == http.ErrAbortHandler {
			status = 499 // aborted: no complete answer was sent
		}
		d := time.Since(start)
		rt.metrics.observe(ri.route, status, d.Seconds())
		switch {
		case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
			rt.refused(r, ri, status) // counted; at most one line per client per interval
		default:
			level := slog.LevelInfo
			if ri.quiet && status < 400 {
				level = slog.LevelDebug
			}
			ri.log.Log(r.Context(), level, "request", "method", r.Method, "route", ri.route, "status", status, "duration_ms", float64(d.Microseconds())/1000)
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
	}()
	rt.mux.ServeHTTP(rec, r)
}
