package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/foyer-idp/foyer/internal/store"
)

// violation is the kind of constraint a driver error reports, as far as the
// store contract cares.
type violation int

const (
	noViolation violation = iota
	uniqueViolation
	foreignKeyViolation
)

// dbError maps an error from database/sql or the driver to the store
// sentinels. The original stays in the chain for operators; callers test only
// the sentinel.
func (s *Store) dbError(err error) error {
	if isSentinel(err) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	switch s.dialect.violation(err) {
	case uniqueViolation:
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	case foreignKeyViolation:
		// The row refers to a parent (tenant, user, group, app) that does
		// not exist in this tenant.
		return fmt.Errorf("%w: referenced row missing: %w", store.ErrNotFound, err)
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

func isSentinel(err error) bool {
	for _, sentinel := range []error{store.ErrNotFound, store.ErrConflict, store.ErrAlreadyUsed, store.ErrExpired, store.ErrMismatch, store.ErrUnavailable} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	return false
}

// execOne runs a statement that must touch at least one row. Touching none
// answers sql.ErrNoRows, which dbError turns into store.ErrNotFound.
func execOne(ctx context.Context, q querier, query string, args ...any) error {
	n, err := execCount(ctx, q, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// execCount runs a statement and answers how many rows it touched.
func execCount(ctx context.Context, q querier, query string, args ...any) (int64, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
