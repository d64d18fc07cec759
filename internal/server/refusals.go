package server

import (
	"container/list"
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Refusals (429 Too Many Requests, 503 Service Unavailable) are what a
// flood produces, so they are not logged one line each: every refusal
// is counted (<namespace>_http_refused_total{route, code}), and at most
// one line is written per client (its limit key, see LimitKey) per
// interval, saying how many of its requests were refused since the
// previous line. Whatever is left over when a client stops is written by
// FlushRefusalLog (RefusalLogHook runs it from Run).

// Defaults of the refusal log.
const (
	DefaultRefusalLogEvery   = time.Minute
	DefaultRefusalLogClients = 10000
)

type refusalLog struct {
	every time.Duration
	max   int
	now   func() time.Time

	mu    sync.Mutex
	order *list.List // of *refusalEntry, most recent first
	byKey map[string]*list.Element
}

type refusalEntry struct {
	key    string
	lineAt time.Time // when the last line for this client was written
	since  int       // refusals not yet reported in a line
	// The last unreported refusal, for the line that reports it later.
	lastID, lastRoute string
	lastStatus        int
}

func newRefusalLog(every time.Duration, max int, now func() time.Time) *refusalLog {
	if every <= 0 {
		every = DefaultRefusalLogEvery
	}
	if max <= 0 {
		max = DefaultRefusalLogClients
	}
	if now == nil {
		now = time.Now
	}
	return &refusalLog{every: every, max: max, now: now, order: list.New(), byKey: map[string]*list.Element{}}
}

// pending is a line to write: client key, refusals it reports, and the
// request it is written for.
type pending struct {
	key, id, route string
	status, count  int
}

// note records one refusal of key and says whether a line is due now,
// and with what count; evicted holds lines of clients forgotten to make
// room.
func (l *refusalLog) note(key, id, route string, status int) (due bool, count int, evicted []pending) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.byKey[key]; ok {
		l.order.MoveToFront(el)
		e := el.Value.(*refusalEntry)
		if now.Sub(e.lineAt) < l.every {
			e.since++
			e.lastID, e.lastRoute, e.lastStatus = id, route, status
			return false, 0, nil
		}
		count = e.since + 1
		e.since, e.lineAt = 0, now
		return true, count, nil
	}
	for l.order.Len() >= l.max {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		e := oldest.Value.(*refusalEntry)
		delete(l.byKey, e.key)
		if e.since > 0 {
			evicted = append(evicted, pending{key: e.key, id: e.lastID, route: e.lastRoute, status: e.lastStatus, count: e.since})
		}
	}
	l.byKey[key] = l.order.PushFront(&refusalEntry{key: key, lineAt: now})
	return true, 1, evicted
}

// flush returns the unreported refusals of clients whose interval has
// passed and forgets those clients.
func (l *refusalLog) flush() []pending {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []pending
	for el := l.order.Back(); el != nil; {
		prev := el.Prev()
		e := el.Value.(*refusalEntry)
		if now.Sub(e.lineAt) >= l.every {
			if e.since > 0 {
				out = append(out, pending{key: e.key, id: e.lastID, route: e.lastRoute, status: e.lastStatus, count: e.since})
			}
			l.order.Remove(el)
			delete(l.byKey, e.key)
		}
		el = prev
	}
	return out
}

func (rt *Router) writeRefusalLine(log *slog.Logger, p pending) {
	log.Warn("requests refused", "client", p.key, "route", p.route, "status", p.status, "refused", p.count,
		"interval_s", rt.refusals.every.Seconds())
}

// refused counts a 429 or 503 answer and writes its line if one is due.
func (rt *Router) refused(r *http.Request, ri *reqInfo, status int) {
	rt.metrics.refuse(ri.route, status)
	key := "unknown"
	if k, ok := ri.limiter.Key(r); ok {
		key = k.String()
	} else if a, ok := ClientAddr(r, nil); ok {
		key = LimitKey(a).String()
	}
	due, count, evicted := rt.refusals.note(key, ri.id, ri.route, status)
	for _, p := range evicted {
		rt.writeRefusalLine(rt.log.With("request_id", p.id), p)
	}
	if due {
		rt.writeRefusalLine(ri.log, pending{key: key, route: ri.route, status: status, count: count})
	}
}

// FlushRefusalLog writes the refusals not yet reported of every client
// whose interval has passed (each line carries the request id of the
// last refused request it reports) and forgets those clients.
func (rt *Router) FlushRefusalLog() {
	for _, p := range rt.refusals.flush() {
		rt.writeRefusalLine(rt.log.With("request_id", p.id), p)
	}
}

// RefusalLogHook is a Run hook calling FlushRefusalLog once per interval.
func (rt *Router) RefusalLogHook() Hook {
	return Hook{Name: "refusal-log", Every: rt.refusals.every, Fn: func(context.Context, Trigger) error {
		rt.FlushRefusalLog()
		return nil
	}}
}
