package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
