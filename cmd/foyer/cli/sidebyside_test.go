package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sideBySide runs commands of one tenant through a running serve --dev's
// admin API (remote, as the dev seed's demo-app) and on its database
// (local), for the tests that compare the two forms of a command.
type sideBySide struct {
	s             *devServer
	remote, local *cli
}

func newSideBySide(t *testing.T) sideBySide {
	t.Helper()
	s := startDevServer(t)
	return sideBySide{s: s, remote: remoteCLI(t, s.base), local: s.cli}
}

// remoteTenant is the dev seed's tenant, where every command runs.
const remoteTenant = "woodgrove"

func withTenant(args []string) []string {
	return append(append([]string{}, args...), "--tenant", remoteTenant)
}

// same runs a command that changes nothing both ways, as a table and with
// -o json, requires the outputs to be equal, and answers the table.
func (b sideBySide) same(t *testing.T, args ...string) string {
	t.Helper()
	var table string
	for _, format := range [][]string{nil, {"-o", "json"}} {
		full := append(withTenant(args), format...)
		r, l := b.remote.mustRun(t, full...), b.local.mustRun(t, full...)
		require.Equal(t, l, r, "%s %v: remote and local differ", strings.Join(args, " "), format)
		if format == nil {
			table = r
		}
	}
	return table
}

// changes runs a command that changes something remotely, and requires
// that it prints what the local show (or list) then prints of the object:
// the change is made, and told, as a local one would be.
func (b sideBySide) changes(t *testing.T, change, show []string) string {
	t.Helper()
	out := b.remote.mustRun(t, withTenant(change)...)
	require.Equal(t, b.local.mustRun(t, withTenant(show)...), out, "%s", strings.Join(change, " "))
	return out
}

// sameFailure runs a failing command both ways and requires the same
// error.
func (b sideBySide) sameFailure(t *testing.T, args ...string) string {
	t.Helper()
	r, l := b.remote.run(t, withTenant(args)...), b.local.run(t, withTenant(args)...)
	require.Equal(t, exitError, r.code, r.stdout)
	require.Equal(t, l.code, r.code)
	require.Equal(t, l.stderr, r.stderr)
	return r.stderr
}

// bothRefuse runs a command with bad input both ways: both fail naming
// the field, locally in the directory's words, remotely in Graph's.
func (b sideBySide) bothRefuse(t *testing.T, field string, args ...string) {
	t.Helper()
	r, l := b.remote.run(t, withTenant(args)...), b.local.run(t, withTenant(args)...)
	require.Equal(t, exitError, l.code, l.stdout)
	require.Contains(t, l.stderr, "foyer: "+field+":")
	require.Equal(t, exitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "Invalid value specified for property '"+field+"'")
}

func (b sideBySide) noLocalDatabase(t *testing.T) {
	t.Helper()
	_, err := os.Stat(filepath.Join(b.remote.dataDir, "foyer.db"))
	require.ErrorIs(t, err, os.ErrNotExist, "with --server the local database is never opened")
}

func idOf(t *testing.T, out string) string {
	t.Helper()
	var v struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	require.NotEmpty(t, v.ID, out)
	return v.ID
}

// remoteRun runs args remotely, with stdin, and answers the output.
func (b sideBySide) remoteRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := b.remote.runIn(t, stdin, withTenant(args)...)
	require.Equal(t, exitOK, r.code, "foyer %v failed:\n%s", args, r.stderr)
	return r.stdout
}

// localRun runs args on the server's database.
func (b sideBySide) localRun(t *testing.T, args ...string) string {
	t.Helper()
	return b.local.mustRun(t, withTenant(args)...)
}

// finish stops the server and checks the remote side never opened a
// database of its own and that no secret reached the server's log.
func (b sideBySide) finish(t *testing.T, secrets ...string) {
	t.Helper()
	b.noLocalDatabase(t)
	b.s.shutdown(t)
	for _, s := range secrets {
		require.NotContains(t, b.s.logs.String(), s)
	}
}
