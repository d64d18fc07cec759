package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestIsForbiddenIP(t *testing.T) {
	cases := []struct {
		ip        string
		forbidden bool
	}{
		{"127.0.0.1", true},
		{"127.255.0.9", true},
		{"::1", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"::", true},
		{"100.64.0.1", true},    // CGNAT
		{"100.127.255.1", true}, // CGNAT upper edge
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"fe80::1", true},
		{"ff02::1", true},
		{"::ffff:127.0.0.1", true}, // IPv4-mapped loopback
		{"::ffff:10.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::127.0.0.1", true},         // IPv4-compatible
		{"64:ff9b::a00:1", true},      // NAT64 of 10.0.0.1
		{"2002:a00:1::1", true},       // 6to4 of 10.0.0.1
		{"2001:0:4136:e378::1", true}, // Teredo
		{"192.0.2.10", true},
		{"198.18.0.1", true},
		{"fec0::1", true},
		// Ordinary public unicast.
		{"93.184.215.14", false},
		{"8.8.8.8", false},
		{"172.32.0.1", false},  // just outside 172.16/12
		{"100.128.0.1", false}, // just outside 100.64/10
		{"11.0.0.1", false},
		{"::ffff:8.8.8.8", false},
		{"2606:4700::1111", false},
	}
	for _, c := range cases {
		ip := net.ParseIP(c.ip)
		if ip == nil {
			t.Fatalf("bad test IP %q", c.ip)
		}
		if got := IsForbiddenIP(ip); got != c.forbidden {
			t.Errorf("IsForbiddenIP(%s) = %v, want %v", c.ip, got, c.forbidden)
		}
	}
	if !IsForbiddenIP(nil) || !IsForbiddenIP(net.IP{1, 2, 3}) {
		t.Error("nil or malformed IP must be forbidden")
	}
	// A 4-byte and a 16-byte form of the same address agree.
	if IsForbiddenIP(net.IPv4(10, 0, 0, 1).To4()) != IsForbiddenIP(net.IPv4(10, 0, 0, 1).To16()) {
		t.Error("4- and 16-byte forms disagree")
	}
}

func TestControlHook(t *testing.T) {
	for addr, wantErr := range map[string]bool{
		"127.0.0.1:443":          true,
		"[::1]:443":              true,
		"[::ffff:127.0.0.1]:443": true,
		"[fe80::1%eth0]:443":     true,
		"169.254.169.254:80":     true,
		"garbage":                true,
		"93.184.215.14:443":      false,
		"[2606:4700::1111]:443":  false,
	} {
		err := controlHook("tcp", addr, nil)
		if (err != nil) != wantErr {
			t.Errorf("controlHook(%q) = %v, want error %v", addr, err, wantErr)
		}
		if err != nil && !errors.Is(err, ErrForbiddenTarget) {
			t.Errorf("controlHook(%q) error %v is not ErrForbiddenTarget", addr, err)
		}
	}
}

// fakeDNS maps host names to addresses without touching real DNS.
func fakeDNS(m map[string][]string) func(context.Context, string) ([]net.IP, error) {
	return func(_ context.Context, host string) ([]net.IP, error) {
		addrs, ok := m[host]
		if !ok {
			return nil, fmt.Errorf("no such host %q", host)
		}
		var ips []net.IP
		for _, a := range addrs {
			ips = append(ips, net.ParseIP(a))
		}
		return ips, nil
	}
}

// recordingDial records dialled addresses and never opens a connection.
type recordingDial struct {
	mu    sync.Mutex
	addrs []string
}

var errNoNetwork = errors.New("test dialer: no network")

func (r *recordingDial) dial(_ context.Context, _, addr string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = append(r.addrs, addr)
	return nil, errNoNetwork
}

