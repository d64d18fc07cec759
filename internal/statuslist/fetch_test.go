package statuslist

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/httpx"
)

func TestFetcher(t *testing.T) {
	tests := []struct {
		name    string
		ctype   string
		body    string
		status  int
		maxLen  int64
		want    string
		wantErr error
		wantSE  bool
	}{
		{name: "token", ctype: MediaType, body: "  eyJ.a.b\n", status: 200, want: "eyJ.a.b"},
		{name: "media type parameters", ctype: MediaType + "; charset=utf-8", body: "eyJ.a.b", status: 200, want: "eyJ.a.b"},
		{name: "wrong media type", ctype: "text/html", body: "<html>", status: 200, wantErr: httpx.ErrMediaType},
		{name: "plain jwt is not a status list", ctype: "application/jwt", body: "eyJ.a.b", status: 200, wantErr: httpx.ErrMediaType},
		{name: "too large", ctype: MediaType, body: strings.Repeat("a", 65), maxLen: 64, status: 200, wantErr: httpx.ErrTooLarge},
		{name: "at the size bound", ctype: MediaType, body: strings.Repeat("a", 64), maxLen: 64, status: 200, want: strings.Repeat("a", 64)},
		{name: "empty", ctype: MediaType, body: "\n", status: 200, wantErr: ErrInvalidToken},
		{name: "not found", ctype: MediaType, status: 404, wantSE: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Accept") != MediaType {
					t.Errorf("Accept %q", r.Header.Get("Accept"))
				}
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			f := &Fetcher{Client: srv.Client(), MaxLen: tc.maxLen}
			got, err := f.Fetch(context.Background(), srv.URL+"/statuslists/1")
			var se *httpx.StatusError
			switch {
			case tc.wantSE:
				if !errors.As(err, &se) || se.Code != tc.status {
					t.Fatalf("err = %v, want HTTP %d", err, tc.status)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case got != tc.want:
				t.Errorf("token %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFetcherTimeBound(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers before the client gives up
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	client := srv.Client()
	client.Timeout = 20 * time.Millisecond
	_, err := (&Fetcher{Client: client}).Fetch(context.Background(), srv.URL)
	var te interface{ Timeout() bool }
	if !errors.As(err, &te) || !te.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

func TestNewFetcherIsGuarded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the guarded fetcher reached a loopback server")
	}))
	defer srv.Close()
	f := NewFetcher(httpx.Options{})
	if f.Client.Timeout != DefaultFetchTimeout {
		t.Errorf("timeout %v, want %v", f.Client.Timeout, DefaultFetchTimeout)
	}
	if _, err := f.Fetch(context.Background(), srv.URL); !errors.Is(err, httpx.ErrForbiddenTarget) {
		t.Fatalf("err = %v, want ErrForbiddenTarget", err)
	}
}

type heldTokens map[string]*Token

func (h heldTokens) Token(uri string) (*Token, bool) { t, ok := h[uri]; return t, ok }

func TestOfflineStatus(t *testing.T) {
	l, err := New(2, 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Set(3, StatusSuspended); err != nil {
		t.Fatal(err)
	}
	held := heldTokens{"https://i.example/sl/1": {List: l}}
	tests := []struct {
		name     string
		o        Offline
		ref      Reference
		want     uint8
		wantHeld bool
		wantErr  error
	}{
		{"held, suspended", held, Reference{URI: "https://i.example/sl/1", Index: 3}, StatusSuspended, true, nil},
		{"held, valid", held, Reference{URI: "https://i.example/sl/1", Index: 0}, StatusValid, true, nil},
		{"held, index out of range", held, Reference{URI: "https://i.example/sl/1", Index: 8}, 0, true, ErrIndexOutOfRange},
		{"not held", held, Reference{URI: "https://i.example/sl/2", Index: 0}, 0, false, nil},
		{"nothing held", nil, Reference{URI: "https://i.example/sl/1"}, 0, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, h, err := OfflineStatus(tc.o, tc.ref)
			if s != tc.want || h != tc.wantHeld || !errors.Is(err, tc.wantErr) {
				t.Errorf("got (%d, %v, %v), want (%d, %v, %v)", s, h, err, tc.want, tc.wantHeld, tc.wantErr)
			}
		})
	}
}
