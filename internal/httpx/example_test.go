package httpx_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/cairn-id/cairn/internal/httpx"
)

func ExampleGetBounded() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwt")
		fmt.Fprint(w, "eyJ...")
	}))
	defer srv.Close()
	// Production code passes httpx.NewClient(httpx.Options{}), which
	// refuses this loopback test server.
	body, ctype, err := httpx.GetBounded(context.Background(), srv.Client(), srv.URL, "application/jwt", 1<<10)
	fmt.Println(string(body), ctype, err)
	// Output: eyJ... application/jwt <nil>
}
