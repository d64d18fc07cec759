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
// it counts statements (BEGIN and COMMIT included), and as the handler
// of pg.Options.Logger (Logger) the transactions rerun after a
// serialization failure or a deadlock.
type Counter struct {
	statements, retries atomic.Int64
}

// Statements is the number of statements run so far.
func (c *Counter) Statements() int64 { return c.statements.Load() }

// Retries is the number of transactions rerun so far.
func (c *Counter) Retries() int64 { return c.retries.Load() }

// Logger is a logger counting the layer's retries (and dropping every
// other line).
func (c *Counter) Logger() *slog.Logger { return slog.New(retryHandler{c}) }

// TraceQueryStart implements pgx.QueryTracer.
func (c *Counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.statements.Add(1)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *Counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

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
