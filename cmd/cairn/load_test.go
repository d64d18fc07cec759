package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/issuerdir"
	"github.com/cairn-id/cairn/verifier/api"
)

// The bounded load test (issue 13): sustained issuance (the pre-authorized
// flow end to end with internal/oid4vci's Client) and direct_post
// verifications against one instance on bbolt and two instances on
// PostgreSQL behind a round-robin reverse proxy, each scenario for a
// fixed time with a fixed number of workers. It reports throughput and
// latency; it asserts no timing. Run it with 'make load' (CAIRN_LOAD=1;
// CAIRN_LOAD_DURATION, default 10s; CAIRN_LOAD_WORKERS, default 8;
// CAIRN_LOAD_ONLY=issuance or verification runs that pair alone).
//
// The services are real 'cairn … serve' processes (startServe): each
// instance has its own runtime, scheduler, garbage collector and
// connection pool, as in a deployment, which in-process servers sharing
// this test's runtime would not have. The load generator and the proxy
// run in this process, on the same machine (loopback).

func loadEnabled(t *testing.T) (time.Duration, int) {
	if os.Getenv("CAIRN_LOAD") == "" {
		t.Skip("the load test runs with CAIRN_LOAD=1 (make load)")
	}
	d, workers := 10*time.Second, 8
	if s := os.Getenv("CAIRN_LOAD_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	if s := os.Getenv("CAIRN_LOAD_WORKERS"); s != "" {
		var err error
		if workers, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	return d, workers
}

// roundRobin is the load balancer: a reverse proxy sending each request
// to the next backend, /console/… to the console listeners. It passes
// the client's X-Forwarded-For on (the load client names a wallet per
// verification, so the services' per-client limits see many clients, as
// behind a real balancer).
type roundRobin struct {
	wallet, console []*url.URL
	n               atomic.Uint64
}

func (rr *roundRobin) handler() http.Handler {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	return &httputil.ReverseProxy{Transport: tr, Rewrite: func(r *httputil.ProxyRequest) {
		backends := rr.wallet
		if strings.HasPrefix(r.In.URL.Path, "/console/") {
			backends = rr.console
		}
		r.SetURL(backends[rr.n.Add(1)%uint64(len(backends))])
		r.Out.Host = r.In.Host
		if xff := r.In.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			r.Out.Header["X-Forwarded-For"] = xff
		}
	}}
}

