package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds the cache. Foyer's SQL texts are constants
// or built from a fixed set of clauses, so far fewer exist; the bound only
// guards against a future query built from unbounded input.
const maxCachedStatements = 512

// stmtCache runs queries through statements prepared once per text. For
// SQLite, parsing and planning a statement costs more than running a
// point lookup, so reusing them halves the cost of hot reads (client
// authentication, key loading). PostgreSQL's driver caches statements per
// connection itself and does not need this.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
	// prepared counts the statements prepared on the pool, for tests.
	prepared int
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// stmt answers the prepared statement for query, or nil when it cannot
// be cached; the caller then runs the query directly.
func (c *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.RLock()
	full := len(c.m) >= maxCachedStatements
	c.mu.RUnlock()
	if full {
		return nil
	}
	// Prepared without holding the lock: preparing waits for a
	// connection, which a transaction may hold while it looks up
	// statements here. A statement outlives the caller's context and
	// re-prepares itself on each connection it meets.
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil // let the direct call report the error
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.m[query]; ok {
		_ = st.Close() // another caller prepared it meanwhile
		return had
	}
	c.m[query] = st
	c.prepared++
	return st
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.db.ExecContext(ctx, query, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, query, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, query, args...)
}

// cached answers the statement prepared for query, or nil.
func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// prepare caches the statements of queries not cached yet.
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		c.stmt(ctx, q)
	}
}

// txQuerier runs a transaction's statements through the cache of the
// writer pool the transaction came from. database/sql's transactions
// bypass a pool's prepared statements, so without it every statement
// inside a transaction is parsed and planned again; Tx.StmtContext reuses
// the statement already prepared on the transaction's connection and
// prepares it there only when it is not. A statement not cached yet runs
// directly and is remembered in missed: it cannot be prepared on the pool
// now, since SQLite's writer pool has one connection and the transaction
// holds it. atomically prepares the missed ones once the transaction has
// ended.
type txQuerier struct {
	tx     *sql.Tx
	cache  *stmtCache
	missed *[]string
}

func (q txQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := q.cache.cached(query); st != nil {
		return q.tx.StmtContext(ctx, st)
	}
	*q.missed = append(*q.missed, query)
	return nil
}

func (q txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}

// close releases the prepared statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}