func TestGuardRefusesInternalTargetsBeforeDialling(t *testing.T) {
	dns := fakeDNS(map[string][]string{
		"loopback.test": {"127.0.0.1"},
		"v6loop.test":   {"::1"},
		"private.test":  {"10.0.0.7"},
		"metadata.test": {"169.254.169.254"},
		"zero.test":     {"0.0.0.0"},
		"mapped.test":   {"::ffff:192.168.0.1"},
		"mixed.test":    {"93.184.215.14", "10.0.0.1"},
		"cgnat.test":    {"100.64.1.1"},
		"ula.test":      {"fd00::1"},
		"public.test":   {"93.184.215.14"},
		"public6.test":  {"2606:4700::1111"},
	})
	cases := []struct {
		url      string
		wantDial string // "" means the guard must refuse before dialling
	}{
		{"https://loopback.test/", ""},
		{"https://v6loop.test/", ""},
		{"https://private.test/", ""},
		{"https://metadata.test/latest/meta-data", ""},
		{"https://zero.test/", ""},
		{"https://mapped.test/", ""},
		{"https://mixed.test/", ""},
		{"https://cgnat.test/", ""},
		{"https://ula.test/", ""},
		{"https://127.0.0.1/", ""},
		{"https://[::1]:8443/", ""},
		{"https://[::ffff:7f00:1]/", ""},
		{"https://169.254.169.254/", ""},
		{"https://2130706433/", ""}, // decimal 127.0.0.1 is not an IP literal to Go, and no DNS answer exists
		{"http://public.test/", ""}, // plain http
		{"ftp://public.test/", ""},
		{"https://public.test/x", "93.184.215.14:443"},
		{"https://public6.test:8443/x", "[2606:4700::1111]:8443"},
	}
	for _, c := range cases {
		rec := &recordingDial{}
		client := newClient(Options{LookupIP: dns, Timeout: 2 * time.Second}, rec.dial)
		resp, err := client.Get(c.url)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: request succeeded through a dialer that cannot connect", c.url)
			continue
		}
		if c.wantDial == "" {
			if len(rec.addrs) != 0 {
				t.Errorf("%s: dialled %v, want refusal before dialling", c.url, rec.addrs)
			}
			if strings.Contains(c.url, "2130706433") {
				continue // refused because it does not resolve; not a guard decision
			}
			if !errors.Is(err, ErrForbiddenTarget) {
				t.Errorf("%s: error %v, want ErrForbiddenTarget", c.url, err)
			}
			continue
		}
		if !errors.Is(err, errNoNetwork) {
			t.Errorf("%s: error %v, want the test dialer's error", c.url, err)
		}
		if len(rec.addrs) != 1 || rec.addrs[0] != c.wantDial {
			t.Errorf("%s: dialled %v, want [%s] (the checked IP literal)", c.url, rec.addrs, c.wantDial)
		}
	}
}

// TestNoSecondLookup shows the name is resolved once and the checked IP is
// what gets dialled, so a rebinding DNS answer cannot change the target.
func TestNoSecondLookup(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	rebinding := func(_ context.Context, host string) ([]net.IP, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return []net.IP{net.ParseIP("93.184.215.14")}, nil
		}
		return []net.IP{net.ParseIP("127.0.0.1")}, nil
	}
	rec := &recordingDial{}
	client := newClient(Options{LookupIP: rebinding}, rec.dial)
	if resp, err := client.Get("https://rebind.test/"); err == nil {
		resp.Body.Close()
	}
	if calls != 1 {
		t.Errorf("resolver called %d times, want 1", calls)
	}
	if len(rec.addrs) != 1 || rec.addrs[0] != "93.184.215.14:443" {
		t.Errorf("dialled %v", rec.addrs)
	}
}

// redirectServer is an httptest TLS server (its certificate covers
// example.com) reached through an injected dialer that pretends
// example.com is a public address, so redirect checks can be exercised with
// the guard on and without real network traffic.
func redirectServer(t *testing.T, hops map[string]string) (*httptest.Server, Options, dialFunc) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to, ok := hops[r.URL.Path]; ok {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	local := srv.Listener.Addr().String()
	dns := fakeDNS(map[string][]string{
		"example.com":   {"93.184.215.14"},
		"internal.test": {"10.0.0.1"},
	})
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != "93.184.215.14:443" {
			return nil, fmt.Errorf("test dialer refuses %s", addr)
		}
		return d.DialContext(ctx, network, local)
	}
	return srv, Options{LookupIP: dns, RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, MaxRedirects: 2}, dial
}

func TestRedirects(t *testing.T) {
	_, opts, dial := redirectServer(t, map[string]string{
		"/to-ok":       "https://example.com/ok",
		"/to-private":  "https://internal.test/",
		"/to-metadata": "https://169.254.169.254/latest/meta-data",
		"/to-loop":     "https://127.0.0.1/",
		"/to-http":     "http://example.com/ok",
		"/a":           "/b",
		"/b":           "/c",
		"/c":           "/d",
	})
	client := newClient(opts, dial)
	cases := []struct {
		path    string
		wantErr error
	}{
		{"/ok", nil},
		{"/to-ok", nil},
		{"/b", nil}, // two hops: within the limit of 2
		{"/to-private", ErrForbiddenTarget},
		{"/to-metadata", ErrForbiddenTarget},
		{"/to-loop", ErrForbiddenTarget},
		{"/to-http", ErrForbiddenTarget},
		{"/a", ErrTooManyRedirects}, // three hops
	}
	for _, c := range cases {
		resp, err := client.Get("https://example.com" + c.path)
		if c.wantErr == nil {
			if err != nil {
				t.Errorf("%s: %v", c.path, err)
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "ok" {
				t.Errorf("%s: body %q", c.path, body)
			}
			continue
		}
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: succeeded, want %v", c.path, c.wantErr)
			continue
		}
		if !errors.Is(err, c.wantErr) {
			t.Errorf("%s: error %v, want %v", c.path, err, c.wantErr)
		}
	}
}

