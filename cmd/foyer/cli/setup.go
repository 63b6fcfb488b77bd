package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/telemetry"
)

const flagConfig = "config"

// addConfigFlags registers configuration flags by their config.Settings
// name. They are strings whatever the setting's type: config parses them,
// so a flag and its environment variable accept the same text.
func addConfigFlags(fs *pflag.FlagSet, names ...string) {
	for _, name := range names {
		s, ok := config.FlagSetting(name)
		if !ok {
			panic("no configuration setting has flag --" + name) // a programming error, caught by any test
		}
		fs.String(name, "", fmt.Sprintf("%s (env %s, default %s)", s.Usage, s.Env, s.Default))
	}
}

// loadConfig merges defaults, file, environment and the flags the user set,
// then validates.
func loadConfig(cmd *cobra.Command, d deps) (config.Config, error) {
	cfg, err := config.Load(configSources(cmd, d))
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return config.Config{}, fmt.Errorf("invalid configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	return cfg, nil
}

// configSources are where a command's configuration comes from: the
// --config file, the environment and the configuration flags the user set.
func configSources(cmd *cobra.Command, d deps) config.Sources {
	file, _ := cmd.Flags().GetString(flagConfig)
	set := map[string]string{}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if _, ok := config.FlagSetting(f.Name); ok {
			set[f.Name] = f.Value.String()
		}
	})
	return config.Sources{File: file, LookupEnv: d.lookupEnv, Flags: set}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level)) // validated already
	// No source lookups: a runtime.Callers per line, on every request.
	opts := &slog.HandlerOptions{Level: level, AddSource: false}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	// Departed clients' errors at INFO, repeated error lines rate-limited.
	return slog.New(telemetry.NewLogHandler(h, telemetry.LogConfig{}))
}

// openStore opens the configured database without migrating it. For
// serve (serving) PostgreSQL also abandons a statement or a lock wait
// after databaseTimeout.
func openStore(ctx context.Context, cfg config.Config, serving bool) (*sqlstore.Store, error) {
	if cfg.IsPostgres() {
		o := sqlstore.PostgresOptions{MaxConns: cfg.DatabaseMaxConns}
		if serving {
			o.StatementTimeout, o.LockTimeout = cfg.DatabaseTimeout, cfg.DatabaseTimeout
		}
		return sqlstore.OpenPostgresWith(ctx, cfg.Database, o)
	}
	// 0700: the database holds sealed secrets and password hashes.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return sqlstore.OpenSQLite(ctx, cfg.SQLitePath())
}

// loadMasterKey answers FOYER_MASTER_KEY, or the key file. Only development
// creates a missing file; production has been refused by Validate if it
// has neither.
func loadMasterKey(ctx context.Context, cfg config.Config, logger *slog.Logger) (secret.MasterKey, error) {
	if cfg.MasterKey != "" {
		key, err := secret.ParseMasterKey(cfg.MasterKey.Reveal())
		if err != nil {
			return secret.MasterKey{}, fmt.Errorf("masterKey (FOYER_MASTER_KEY): %w", err) // never quotes the key
		}
		return key, nil
	}
	path := cfg.MasterKeyFile
	if cfg.IsProduction() {
		if _, err := os.Stat(path); err != nil {
			return secret.MasterKey{}, fmt.Errorf("master key file: %w", err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return secret.MasterKey{}, fmt.Errorf("create master key directory: %w", err)
	}
	key, created, err := secret.LoadOrCreateKeyFile(path)
	if created {
		logger.WarnContext(ctx, "created a new master key file; back it up, without it sealed secrets are lost", "file", path)
	}
	return key, err
}

// databaseName describes the database for people, without credentials.
func databaseName(cfg config.Config) string {
	if !cfg.IsPostgres() {
		return "sqlite " + cfg.SQLitePath()
	}
	u, err := url.Parse(cfg.Database)
	if err != nil {
		return "postgres"
	}
	return "postgres " + u.Host + u.Path
}
