package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/foyer-idp/foyer/internal/store"
)

// A database that hangs rather than refuses (a frozen server, a network
// partition) would hold every request, and every pooled connection, until
// it came back. The guard bounds that: each operation gets at most a
// timeout, and while the watchdog (Watch) finds the database not
// answering, operations fail at once and those in flight are cancelled,
// so callers answer 503 in milliseconds instead of queueing.

// ErrStalled is what an operation meets while the database is not
// answering; it wraps store.ErrUnavailable.
var ErrStalled = errors.New("the database is not answering")

// stalledContext is handed to operations while the database is stalled:
// database/sql gives up on a done context before it asks for a connection.
var stalledContext = func() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(ErrStalled)
	return ctx
}()

// guard is shared by a Store and the Stores of its transactions.
type guard struct {
	// timeout bounds one operation (a statement, or a transaction from
	// begin to commit); 0 is none.
	timeout atomic.Int64
	// epoch is cancelled when the watchdog finds the database stalled,
	// which cancels every operation begun under it; nil while stalled.
	epoch atomic.Pointer[epoch]
	// slow is set while the last ping took longer than Watch's slowAfter.
	slow atomic.Bool
	// watched is set once Watch runs: until then an operation without a
	// timeout needs no context of its own.
	watched atomic.Bool
	// tracer, once set (SetTracer), makes a client span of every
	// statement.
	tracer atomic.Pointer[traced]
}

// traced is what a statement's span needs.
type traced struct {
	tracer trace.Tracer
	system attribute.KeyValue
}

type epoch struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

func newGuard() *guard {
	g := &guard{}
	g.epoch.Store(newEpoch())
	return g
}

func newEpoch() *epoch {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &epoch{ctx: ctx, cancel: cancel}
}

// op answers the context one operation runs under, and the function that
// ends it.
func (g *guard) op(ctx context.Context) (context.Context, context.CancelFunc) {
	e := g.epoch.Load()
	if e == nil {
		return stalledContext, func() {}
	}
	if !g.bounded() {
		return ctx, func() {}
	}
	var cancel context.CancelFunc
	if timeout := time.Duration(g.timeout.Load()); timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	stop := context.AfterFunc(e.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// stall cancels what runs and makes new operations fail at once.
func (g *guard) stall() {
	if e := g.epoch.Swap(nil); e != nil {
		e.cancel(ErrStalled)
	}
}

// recover lets operations run again.
func (g *guard) recover() { g.epoch.CompareAndSwap(nil, newEpoch()) }

func (g *guard) stalled() bool { return g.epoch.Load() == nil }

// bounded reports whether operations need a context of their own: a
// timeout is set, or the watchdog may cancel them.
func (g *guard) bounded() bool { return g.timeout.Load() > 0 || g.watched.Load() }

// statement begins one statement: its context under the guard and, with a
// tracer, a span named by the statement's verb carrying its text (never
// its arguments). end closes both, recording err on the span; it is nil
// when there is nothing to close (no timeout, no watchdog, no tracer), so
// the statement costs nothing extra.
func (g *guard) statement(ctx context.Context, query string) (context.Context, func(err error)) {
	if g.tracer.Load() == nil && !g.bounded() && !g.stalled() {
		return ctx, nil
	}
	var span trace.Span
	if t := g.tracer.Load(); t != nil {
		verb, _, _ := strings.Cut(strings.TrimSpace(query), " ")
		ctx, span = t.tracer.Start(ctx, "db "+strings.ToUpper(verb), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(t.system, attribute.String("db.query.text", query)))
	}
	ctx, done := g.op(ctx)
	return ctx, func(err error) {
		done()
		if span == nil {
			return
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			span.RecordError(err)
			span.SetStatus(codes.Error, "")
		}
		span.End()
	}
}

// guarded runs a raw querier's statements under the guard. A statement
// ends when its result has been read: at once for Exec, when the rows are
// closed for Query, after Scan for QueryRow.
type guarded struct {
	q rawQuerier
	g *guard
}

func (w guarded) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, end := w.g.statement(ctx, query)
	res, err := w.q.ExecContext(ctx, query, args...)
	if end != nil {
		end(err)
	}
	return res, err
}

func (w guarded) QueryContext(ctx context.Context, query string, args ...any) (rows, error) {
	ctx, end := w.g.statement(ctx, query)
	r, err := w.q.QueryContext(ctx, query, args...)
	switch {
	case end == nil && err == nil:
		return r, nil
	case end == nil:
		return nil, err
	case err != nil:
		end(err)
		return nil, err
	}
	return guardedRows{Rows: r, end: end}, nil
}

func (w guarded) QueryRowContext(ctx context.Context, query string, args ...any) row {
	ctx, end := w.g.statement(ctx, query)
	r := w.q.QueryRowContext(ctx, query, args...)
	if end == nil {
		return r
	}
	return guardedRow{row: r, end: end}
}

type guardedRows struct {
	*sql.Rows
	end func(error)
}

func (r guardedRows) Close() error {
	err := r.Rows.Close()
	r.end(cmp.Or(r.Rows.Err(), err))
	return err
}

type guardedRow struct {
	row *sql.Row
	end func(error)
}

func (r guardedRow) Scan(dest ...any) (err error) {
	defer func() { r.end(err) }()
	return r.row.Scan(dest...)
}

// SetTracer makes a client span of every later statement of s and its
// transactions, as a child of the span in the statement's context.
func (s *Store) SetTracer(t trace.Tracer) {
	system := map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}[s.dialect.name]
	s.guard.tracer.Store(&traced{tracer: t, system: attribute.String("db.system.name", system)})
}

// SetTimeout bounds every later operation of s and its transactions (a
// statement, or a whole transaction) to d; 0 lifts the bound.
func (s *Store) SetTimeout(d time.Duration) { s.guard.timeout.Store(int64(d)) }

// Watch pings the database every 'every' until ctx ends. A ping not
// answered within timeout, or failing, marks the database stalled: every
// operation fails at once with ErrStalled (store.ErrUnavailable) and
// those in flight are cancelled, until a ping succeeds again. A ping
// answered but slower than slowAfter marks it slow (Health).
func (s *Store) Watch(ctx context.Context, every, timeout, slowAfter time.Duration) {
	s.guard.watched.Store(true)
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		s.checkHealth(ctx, timeout, slowAfter)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (s *Store) checkHealth(ctx context.Context, timeout, slowAfter time.Duration) {
	pingCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	began := time.Now()
	err := s.pools.ping(pingCtx)
	switch {
	case ctx.Err() != nil:
		return // shutting down: not the database's fault
	case err != nil:
		s.guard.stall()
	default:
		s.guard.slow.Store(time.Since(began) > slowAfter)
		s.guard.recover()
	}
}

// Health says how the database answered the watchdog's last ping: nil
// when in time; ErrStalled (wrapping store.ErrUnavailable) when it did not
// answer; ErrSlow when it answered late.
func (s *Store) Health() error {
	switch {
	case s.guard.stalled():
		return errStalled
	case s.guard.slow.Load():
		return ErrSlow
	}
	return nil
}

// ErrSlow is Health's answer for a database that answers, late.
var ErrSlow = errors.New("the database answers slowly")

var errStalled = fmt.Errorf("%w: %w", store.ErrUnavailable, ErrStalled)
