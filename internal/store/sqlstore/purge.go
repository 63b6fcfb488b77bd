package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// expiringTables are the tables whose rows end at expires_at, each with an
// index on it; rows that others' foreign keys cascade from come after
// those others, so a dry run counts what a purge deletes.
func expiringTables() []string {
	return []string{"federation_logins", "redemptions", "passcodes", "single_use_tokens", "auth_requests", "sessions",
		"refresh_tokens", "access_tokens", "token_revocations", "counters", "device_authorizations"}
}

// purgeRule is one table's condition over $1, the time before which its
// rows go.
type purgeRule struct {
	table, where string
	before       time.Time
}

func purgeRules(r store.Retention) []purgeRule {
	var rules []purgeRule
	if !r.ExpiredBefore.IsZero() {
		for _, table := range expiringTables() {
			before := r.ExpiredBefore
			if table == "single_use_tokens" && !r.SingleUseBefore.IsZero() {
				before = r.SingleUseBefore
			}
			rules = append(rules, purgeRule{table, `expires_at < $1`, before})
		}
	}
	if !r.MailBefore.IsZero() {
		// Never mail still to be sent: only delivered or given up.
		rules = append(rules, purgeRule{"outbound_mail",
			`created_at < $1 AND (sent_at IS NOT NULL OR next_attempt_at IS NULL)`, r.MailBefore})
	}
	if !r.AuditBefore.IsZero() {
		rules = append(rules, purgeRule{"audit_events", `occurred_at < $1`, r.AuditBefore})
	}
	if !r.SignInBefore.IsZero() {
		rules = append(rules, purgeRule{"sign_ins", `created_at < $1`, r.SignInBefore})
	}
	return rules
}

// Purge deletes batch by batch: each DELETE picks at most batch rows by
// the dialect's row address, so it is a short statement of its own, and a
// table is done when a batch comes back short.
func (s *Store) Purge(ctx context.Context, r store.Retention, batch int, dryRun bool) (map[string]int64, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("purge: batch must be positive, got %d", batch)
	}
	gone := map[string]int64{}
	for _, rule := range purgeRules(r) {
		n, err := s.purgeTable(ctx, rule, batch, dryRun)
		if n > 0 {
			gone[rule.table] = n
		}
		if err != nil {
			return gone, fmt.Errorf("purge %s: %w", rule.table, s.dbError(err))
		}
	}
	return gone, nil
}

func (s *Store) purgeTable(ctx context.Context, rule purgeRule, batch int, dryRun bool) (int64, error) {
	before := s.timeArg(rule.before)
	if dryRun {
		var n int64
		err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+rule.table+` WHERE `+rule.where, before).Scan(&n)
		return n, err
	}
	ref := s.dialect.rowAddress
	query := `DELETE FROM ` + rule.table + ` WHERE ` + ref + ` IN (SELECT ` + ref + ` FROM ` + rule.table +
		` WHERE ` + rule.where + ` LIMIT $2)`
	var total int64
	for {
		n, err := execCount(ctx, s.write, query, before, batch)
		total += n
		if err != nil || n < int64(batch) {
			return total, err
		}
	}
}
