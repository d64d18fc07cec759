package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGetBounded(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		ctype     string
		body      string
		accept    string
		max       int64
		wantErr   error
		wantCode  int
		wantBody  string
		wantAcc   string
		wantCType string
	}{
		{name: "ok", status: 200, ctype: "application/statuslist+jwt", body: "tok", accept: "application/statuslist+jwt", max: 10, wantBody: "tok", wantCType: "application/statuslist+jwt"},
		{name: "ok with parameters", status: 200, ctype: "Application/JWT; charset=utf-8", body: "x", accept: "application/jwt", max: 10, wantBody: "x", wantCType: "Application/JWT; charset=utf-8"},
		{name: "exactly max", status: 200, ctype: "application/jwt", body: "0123456789", accept: "application/jwt", max: 10, wantBody: "0123456789"},
		{name: "one byte over", status: 200, ctype: "application/jwt", body: "0123456789a", accept: "application/jwt", max: 10, wantErr: ErrTooLarge},
		{name: "wrong media type", status: 200, ctype: "text/html", body: "<html>", accept: "application/jwt", max: 10, wantErr: ErrMediaType},
		{name: "no media type", status: 200, ctype: "", body: "x", accept: "application/jwt", max: 10, wantErr: ErrMediaType},
		{name: "not found", status: 404, ctype: "application/jwt", accept: "application/jwt", max: 10, wantCode: 404},
		{name: "server error", status: 503, ctype: "application/jwt", accept: "application/jwt", max: 10, wantCode: 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotAccept string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotAccept = r.Header.Get("Accept")
				w.Header()["Content-Type"] = []string{tc.ctype}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			body, ct, err := GetBounded(context.Background(), srv.Client(), srv.URL, tc.accept, tc.max)
			if gotAccept != tc.accept {
				t.Errorf("Accept sent %q, want %q", gotAccept, tc.accept)
			}
			var se *StatusError
			switch {
			case tc.wantCode != 0:
				if !errors.As(err, &se) || se.Code != tc.wantCode || !strings.Contains(err.Error(), srv.URL) {
					t.Fatalf("err = %v, want status %d naming the URL", err, tc.wantCode)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if body != nil {
					t.Errorf("body returned with error")
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if string(body) != tc.wantBody {
					t.Errorf("body %q, want %q", body, tc.wantBody)
				}
				if tc.wantCType != "" && ct != tc.wantCType {
					t.Errorf("content type %q, want %q", ct, tc.wantCType)
				}
			}
		})
	}
}

func TestGetBoundedGuarded(t *testing.T) {
	// The guarded client refuses a loopback server; the error stays visible.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, _, err := GetBounded(context.Background(), NewClient(Options{}), srv.URL, "application/jwt", 10)
	if !errors.Is(err, ErrForbiddenTarget) {
		t.Fatalf("err = %v, want ErrForbiddenTarget", err)
	}
}

func TestMediaTypeAccepted(t *testing.T) {
	tests := []struct {
		accept, ctype string
		want          bool
	}{
		{"application/jwt", "application/jwt", true},
		{"application/jwt", "application/JWT; charset=utf-8", true},
		{"application/jwt", "application/json", false},
		{"application/jwt", "", false},
		{"application/jwt", "not a media type;;", false},
		{"application/did+json, application/json;q=0.8", "application/json", true},
		{"application/did+json, application/json;q=0", "application/json", false},
		{"application/did+json, application/json;q=0.000", "application/json", false},
		{"application/json;q=0.001", "application/json", true},
		{"application/*", "application/octet-stream", true},
		{"application/*", "text/plain", false},
		{"*/*;q=0.1", "text/html", true},
		{"*/*", "", true},
		{"", "application/jwt", false},
	}
	for _, tc := range tests {
		if got := MediaTypeAccepted(tc.accept, tc.ctype); got != tc.want {
			t.Errorf("MediaTypeAccepted(%q, %q) = %v, want %v", tc.accept, tc.ctype, got, tc.want)
		}
	}
}
