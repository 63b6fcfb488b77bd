package sqlstore

import "time"

// dialect is what differs between the back ends. The SQL text of queries is
// shared: both accept $n placeholders, RETURNING and partial indexes.
type dialect struct {
	// name is also the folder of the dialect's migrations.
	name string
	// timeArg converts a time into what the dialect stores.
	timeArg func(time.Time) any
	// violation classifies a driver error.
	violation func(error) violation
	// migrationLock is run first in the migration transaction to keep
	// concurrent migrators apart; empty when the transaction itself does.
	migrationLock string
	// migrationSettings run first in the migration transaction: a schema
	// change may take longer than the timeouts set for requests.
	migrationSettings []string
	// migrationsTable creates schema_migrations if it is missing.
	migrationsTable string
	// cacheStatements prepares each query text once per pool; see
	// stmtCache.
	cacheStatements bool
	// skipLocked ends a SELECT … LIMIT that picks rows to claim: claimers
	// pass over rows another holds. Empty where writers are serialised.
	skipLocked string
	// lockRow ends a SELECT of one row that the transaction holds until it
	// ends; empty where writers are serialised. It must not conflict with
	// the key-share locks foreign keys take, so inserts that reference the
	// row go on.
	lockRow string
	// rowAddress names a row's physical address (rowid, ctid), by which
	// a DELETE picks a limited batch.
	rowAddress string
	// modifyingCTE: a WITH clause may hold an UPDATE whose RETURNING feeds
	// an INSERT, so a rotation is one statement (PostgreSQL; SQLite's
	// WITH takes only a SELECT).
	modifyingCTE bool
}
