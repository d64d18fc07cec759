package web

import (
	"bytes"
	"net/http"
)

// Answer records what an in-process handler wrote, for pages that
// forward their script's calls to a service's API handler (the wallet
// agent's, the verifier console's) in the same process.
type Answer struct {
	Code   int
	Body   bytes.Buffer
	header http.Header
	wrote  bool
}

// NewAnswer returns an empty Answer (status 200 until written).
func NewAnswer() *Answer { return &Answer{Code: http.StatusOK, header: http.Header{}} }

// Header implements http.ResponseWriter.
func (a *Answer) Header() http.Header { return a.header }

// WriteHeader implements http.ResponseWriter.
func (a *Answer) WriteHeader(code int) {
	if !a.wrote {
		a.Code, a.wrote = code, true
	}
}

// Write implements http.ResponseWriter.
func (a *Answer) Write(b []byte) (int, error) {
	a.wrote = true
	return a.Body.Write(b)
}

// Relay copies the answer to w: its status, body and the headers a page
// needs (Content-Type, Retry-After, Content-Disposition), never cached.
func (a *Answer) Relay(w http.ResponseWriter) {
	for _, k := range []string{"Content-Type", "Retry-After", "Content-Disposition"} {
		if v := a.header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(a.Code)
	_, _ = w.Write(a.Body.Bytes())
}

// Ask serves req on api in process, as a call made for the page's request
// r: the client's address and language go with it.
func Ask(api http.Handler, r, req *http.Request) *Answer {
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Accept-Language", Lang(r))
	a := NewAnswer()
	api.ServeHTTP(a, req)
	return a
}
