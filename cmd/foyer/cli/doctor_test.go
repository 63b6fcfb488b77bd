package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/mail/mailtest"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// doctorLines answers doctor's output as check name → its line.
func doctorLines(t *testing.T, out string) map[string]string {
	t.Helper()
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		for _, check := range []string{"config", "external URL", "master key", "database", "schema", "signing keys", "smtp"} {
			if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(strings.Join(f[1:], " "), check) {
				lines[check] = l
			}
		}
	}
	return lines
}

func TestDoctorHealthy(t *testing.T) {
	c := newCLI(t)
	c.seedTenant(t, "woodgrove")
	smtp := mailtest.FreeAddr(t)
	srv := mailtest.StartSMTP(t, smtp, nil)
	c.env["FOYER_SMTP_URL"] = "smtp+insecure://" + smtp + "?from=foyer@id.example"

	out := c.mustRun(t, "doctor")
	lines := doctorLines(t, out)
	require.Len(t, lines, 7, out)
	for check, l := range lines {
		require.True(t, strings.HasPrefix(l, "ok "), "%s: %s", check, l)
	}
	require.Contains(t, lines["signing keys"], "1 tenant(s), every key opens")
	require.Contains(t, lines["smtp"], "connected and greeted, sending as foyer@id.example")
	require.Empty(t, srv.Messages(), "doctor sends no mail")

	var findings []finding
	require.NoError(t, json.Unmarshal([]byte(c.mustRun(t, "doctor", "-o", "json")), &findings))
	require.Len(t, findings, 7)
}

// TestDoctorProblems breaks one thing at a time and expects that check's
// line to say PROBLEM and what to fix, and exit code 1.
func TestDoctorProblems(t *testing.T) {
	otherKey := secret.GenerateMasterKey().String()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, c *cli)
		check string
		want  []string
	}{
		{
			name:  "invalid setting",
			setup: func(t *testing.T, c *cli) { c.env["FOYER_LOG_LEVEL"] = "loud" },
			check: "config", want: []string{"log.level", "fix: correct the settings named"},
		},
		{
			name:  "no database yet",
			setup: func(t *testing.T, c *cli) {},
			check: "database", want: []string{"no database file yet", "fix: run foyer migrate"},
		},
		{
			name: "schema not migrated",
			setup: func(t *testing.T, c *cli) {
				st, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(c.dataDir, "foyer.db"))
				require.NoError(t, err)
				require.NoError(t, st.Close())
			},
			check: "schema", want: []string{"migration(s) pending, 0001_", "fix: run foyer migrate"},
		},
		{
			name: "database unreachable",
			setup: func(t *testing.T, c *cli) {
				c.env["FOYER_DATABASE"] = "postgres://foyer:pg-secret-pw@127.0.0.1:1/foyer?sslmode=disable"
			},
			check: "database", want: []string{"postgres 127.0.0.1:1/foyer", "fix: check FOYER_DATABASE"},
		},
		{
			name:  "master key malformed",
			setup: func(t *testing.T, c *cli) { c.seedTenant(t, "woodgrove"); c.env["FOYER_MASTER_KEY"] = "c2hvcnQ=" },
			check: "master key", want: []string{"not 32 bytes", "head -c 32 /dev/urandom | base64"},
		},
		{
			name:  "another master key",
			setup: func(t *testing.T, c *cli) { c.seedTenant(t, "woodgrove"); c.env["FOYER_MASTER_KEY"] = otherKey },
			check: "signing keys", want: []string{"cannot open the signing keys of woodgrove", "fix: use the master key this database was created with"},
		},
		{
			name: "master key file readable by others",
			setup: func(t *testing.T, c *cli) {
				c.seedTenant(t, "woodgrove")
				require.NoError(t, os.Chmod(filepath.Join(c.dataDir, "master.key"), 0o644))
			},
			check: "master key", want: []string{"readable by others", "fix: chmod 600"},
		},
		{
			name: "production without its key file",
			setup: func(t *testing.T, c *cli) {
				c.env["FOYER_ENV"] = "production"
				c.env["FOYER_MASTER_KEY_FILE"] = filepath.Join(c.dataDir, "missing.key")
				c.env["FOYER_EXTERNAL_URL"] = "https://id.example.com"
			},
			check: "master key", want: []string{"missing.key does not exist", "production never creates one"},
		},
		{
			name: "plain http in production",
			setup: func(t *testing.T, c *cli) {
				c.env["FOYER_ENV"] = "production"
				c.env["FOYER_MASTER_KEY"] = otherKey
				c.env["FOYER_EXTERNAL_URL"] = "http://id.example.com"
			},
			check: "external URL", want: []string{"plain http in production", "fix: terminate TLS"},
		},
		{
			name: "no SMTP in production",
			setup: func(t *testing.T, c *cli) {
				c.env["FOYER_ENV"] = "production"
				c.env["FOYER_MASTER_KEY"] = otherKey
				c.env["FOYER_EXTERNAL_URL"] = "https://id.example.com"
			},
			check: "smtp", want: []string{"never delivered", "fix: set FOYER_SMTP_URL"},
		},
		{
			name: "SMTP server down",
			setup: func(t *testing.T, c *cli) {
				c.env["FOYER_SMTP_URL"] = "smtp+insecure://mailer:smtp-secret-pw@" + mailtest.FreeAddr(t) + "?from=foyer@id.example"
			},
			check: "smtp", want: []string{"smtp 127.0.0.1:", "fix: check the SMTP host and port"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t)
			tc.setup(t, c)
			r := c.run(t, "doctor")
			require.Equal(t, exitError, r.code, r.stdout)
			require.Contains(t, r.stderr, "doctor found")
			line := doctorLines(t, r.stdout)[tc.check]
			require.True(t, strings.HasPrefix(line, "PROBLEM "), "the %s line is not a problem:\n%s", tc.check, r.stdout)
			for _, w := range tc.want {
				require.Contains(t, line, w)
			}
			for _, secretText := range []string{"pg-secret-pw", "smtp-secret-pw", otherKey} {
				require.NotContains(t, r.stdout+r.stderr, secretText, "doctor printed a secret")
			}
		})
	}
}

func TestDoctorPostgres(t *testing.T) {
	c := newCLI(t)
	c.env["FOYER_DATABASE"] = sqltest.PostgresSchema(t)
	r := c.run(t, "doctor")
	require.Equal(t, exitError, r.code)
	lines := doctorLines(t, r.stdout)
	require.Contains(t, lines["database"], "ok ")
	require.Contains(t, lines["schema"], "PROBLEM ")
	require.Contains(t, lines["signing keys"], "skipped ")

	c.mustRun(t, "tenants", "create", "--slug", "woodgrove", "--name", "WoodGrove")
	lines = doctorLines(t, c.mustRun(t, "doctor"))
	require.Contains(t, lines["schema"], "ok ")
	require.Contains(t, lines["signing keys"], "1 tenant(s), every key opens")
}