func TestNewClientAgainstLoopbackServer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := fakeDNS(map[string][]string{"example.com": {"127.0.0.1"}})

	// Guard on: the real dialer path refuses the loopback server.
	guarded := NewClient(Options{LookupIP: dns, RootCAs: roots})
	for _, u := range []string{srv.URL, "https://example.com:" + port + "/"} {
		resp, err := guarded.Get(u)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("guarded client reached %s", u)
		}
		if !errors.Is(err, ErrForbiddenTarget) {
			t.Errorf("%s: %v, want ErrForbiddenTarget", u, err)
		}
	}

	// Dev mode: allowed, by name and by literal.
	dev := NewClient(Options{AllowPrivate: true, LookupIP: dns, RootCAs: roots})
	for _, u := range []string{srv.URL, "https://example.com:" + port + "/"} {
		resp, err := dev.Get(u)
		if err != nil {
			t.Fatalf("dev client: %s: %v", u, err)
		}
		b, _ := ReadLimited(resp.Body, 100)
		resp.Body.Close()
		if string(b) != "hello" {
			t.Errorf("%s: body %q", u, b)
		}
	}
}

func TestReadLimited(t *testing.T) {
	for _, c := range []struct {
		n, max  int
		wantErr bool
	}{{0, 0, false}, {10, 10, false}, {11, 10, true}, {5, 10, false}, {1 << 20, 1 << 10, true}} {
		b, err := ReadLimited(bytes.NewReader(make([]byte, c.n)), int64(c.max))
		if c.wantErr {
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("n=%d max=%d: err %v, want ErrTooLarge", c.n, c.max, err)
			}
			continue
		}
		if err != nil || len(b) != c.n {
			t.Errorf("n=%d max=%d: got %d bytes, err %v", c.n, c.max, len(b), err)
		}
	}
}

func ExampleIsForbiddenIP() {
	for _, s := range []string{"8.8.8.8", "169.254.169.254", "::ffff:10.0.0.1"} {
		fmt.Println(s, IsForbiddenIP(net.ParseIP(s)))
	}
	// Output:
	// 8.8.8.8 false
	// 169.254.169.254 true
	// ::ffff:10.0.0.1 true
}

func ExampleReadLimited() {
	_, err := ReadLimited(strings.NewReader("0123456789"), 4)
	fmt.Println(errors.Is(err, ErrTooLarge))
	// Output: true
}

func BenchmarkIsForbiddenIP(b *testing.B) {
	b.ReportAllocs()
	ip := net.ParseIP("93.184.215.14")
	for b.Loop() {
		IsForbiddenIP(ip)
	}
}

func ExampleNewClient() {
	client := NewClient(Options{Timeout: 5 * time.Second})
	_, err := client.Get("https://169.254.169.254/latest/meta-data")
	fmt.Println(errors.Is(err, ErrForbiddenTarget))
	_, err = client.Get("http://example.com/")
	fmt.Println(errors.Is(err, ErrForbiddenTarget))
	// Output:
	// true
	// true
}

// TestAllowPlainHTTP: plain http is refused by default, allowed with
// AllowPlainHTTP to a public address, and still refused to an internal
// one (the address guard does not move) unless AllowPrivate.
func TestAllowPlainHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "crl") }))
	defer srv.Close()
	dns := func(_ context.Context, host string) ([]net.IP, error) {
		switch host {
		case "crl.example":
			return []net.IP{net.ParseIP("93.184.216.34")}, nil
		case "internal.example":
			return []net.IP{net.ParseIP("10.0.0.7")}, nil
		}
		return nil, errors.New("no such host")
	}
	// Every allowed dial goes to the test server, whatever IP was checked.
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	for _, tc := range []struct {
		name string
		o    Options
		url  string
		ok   bool
	}{
		{"default refuses http", Options{}, "http://crl.example/ca.crl", false},
		{"plain http to a public address", Options{AllowPlainHTTP: true}, "http://crl.example/ca.crl", true},
		{"plain http to a private address", Options{AllowPlainHTTP: true}, "http://internal.example/ca.crl", false},
		{"plain http to loopback", Options{AllowPlainHTTP: true}, "http://127.0.0.1/ca.crl", false},
		{"dev mode reaches the private address", Options{AllowPlainHTTP: true, AllowPrivate: true}, "http://internal.example/ca.crl", true},
		{"other schemes stay refused", Options{AllowPlainHTTP: true}, "ftp://crl.example/ca.crl", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.LookupIP = dns
			body, _, err := GetBounded(context.Background(), newClient(tc.o, dial), tc.url, "", 1<<10)
			if tc.ok && (err != nil || string(body) != "crl") {
				t.Fatalf("got %q, %v", body, err)
			}
			if !tc.ok && (err == nil || (!errors.Is(err, ErrForbiddenTarget) && !strings.Contains(err.Error(), "unsupported protocol"))) {
				t.Fatalf("want a refusal, got %q, %v", body, err)
			}
		})
	}
}
