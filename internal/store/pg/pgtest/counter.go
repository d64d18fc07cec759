package pgtest

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Counter counts what a store does on PostgreSQL, for benchmarks that
// report round trips and conflicts per operation: as pg.Options.Tracer
// it counts round trips (a statement, BEGIN and COMMIT included, or a
// pipelined batch of them), and as the handler of pg.Options.Logger
// (Logger) the transactions rerun after a serialization failure or a
// deadlock.
type Counter struct {
	trips, retries atomic.Int64
}

// RoundTrips is the number of statements and batches sent so far.
func (c *Counter) RoundTrips() int64 { return c.trips.Load() }

// Retries is the number of transactions rerun so far.
func (c *Counter) Retries() int64 { return c.retries.Load() }

// Logger is a logger counting the layer's retries (and dropping every
// other line).
func (c *Counter) Logger() *slog.Logger { return slog.New(retryHandler{c}) }

// TraceQueryStart implements pgx.QueryTracer.
func (c *Counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.trips.Add(1)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *Counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer: a batch is one round trip.
func (c *Counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.trips.Add(1)
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (c *Counter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements pgx.BatchTracer.
func (c *Counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

type retryHandler struct{ c *Counter }

func (retryHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h retryHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "retrying") {
		h.c.retries.Add(1)
	}
	return nil
}
func (h retryHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h retryHandler) WithGroup(string) slog.Handler      { return h }
