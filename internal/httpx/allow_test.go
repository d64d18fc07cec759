package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
)

// TestAllowAddrs: the exact exceptions of dev mode reach their own
// address over plain http, and nothing else: not another port of the
// same loopback address, not the same port by another address, and not
// a redirect from the allowed address to a forbidden one.
func TestAllowAddrs(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("other")) }))
	defer other.Close()
	own := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
			return
		}
		w.Write([]byte("own"))
	}))
	defer own.Close()
	ownAddr := netip.MustParseAddrPort(own.Listener.Addr().String())
	ownURL, _ := url.Parse(own.URL)
	for _, c := range []struct {
		name  string
		allow []netip.AddrPort
		url   string
		ok    bool
	}{
		{"own address allowed", []netip.AddrPort{ownAddr}, own.URL + "/", true},
		{"without the exception", nil, own.URL + "/", false},
		{"another port", []netip.AddrPort{ownAddr}, other.URL + "/", false},
		{"same port, another loopback address", []netip.AddrPort{ownAddr}, "http://127.0.0.2:" + ownURL.Port() + "/", false},
		{"by name", []netip.AddrPort{ownAddr}, "http://localhost:" + ownURL.Port() + "/", false},
		{"redirect to a forbidden target", []netip.AddrPort{ownAddr}, own.URL + "/redirect", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := NewClient(Options{AllowAddrs: c.allow})
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, c.url, nil)
			res, err := cl.Do(req)
			if res != nil {
				res.Body.Close()
			}
			if c.ok && (err != nil || res.StatusCode != 200) {
				t.Fatalf("refused: %v", err)
			}
			if !c.ok && (err == nil || !errors.Is(err, ErrForbiddenTarget)) {
				t.Fatalf("allowed or other error: %v", err)
			}
		})
	}
}
