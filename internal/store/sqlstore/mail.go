package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// Outbound mail. Error messages name ids only: never addresses or subjects.

const mailColumns = `tenant_id, id, kind, to_addrs, cc_addrs, subject, sealed_body, created_at, attempts,
	next_attempt_at, lease_until, sent_at, last_error, priority`

func scanMail(r rowScanner) (store.OutboundMail, error) {
	var m store.OutboundMail
	var next *time.Time
	err := r.Scan(&m.TenantID, &m.ID, &m.Kind, listDest{&m.To}, listDest{&m.Cc}, &m.Subject,
		bytesDest{&m.SealedBody}, timeDest{&m.CreatedAt}, &m.Attempts, nullTimeDest{&next},
		nullTimeDest{&m.LeaseUntil}, nullTimeDest{&m.SentAt}, &m.LastError, &m.Priority)
	if next != nil {
		m.NextAttemptAt = *next
	}
	return m, err
}

// optionalTime is NULL for the zero time.
func (s *Store) optionalTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.timeArg(t)
}

// EnqueueMail stores m.
func (s *Store) EnqueueMail(ctx context.Context, m store.OutboundMail) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO outbound_mail (`+mailColumns+`)
		VALUES (`+placeholders(14)+`)`,
		m.TenantID, m.ID, m.Kind, listArg(m.To), listArg(m.Cc), m.Subject, m.SealedBody,
		s.timeArg(m.CreatedAt), m.Attempts, s.optionalTime(m.NextAttemptAt), s.nullTimeArg(m.LeaseUntil),
		s.nullTimeArg(m.SentAt), m.LastError, int(m.Priority))
	if err != nil {
		return fmt.Errorf("enqueue mail %q: %w", m.ID, s.dbError(err))
	}
	return nil
}

// ClaimDueMail leases due messages with one statement. The materialised
// CTE picks the candidates once (PostgreSQL locks them and skips rows
// another claimer holds); the UPDATE repeats the conditions so that a row
// another claimer leased meanwhile is re-checked after its lock and left
// alone.
func (s *Store) ClaimDueMail(ctx context.Context, now, leaseUntil time.Time, limit int, upTo store.MailPriority) ([]store.OutboundMail, error) {
	if limit <= 0 {
		return []store.OutboundMail{}, nil
	}
	const due = `sent_at IS NULL AND next_attempt_at IS NOT NULL AND next_attempt_at <= $1
		AND (lease_until IS NULL OR lease_until <= $1) AND priority <= $4`
	query := `WITH picked AS MATERIALIZED (
			SELECT tenant_id, id FROM outbound_mail WHERE ` + due + `
			ORDER BY priority, next_attempt_at, id LIMIT $3` + s.dialect.skipLocked + `)
		UPDATE outbound_mail SET lease_until = $2
		WHERE ` + due + ` AND (tenant_id, id) IN (SELECT tenant_id, id FROM picked)
		RETURNING ` + mailColumns
	claimed, err := queryAll(ctx, s.write, scanMail, query, s.timeArg(now), s.timeArg(leaseUntil), limit, int(upTo))
	if err != nil {
		return nil, fmt.Errorf("claim due mail: %w", s.dbError(err))
	}
	slices.SortFunc(claimed, func(a, b store.OutboundMail) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	return claimed, nil
}

// MailBacklog is one aggregate over the unsent messages.
func (s *Store) MailBacklog(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM outbound_mail
		WHERE sent_at IS NULL AND next_attempt_at IS NOT NULL`).Scan(&n, nullTimeDest{&oldest})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("mail backlog: %w", s.dbError(err))
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, *oldest, nil
}

// MarkMailSent records delivery.
func (s *Store) MarkMailSent(ctx context.Context, tenantID, id string, at time.Time) error {
	err := execOne(ctx, s.write, `UPDATE outbound_mail SET sent_at = $3, lease_until = NULL
		WHERE tenant_id = $1 AND id = $2 AND sent_at IS NULL`, tenantID, id, s.timeArg(at))
	if err != nil {
		return fmt.Errorf("mark mail %q sent: %w", id, s.dbError(err))
	}
	return nil
}

// MarkMailFailed records a failed attempt.
func (s *Store) MarkMailFailed(ctx context.Context, tenantID, id string, nextAttemptAt time.Time, lastError string) error {
	err := execOne(ctx, s.write, `UPDATE outbound_mail
		SET attempts = attempts + 1, lease_until = NULL, next_attempt_at = $3, last_error = $4
		WHERE tenant_id = $1 AND id = $2 AND sent_at IS NULL`,
		tenantID, id, s.optionalTime(nextAttemptAt), lastError)
	if err != nil {
		return fmt.Errorf("mark mail %q failed: %w", id, s.dbError(err))
	}
	return nil
}

// ListMail answers messages newest first.
func (s *Store) ListMail(ctx context.Context, f store.MailFilter) ([]store.OutboundMail, error) {
	var c conditions
	if f.TenantID != "" {
		c.add("tenant_id = ?", f.TenantID)
	}
	query := `SELECT ` + mailColumns + ` FROM outbound_mail WHERE ` + c.where() +
		` ORDER BY created_at DESC, id DESC` + c.limit(f.Limit)
	list, err := queryAll(ctx, s.read, scanMail, query, c.args...)
	if err != nil {
		return nil, fmt.Errorf("list mail: %w", s.dbError(err))
	}
	return list, nil
}
