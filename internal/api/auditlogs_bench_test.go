package api_test

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// benchAuditRows is how many audit events BenchmarkDirectoryAudits reads
// from: the million.
const benchAuditRows = 1_000_000

// seedAuditSQL inserts benchAuditRows events in one statement, one a
// millisecond from a fixed base, nine in ten in the caller's tenant ($1),
// the rest in another ($2), with 5,000 distinct targets, 50 actors, one
// failure in a hundred and one group event in seven.
var seedAuditSQL = map[string]string{
	"SQLite": `INSERT INTO audit_events (id, occurred_at, tenant_id, category, activity, actor_type, actor_id,
		actor_name, target_type, target_id, target_name, result, reason, client_ip, user_agent, correlation_id, modified_properties)
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3)
		SELECT printf('bench-%08d', i), $4 + i * 1000, CASE WHEN i % 10 = 0 THEN $2 ELSE $1 END,
			CASE WHEN i % 7 = 0 THEN 'GroupManagement' ELSE 'UserManagement' END, 'Add user', 'user', 'admin-' || (i % 50),
			'admin@contoso.example', 'User', 'target-' || (i % 5000), 'sam@contoso.example',
			CASE WHEN i % 100 = 1 THEN 'failure' ELSE 'success' END, '', '203.0.113.7', 'bench', 'corr-' || i, ''
		FROM n`,
	"Postgres": `INSERT INTO audit_events (id, occurred_at, tenant_id, category, activity, actor_type, actor_id,
		actor_name, target_type, target_id, target_name, result, reason, client_ip, user_agent, correlation_id, modified_properties)
		SELECT 'bench-' || lpad(i::text, 8, '0'), to_timestamp($4::bigint / 1000000.0) + i * interval '1 millisecond',
			CASE WHEN i % 10 = 0 THEN $2::text ELSE $1::text END,
			CASE WHEN i % 7 = 0 THEN 'GroupManagement' ELSE 'UserManagement' END, 'Add user', 'user', 'admin-' || (i % 50),
			'admin@contoso.example', 'User', 'target-' || (i % 5000), 'sam@contoso.example',
			CASE WHEN i % 100 = 1 THEN 'failure' ELSE 'success' END, '', '203.0.113.7', 'bench', 'corr-' || i, ''
		FROM generate_series(1, $3::int) AS i`,
}

// driverOf names the database/sql driver sqlstore registered for a back
// end, so the seed needs no driver import of its own.
var driverOf = map[string]string{"SQLite": "sqlite", "Postgres": "pgx"}

// BenchmarkDirectoryAudits: a page of 50 from a million audit events,
// through the API handler, unfiltered and with the filters scripts use
// most. Run with -count=5 and take the median.
func BenchmarkDirectoryAudits(b *testing.B) {
	for _, be := range sqltest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			be.Require(b)
			var db string
			captured := be
			captured.NewDB = func(t testing.TB) string { db = be.NewDB(t); return db }
			f := openFixture(b, captured)
			raw, err := sql.Open(driverOf[be.Name], db)
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
			if _, err := raw.ExecContext(b.Context(), seedAuditSQL[be.Name], f.a.ID, f.b.ID, benchAuditRows, base); err != nil {
				b.Fatalf("seed: %v", err)
			}
			if _, err := raw.ExecContext(b.Context(), `ANALYZE`); err != nil {
				b.Fatalf("analyze: %v", err)
			}
			p := api.Principal{TenantID: f.a.ID, ClientID: "bench", Roles: auditReader}
			h := injectPrincipal(&p, f.handler)
			mid := time.UnixMicro(base).Add(benchAuditRows / 2 * time.Millisecond).UTC().Format(time.RFC3339)
			for _, q := range []struct{ name, query string }{
				{"top50", "$top=50"},
				{"target", "$top=50&$filter=" + url.QueryEscape("targetResources/any(t: t/id eq 'target-42')")},
				{"user", "$top=50&$filter=" + url.QueryEscape("initiatedBy/user/id eq 'admin-7'")},
				{"before", "$top=50&$filter=" + url.QueryEscape("activityDateTime le "+mid)},
				{"failures", "$top=50&$filter=" + url.QueryEscape("result eq 'failure'")},
				{"rareCategory", "$top=50&$filter=" + url.QueryEscape("category eq 'GroupManagement'")},
			} {
				b.Run(q.name, func(b *testing.B) {
					target := "/v1.0/auditLogs/directoryAudits?" + q.query
					get := func() {
						w := httptest.NewRecorder()
						h.ServeHTTP(w, httptest.NewRequestWithContext(b.Context(), http.MethodGet, target, nil))
						if w.Code != http.StatusOK {
							b.Fatalf("%s answered %d: %s", target, w.Code, w.Body)
						}
					}
					get()
					b.ReportAllocs()
					for b.Loop() {
						get()
					}
				})
			}
		})
	}
}