// listenProxy listens on loopback now, so the services' public URL is
// known before they are initialised; serve starts the proxy.
func listenProxy(t *testing.T) (net.Listener, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

func serveProxy(t *testing.T, ln net.Listener, rr *roundRobin) {
	srv := &http.Server{Handler: rr.handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func backendURL(t *testing.T, addr string) *url.URL {
	u, err := url.Parse("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// loadResult is one scenario's figures.
type loadResult struct {
	name      string
	instances int
	ops, errs int
	elapsed   time.Duration
	lat       []time.Duration
	firstErr  string
}

func (r loadResult) rate() float64 { return float64(r.ops) / r.elapsed.Seconds() }

func (r loadResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	s := slices.Clone(r.lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// drive runs op on workers goroutines until d has passed (or op reports
// it has nothing left), each op timing its measured part.
func drive(name string, instances, workers int, d time.Duration, op func(worker, i int) (time.Duration, bool, error)) loadResult {
	r := loadResult{name: name, instances: instances}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var next atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				lat, more, err := op(w, int(next.Add(1)))
				if !more {
					return
				}
				mu.Lock()
				if err != nil {
					r.errs++
					if r.firstErr == "" {
						r.firstErr = err.Error()
					}
				} else {
					r.ops++
					r.lat = append(r.lat, lat)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}

// TestLoad measures issuance and verification on bbolt (one instance)
// and PostgreSQL (two instances) and prints the figures with the ratio
// PG×2 / bbolt×1.
func TestLoad(t *testing.T) {
	d, workers := loadEnabled(t)
	pgURL := pgtest.URL(t)
	only := os.Getenv("CAIRN_LOAD_ONLY") // "issuance" or "verification": that pair alone
	var results []loadResult
	if only == "" || only == "issuance" {
		results = append(results, loadIssuance(t, "", 1, d, workers), loadIssuance(t, pgURL, 2, d, workers))
	}
	if only == "" || only == "verification" {
		results = append(results, loadVerification(t, "", 1, d, workers), loadVerification(t, pgtest.URL(t), 2, d, workers))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nload: %s per scenario, %d workers, GOMAXPROCS of this machine's %d CPUs shared by clients, proxy and services\n", d, workers, numCPU())
	fmt.Fprintf(&b, "%-28s %9s %7s %9s %9s %9s\n", "scenario", "ops", "errors", "ops/s", "p50", "p99")
	for _, r := range results {
		fmt.Fprintf(&b, "%-28s %9d %7d %9.1f %9s %9s\n", r.name, r.ops, r.errs, r.rate(), r.pct(0.50).Round(10*time.Microsecond), r.pct(0.99).Round(10*time.Microsecond))
		if r.firstErr != "" {
			fmt.Fprintf(&b, "  first error: %.200s\n", r.firstErr)
		}
	}
	for i := 0; i+1 < len(results); i += 2 {
		fmt.Fprintf(&b, "ratio PG×2 / bbolt×1 throughput, %s: %.2f\n", strings.Fields(results[i].name)[0], results[i+1].rate()/results[i].rate())
	}
	fmt.Fprint(os.Stdout, b.String())
	t.Log(b.String())
}

func numCPU() int { return runtime.NumCPU() }

// loadIssuance: offers made beforehand straight into the store, then
// workers run the pre-authorized flow (offer, metadata, token, nonce,
// credential) against the proxy; the whole flow is timed.
func loadIssuance(t *testing.T, storeURL string, instances int, d time.Duration, workers int) loadResult {
	name := fmt.Sprintf("issuance bbolt×%d", instances)
	if storeURL != "" {
		name = fmt.Sprintf("issuance postgres×%d", instances)
	}
	root := t.TempDir()
	ln, lb := listenProxy(t)
	dirs := []string{filepath.Join(root, "i0")}
	if res := runStore(t, "", "issuer", "init", "--dir", dirs[0], "--name", "en=Relief", "--url", lb, "--dev", "--type", hrVCT); res.code != 0 {
		t.Fatalf("init: %d %s", res.code, res.stderr)
	}
	for i := 1; i < instances; i++ {
		dirs = append(dirs, filepath.Join(root, fmt.Sprint("i", i)))
		copyIssuerDir(t, dirs[0], dirs[i])
	}
	// Offers: enough for the run at a generous rate.
	ctx := context.Background()
	svc, err := issuerdir.OpenStore(ctx, dirs[0], storeURL)
	if err != nil {
		t.Fatal(err)
	}
	n := int(d.Seconds()) * 200
	uris := make([]string, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 4 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				o, err := svc.CreateOffer(ctx, issuer.OfferRequest{VCT: hrVCT, TTL: time.Hour, Claims: map[string]any{"registration_id": fmt.Sprint("REG-", i), "registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB"}}})
				if err != nil {
					t.Error(err)
					return
				}
				uris[i] = o.URI
			}
		})
	}
	wg.Wait()
	svc.Close()
	if t.Failed() {
		t.FailNow()
	}
	rr := &roundRobin{}
	for _, dir := range dirs {
		p := startServe(t, storeURL, "issuer", "serve", "--dir", dir, "--client-rate", "0")
		rr.wallet = append(rr.wallet, backendURL(t, p.addr))
	}
	rr.console = rr.wallet
	serveProxy(t, ln, rr)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	client := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: tr}, AllowHTTP: true})
	holders := make([]*jose.Signer, workers)
	for i := range holders {
		k, _ := keys.Generate(jose.ES256, nil)
		holders[i] = k.JoseSigner()
	}
	r := drive(name, instances, workers, d, func(w, i int) (time.Duration, bool, error) {
		if i > n {
			return 0, false, nil
		}
		start := time.Now()
		_, err := client.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{OfferURI: uris[i-1], ConfigurationID: "humanitarian-registration.v1", Holder: holders[w]})
		return time.Since(start), true, err
	})
	if r.ops+r.errs >= n {
		t.Logf("%s: the %d offers ran out before the time did", name, n)
	}
	return r
}

// loadVerification: sessions made beforehand through the console API,
// then workers play wallets answering them: the request object fetched
// (request_uri), a presentation posted (direct_post), the result read
// from the console; those three calls are timed (the presentation is
// made in between, untimed, as wallet core does it on a phone).
func loadVerification(t *testing.T, storeURL string, instances int, d time.Duration, workers int) loadResult {
	name := fmt.Sprintf("verification bbolt×%d", instances)
	if storeURL != "" {
		name = fmt.Sprintf("verification postgres×%d", instances)
	}
	root := t.TempDir()
	ln, lb := listenProxy(t)
	dirs := []string{filepath.Join(root, "v0")}
	r0 := runCLI(t, "verifier", "init", "--dir", dirs[0], "--name", "en=Desk", "--url", lb, "--dev")
	if r0.code != ExitOK {
		t.Fatalf("init: %d %s", r0.code, r0.stderr)
	}
	for i := 1; i < instances; i++ {
		dirs = append(dirs, filepath.Join(root, fmt.Sprint("v", i)))
		os.MkdirAll(dirs[i], 0o700)
		for _, f := range []string{"verifier.json", "key.jwk", "results.key"} {
			b, err := os.ReadFile(filepath.Join(dirs[0], f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dirs[i], f), b, 0o600)
		}
	}
	w := newVerifierWorld(t, strings.SplitN(r0.stdout, "\n", 2)[0], time.Now().Add(24*time.Hour))
	cred := w.credential(t, time.Now().Add(-time.Hour))
	regFile := filepath.Join(root, "registry.jws")
	os.WriteFile(regFile, []byte(w.snapshot(t)), 0o600)
	rr := &roundRobin{}
	for _, dir := range dirs {
		console := freeAddr(t)
		p := startServe(t, storeURL, "verifier", "serve", "--dir", dir, "--registry", regFile, "--registry-key", w.authFile,
			"--console-addr", console, "--trusted-proxy", "127.0.0.1")
		rr.wallet = append(rr.wallet, backendURL(t, p.addr))
		rr.console = append(rr.console, backendURL(t, console))
	}
	serveProxy(t, ln, rr)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	hc := &http.Client{Timeout: 30 * time.Second, Transport: tr}
	do := func(method, u, client string, body io.Reader, ctype string) (int, []byte, error) {
		req, _ := http.NewRequest(method, u, body)
		req.Header.Set("X-Forwarded-For", client)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	clientOf := func(i int) string { return fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255) }

	// Sessions: enough for the run at a generous rate, made by "desks"
	// spread over the console's per-client limit.
	n := int(d.Seconds()) * 300
	ids := make([]string, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 4 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				st, b, err := do(http.MethodPost, lb+"/console/sessions", clientOf(1<<20+i), strings.NewReader(`{"purpose":"clinic-access","response_mode":"direct_post"}`), "application/json")
				var cs api.CreateSessionResponse
				if err != nil || st != http.StatusOK && st != http.StatusCreated || json.Unmarshal(b, &cs) != nil {
					t.Errorf("create session: %d %v %.200s", st, err, b)
					return
				}
				ids[i] = cs.SessionID
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	r := drive(name, instances, workers, d, func(_, i int) (time.Duration, bool, error) {
		if i > n {
			return 0, false, nil
		}
		id, client := ids[i-1], clientOf(i)
		start := time.Now()
		st, jws, err := do(http.MethodGet, lb+"/request/"+id, client, nil, "")
		if err != nil || st != http.StatusOK {
			return 0, true, fmt.Errorf("request object: %d %v %.200s", st, err, jws)
		}
		fetched := time.Since(start)
		ar, err := requestPayload(string(jws))
		if err != nil {
			return 0, true, err
		}
		vp, err := sdjwtvc.Present(cred, w.holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name", "/birthdate"}, Audience: oid4vp.KBAudience(ar.ClientID), Nonce: ar.Nonce})
		if err != nil {
			return 0, true, err
		}
		form, err := (&oid4vp.Response{VPToken: oid4vp.VPToken{"identity": {vp}}, State: ar.State}).Form()
		if err != nil {
			return 0, true, err
		}
		start = time.Now()
		st, b, err := do(http.MethodPost, ar.ResponseURI, client, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		if err != nil || st != http.StatusOK {
			return 0, true, fmt.Errorf("direct_post: %d %v %.200s", st, err, b)
		}
		st, b, err = do(http.MethodGet, lb+"/console/sessions/"+id+"/result", clientOf(1<<20+i), nil, "")
		if err != nil || st != http.StatusOK || !bytes.Contains(b, []byte(`"code":"valid"`)) {
			return 0, true, fmt.Errorf("result: %d %v %.200s", st, err, b)
		}
		return fetched + time.Since(start), true, nil
	})
	if r.ops+r.errs >= n {
		t.Logf("%s: the %d sessions ran out before the time did", name, n)
	}
	return r
}

// requestPayload reads a request object's claims without verifying its
// signature: the load test measures the verifier, not the wallet's
// checks (which the other tests make).
func requestPayload(jws string) (*oid4vp.AuthorizationRequest, error) {
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("request object is not a JWS")
	}
	b, err := jose.B64.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var ar oid4vp.AuthorizationRequest
	return &ar, json.Unmarshal(b, &ar)
}
