package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
)

// TestPurge: foyer purge --dry-run counts what the retention settings and
// expiry condemn and deletes nothing; foyer purge then deletes exactly
// that, and a recent event and a live revocation stay.
func TestPurge(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	tn := c.seedTenant(t, "acme")
	c.env["FOYER_AUDIT_RETENTION"] = "720h"
	st, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(c.dataDir, "foyer.db"))
	require.NoError(t, err)
	defer st.Close()
	now := time.Now().UTC()
	old := store.AuditEvent{ID: secret.NewID(), Time: now.Add(-60 * 24 * time.Hour), TenantID: tn.ID, Category: "UserManagement",
		Activity: "Add user", ActorType: "system", Result: "success"}
	require.NoError(t, st.AppendAudit(t.Context(), old))
	require.NoError(t, st.RevokeTokenID(t.Context(), tn.ID, "expired-jti", now.Add(-2*time.Hour), now.Add(-time.Hour)))
	require.NoError(t, st.RevokeTokenID(t.Context(), tn.ID, "live-jti", now, now.Add(time.Hour)))

	purge := func(args ...string) purgeResult {
		var res purgeResult
		require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, append([]string{"-o", "json", "purge"}, args...)...)), &res))
		return res
	}
	want := map[string]int64{"audit_events": 1, "token_revocations": 1}
	dry := purge("--dry-run")
	require.True(t, dry.DryRun)
	require.Equal(t, want, dry.Tables)
	require.Equal(t, want, purge("--dry-run").Tables, "the dry run deleted nothing")

	done := purge()
	require.False(t, done.DryRun)
	require.Equal(t, want, done.Tables)
	require.Empty(t, purge("--dry-run").Tables)
	revoked, err := st.TokenRevoked(t.Context(), tn.ID, "live-jti")
	require.NoError(t, err)
	require.True(t, revoked, "a revocation still needed stays")
	events, err := st.ListAudit(t.Context(), store.AuditFilter{TenantID: tn.ID})
	require.NoError(t, err)
	require.NotEmpty(t, events, "recent events stay")
	for _, e := range events {
		require.NotEqual(t, old.ID, e.ID)
	}
	require.Contains(t, c.mustRun(t, "purge", "--dry-run"), "WOULD DELETE")
}
