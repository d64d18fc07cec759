package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/cairn-id/cairn/internal/server"
)

// ClockState is the answer of the stack's admin socket about its clock.
type ClockState struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"` // a Go duration
	Days   float64   `json:"days"`   // the offset in days
}

// clockRequest is the body of POST /clock.
type clockRequest struct {
	Advance string `json:"advance"` // ParseDays
}

func (s *Stack) clockState() ClockState {
	off := s.clock.Offset()
	return ClockState{Now: s.clock.Now().UTC().Truncate(time.Second), Offset: off.String(), Days: off.Hours() / 24}
}

// adminHandler serves DATA/admin.sock: GET /clock, and POST /clock
// {"advance": "90d"} in dev mode (the registry is published again at
// the new time, so the issuers keep a current snapshot).
func (s *Stack) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /clock", func(w http.ResponseWriter, r *http.Request) {
		server.WriteJSON(w, http.StatusOK, s.clockState())
	})
	mux.HandleFunc("POST /clock", func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.Dev {
			server.WriteError(w, r, server.Errorf(http.StatusForbidden, "not_dev", "the clock moves only in dev mode (cairn up --dev)"))
			return
		}
		var req clockRequest
		if err := server.DecodeJSON(w, r, 1<<10, &req); err != nil {
			server.WriteError(w, r, err)
			return
		}
		d, err := ParseDays(req.Advance)
		if err == nil {
			_, err = s.clock.Advance(d)
		}
		if err != nil {
			server.WriteError(w, r, server.Errorf(http.StatusBadRequest, server.CodeInvalidRequest, "%s", err.Error()))
			return
		}
		err = s.refreshRegistry(r.Context(), true)
		if err == nil {
			err = s.refreshBundle(r.Context())
		}
		if err != nil {
			s.log.Error("registry refresh after a clock move failed", "err", err.Error())
			server.WriteError(w, r, err)
			return
		}
		st := s.clockState()
		s.log.Warn("dev clock moved forward", "offset", st.Offset, "now", st.Now.Format(time.RFC3339))
		server.WriteJSON(w, http.StatusOK, st)
	})
	return mux
}

// ErrNotRunning: no stack answers on the data directory's admin socket.
var ErrNotRunning = errors.New("stack: no 'cairn up' is running on this data directory")

// AdvanceClock asks the stack running on data to move its dev clock
// forward by advance (ParseDays; "" only reads the clock).
func AdvanceClock(ctx context.Context, data, advance string) (*ClockState, error) {
	sock := filepath.Join(data, AdminSocketFile)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}}
	defer c.CloseIdleConnections()
	method, body := http.MethodGet, []byte(nil)
	if advance != "" {
		method = http.MethodPost
		body, _ = json.Marshal(clockRequest{Advance: advance})
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://stack/clock", bytesReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		var ne *net.OpError
		if errors.As(err, &ne) {
			return nil, fmt.Errorf("%w (%s)", ErrNotRunning, sock)
		}
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var e server.ErrorBody
		_ = json.NewDecoder(http.MaxBytesReader(nil, res.Body, 64<<10)).Decode(&e)
		return nil, fmt.Errorf("stack: %s", e.Message)
	}
	var st ClockState
	if err := json.NewDecoder(http.MaxBytesReader(nil, res.Body, 64<<10)).Decode(&st); err != nil {
		return nil, err
	}
	return &st, nil
}

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cairn</title></head>
<body><main>
<h1>Cairn is running</h1>
<p>Registry: <a href="/registry/snapshot">latest signed snapshot</a>.</p>
<h2>Issuers</h2>
<ul>{{range .}}<li>{{index .Names "en"}}: <a href="/.well-known/openid-credential-issuer{{.Path}}">{{.URL}}</a></li>{{end}}</ul>
</main></body></html>
`))

type homeIssuer struct {
	Names     map[string]string
	URL, Path string
}

func (s *Stack) home(w http.ResponseWriter, r *http.Request) {
	var list []homeIssuer
	for _, is := range s.Issuers {
		list = append(list, homeIssuer{Names: is.Names, URL: is.URL, Path: "/" + IssuersDir + "/" + is.Name})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_ = homePage.Execute(w, list)
}
