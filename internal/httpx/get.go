package httpx

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// ErrMediaType means a response's Content-Type is not one the request's
// Accept header asked for.
var ErrMediaType = errors.New("httpx: unexpected media type")

// StatusError is a response other than 200 OK. Callers tell "not there"
// (404, 410) from other failures by Code.
type StatusError struct {
	URL    string
	Code   int    // e.g. 404
	Status string // e.g. "404 Not Found", as the server sent it
}

func (e *StatusError) Error() string { return fmt.Sprintf("%s answered %s", e.URL, e.Status) }

// GetBounded GETs url through client with the given Accept header and
// returns the body, at most max bytes (else ErrTooLarge), and the
// response's Content-Type. A status other than 200 is a *StatusError; a
// Content-Type that accept does not list is ErrMediaType (see
// MediaTypeAccepted). Errors from client.Do are returned unwrapped, so
// ErrForbiddenTarget and context errors stay visible to errors.Is. The
// caller bounds the time, through client's Timeout or ctx.
func GetBounded(ctx context.Context, client *http.Client, url, accept string, max int64) (body []byte, contentType string, err error) {
	if client == nil {
		return nil, "", errors.New("httpx: GetBounded needs an HTTP client")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", &StatusError{URL: url, Code: resp.StatusCode, Status: resp.Status}
	}
	contentType = resp.Header.Get("Content-Type")
	if accept != "" && !MediaTypeAccepted(accept, contentType) {
		return nil, contentType, fmt.Errorf("%w: %s sent %q, want %s", ErrMediaType, url, strings.TrimSpace(contentType), accept)
	}
	body, err = ReadLimited(resp.Body, max)
	if err != nil {
		return nil, contentType, err
	}
	return body, contentType, nil
}

// MediaTypeAccepted reports whether a response Content-Type fits an Accept
// header (RFC 9110 §12.5.1): its media type, parameters aside and case
// folded, equals a listed one, or a listed "type/*" or "*/*" covers it.
// Entries with q=0 accept nothing. A missing Content-Type fits only "*/*".
func MediaTypeAccepted(accept, contentType string) bool {
	var mt string
	if strings.TrimSpace(contentType) != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(contentType); err != nil {
			return false
		}
	}
	for _, entry := range strings.Split(accept, ",") {
		want, params, err := mime.ParseMediaType(strings.TrimSpace(entry))
		if err != nil {
			continue
		}
		if q := strings.TrimSpace(params["q"]); q != "" && strings.Trim(q, "0.") == "" {
			continue // q=0, q=0.0, q=0.000
		}
		switch {
		case want == "*/*":
			return true
		case mt == "":
		case want == mt:
			return true
		case strings.HasSuffix(want, "/*") && strings.HasPrefix(mt, strings.TrimSuffix(want, "*")):
			return true
		}
	}
	return false
}
