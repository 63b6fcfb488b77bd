package sqlstore_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store/sqlstore"
)

// withUmask runs fn under umask m (process-wide: these tests do not run in
// parallel).
func withUmask(t *testing.T, m int, fn func()) {
	t.Helper()
	old := syscall.Umask(m)
	defer syscall.Umask(old)
	fn()
}

func requirePrivate(t *testing.T, path string) {
	t.Helper()
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		require.NoError(t, err, "%s exists while the store is open", filepath.Base(name))
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), filepath.Base(name))
	}
}

// TestSQLiteFilesArePrivate: the database file and its WAL and shared
// memory files are 0600 even under a umask that lets everyone read.
func TestSQLiteFilesArePrivate(t *testing.T) {
	t.Parallel()
	withUmask(t, 0, func() {
		path := filepath.Join(t.TempDir(), "foyer.db")
		s, err := sqlstore.OpenSQLite(t.Context(), path)
		require.NoError(t, err)
		defer s.Close()
		require.NoError(t, s.Migrate(t.Context()))
		requirePrivate(t, path)
	})
}

// TestSQLiteExistingFilesMadePrivate: a database made world-readable before
// (by an older Foyer or a copy) loses group and other permissions on open,
// with its WAL and shared memory files.
func TestSQLiteExistingFilesMadePrivate(t *testing.T) {
	t.Parallel()
	withUmask(t, 0, func() {
		path := filepath.Join(t.TempDir(), "foyer.db")
		for _, name := range []string{path, path + "-wal", path + "-shm"} {
			require.NoError(t, os.WriteFile(name, nil, 0o666))
		}
		s, err := sqlstore.OpenSQLite(t.Context(), path)
		require.NoError(t, err)
		defer s.Close()
		require.NoError(t, s.Migrate(t.Context()))
		requirePrivate(t, path)
	})
}
