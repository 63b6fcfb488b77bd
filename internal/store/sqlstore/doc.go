// Package sqlstore implements the store contract once, in SQL, over
// database/sql, with two back ends: SQLite (modernc.org/sqlite, the embedded
// default) and PostgreSQL (pgx/v5). It owns the schema, its embedded
// migrations and the mapping of driver errors to the store sentinels; it holds
// no domain rules, which live with the callers.
package sqlstore
