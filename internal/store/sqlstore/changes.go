package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/foyer-idp/foyer/internal/store"
)

const (
	// changesChannel is where migration 0019's triggers notify.
	changesChannel = "foyer_changes"
	// changesProbeEvery is how long the watcher waits for a notice before
	// it asks whether its connection still answers: a connection lost
	// without a word (a partition) must not silently end the notices.
	changesProbeEvery = 30 * time.Second
	// changesRetryAfter is the pause before listening again.
	changesRetryAfter = time.Second
)

// changeKinds maps the tables the triggers watch to what they change.
var changeKinds = map[string]store.ChangeKind{
	"tenants":        store.ChangedTenant,
	"applications":   store.ChangedApplications,
	"client_secrets": store.ChangedApplications,
	"signing_keys":   store.ChangedKeys,
}

// WatchChanges calls changed for every committed change, by any node or
// command, to a tenant, an application or its secrets, or a signing key,
// until ctx ends. On PostgreSQL it listens on a connection of its own;
// each time it starts listening it first reports ChangedEverything, since
// notices sent while it was not listening are lost. A lost connection is
// told to lost and listened again after a second. SQLite serves a single
// node, whose caches' short lifetimes bound a change made by a command
// beside it: WatchChanges answers at once.
func (s *Store) WatchChanges(ctx context.Context, changed func(store.Change), lost func(error)) {
	if s.listen == nil {
		return
	}
	for {
		err := s.listenForChanges(ctx, changed)
		if ctx.Err() != nil {
			return
		}
		lost(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(changesRetryAfter):
		}
	}
}

// listenForChanges listens on one connection until it fails or ctx ends.
func (s *Store) listenForChanges(ctx context.Context, changed func(store.Change)) error {
	conn, err := pgx.ConnectConfig(ctx, s.listen)
	if err != nil {
		return fmt.Errorf("listen for changes: %w", err)
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closing)
	}()
	// Tests share one database between schemas, and notices are
	// database-wide: only this store's schema counts.
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("listen for changes: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+changesChannel); err != nil {
		return fmt.Errorf("listen for changes: %w", err)
	}
	changed(store.Change{Kind: store.ChangedEverything})
	for {
		waiting, cancel := context.WithTimeout(ctx, changesProbeEvery)
		n, err := conn.WaitForNotification(waiting)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			if err := probe(ctx, conn); err != nil {
				return fmt.Errorf("listen for changes: %w", err)
			}
		case err != nil:
			return fmt.Errorf("listen for changes: %w", err)
		default:
			if c, ok := parseChange(n.Payload, schema); ok {
				changed(c)
			}
		}
	}
}

// probe asks a quiet connection whether it still answers.
func probe(ctx context.Context, conn *pgx.Conn) error {
	asking, cancel := context.WithTimeout(ctx, defaultConnectTimeout)
	defer cancel()
	return conn.Ping(asking)
}

// parseChange reads a trigger's "schema table tenant_id" payload.
func parseChange(payload, schema string) (store.Change, bool) {
	fields := strings.Fields(payload)
	if len(fields) != 3 || fields[0] != schema {
		return store.Change{}, false
	}
	kind, ok := changeKinds[fields[1]]
	if !ok {
		return store.Change{}, false
	}
	return store.Change{Kind: kind, TenantID: fields[2]}, true
}
