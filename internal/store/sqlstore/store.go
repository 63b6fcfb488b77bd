package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/foyer-idp/foyer/internal/store"
)

var _ store.Store = (*Store)(nil)

// rawQuerier is what *sql.DB and *sql.Tx have in common.
type rawQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// querier is how every method reaches the database, the same way inside
// and outside a transaction: a rawQuerier under the guard (see guarded).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) row
}

// rows and row are what *sql.Rows and *sql.Row offer the store's code.
type rows interface {
	rowScanner
	Next() bool
	Err() error
	Close() error
}

type row interface {
	Scan(dest ...any) error
}

// pools are the connection pools a Store owns. PostgreSQL uses one pool for
// both roles; SQLite funnels every write through a single connection so
// writers queue in Go instead of failing with SQLITE_BUSY.
type pools struct {
	writer *sql.DB
	reader *sql.DB
}

func (p pools) ping(ctx context.Context) error {
	if err := p.writer.PingContext(ctx); err != nil {
		return err
	}
	return p.reader.PingContext(ctx)
}

func (p pools) close() error {
	if p.reader == p.writer {
		return p.writer.Close()
	}
	return errors.Join(p.writer.Close(), p.reader.Close())
}

// Store is the SQL back end. Outside a transaction writes go to the writer
// pool and reads to the reader pool; inside InTx both run on the *sql.Tx.
type Store struct {
	dialect dialect
	pools   pools
	write   querier
	read    querier
	tx      *sql.Tx // non-nil inside InTx
	guard   *guard
	caches  []*stmtCache
	// writeCache is the writer pool's statement cache, which transactions
	// share (see txQuerier); nil where the driver caches statements itself.
	writeCache *stmtCache
	// listen is how WatchChanges connects; nil on SQLite.
	listen *pgx.ConnConfig
}

func newStore(d dialect, p pools) *Store {
	g := newGuard()
	s := &Store{dialect: d, pools: p, guard: g, write: guarded{p.writer, g}, read: guarded{p.reader, g}}
	if d.cacheStatements {
		w, r := newStmtCache(p.writer), newStmtCache(p.reader)
		s.write, s.read, s.caches, s.writeCache = guarded{w, g}, guarded{r, g}, []*stmtCache{w, r}, w
	}
	return s
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var err error
	if s.tx != nil {
		_, err = s.tx.ExecContext(ctx, "SELECT 1")
	} else {
		err = s.pools.ping(ctx)
	}
	if err != nil {
		return fmt.Errorf("ping %s: %w", s.dialect.name, s.dbError(err))
	}
	return nil
}

// Close releases the connections. On a transaction's Store it does nothing:
// the outer Store owns the pools.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	for _, c := range s.caches {
		c.close()
	}
	return s.pools.close()
}

// InTx runs fn in one transaction on the writer pool. Nested calls reuse the
// outer transaction. A panic in fn rolls back and is re-raised.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	return s.atomically(ctx, func(tx *Store) error { return fn(tx) })
}

// atomically is InTx for the package's own multi-statement writes.
func (s *Store) atomically(ctx context.Context, fn func(tx *Store) error) (err error) {
	if s.tx != nil {
		return fn(s)
	}
	// The guard bounds the whole transaction: its end rolls it back.
	txCtx, done := s.guard.op(ctx)
	defer done()
	tx, err := s.pools.writer.BeginTx(txCtx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", s.dbError(err))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	var raw rawQuerier = tx
	var missed []string
	if s.writeCache != nil {
		raw = txQuerier{tx: tx, cache: s.writeCache, missed: &missed}
	}
	q := guarded{raw, s.guard}
	if err := fn(&Store{dialect: s.dialect, pools: s.pools, guard: s.guard, write: q, read: q, tx: tx, writeCache: s.writeCache}); err != nil {
		_ = tx.Rollback()
		s.prepareMissed(ctx, missed)
		return err
	}
	err = tx.Commit()
	s.prepareMissed(ctx, missed)
	if err != nil {
		return fmt.Errorf("commit transaction: %w", s.dbError(err))
	}
	return nil
}

// prepareMissed caches the statements a transaction ran uncached, once it
// has given its connection back (see txQuerier).
func (s *Store) prepareMissed(ctx context.Context, missed []string) {
	if s.writeCache != nil && len(missed) > 0 {
		s.writeCache.prepare(ctx, missed)
	}
}
