package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/foyer-idp/foyer/internal/secret"
)

func envOf(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "foyer.yaml")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestLoadPrecedence(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "addr: \":7000\"\ndataDir: /from-file\nlog:\n  level: warn\nkeys:\n  rotationPeriod: 48h\n")
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		flags map[string]string
		check func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			require.Equal(t, ":8080", c.Addr)
			require.Equal(t, "./foyer-data", c.DataDir)
			require.Equal(t, "info", c.Log.Level)
			require.Equal(t, "text", c.Log.Format)
			require.Equal(t, 720*time.Hour, c.Keys.RotationPeriod)
			require.Equal(t, filepath.Join("foyer-data", "master.key"), c.MasterKeyFile)
		}},
		{name: "file over defaults", file: file, check: func(t *testing.T, c Config) {
			require.Equal(t, ":7000", c.Addr)
			require.Equal(t, "warn", c.Log.Level)
			require.Equal(t, 48*time.Hour, c.Keys.RotationPeriod)
			require.Equal(t, 24*time.Hour, c.Keys.RetirePublishFor, "keys absent from the file keep their default")
		}},
		{name: "FOYER_CONFIG names the file", env: map[string]string{"FOYER_CONFIG": file}, check: func(t *testing.T, c Config) {
			require.Equal(t, ":7000", c.Addr)
		}},
		{name: "env over file", file: file, env: map[string]string{"FOYER_ADDR": ":7001", "FOYER_KEY_ROTATION_PERIOD": "2h"}, check: func(t *testing.T, c Config) {
			require.Equal(t, ":7001", c.Addr)
			require.Equal(t, 2*time.Hour, c.Keys.RotationPeriod)
			require.Equal(t, "warn", c.Log.Level)
		}},
		{name: "empty env counts as unset", file: file, env: map[string]string{"FOYER_ADDR": ""}, check: func(t *testing.T, c Config) {
			require.Equal(t, ":7000", c.Addr)
		}},
		{name: "flags over env", file: file, env: map[string]string{"FOYER_ADDR": ":7001", "FOYER_LOG_LEVEL": "error"}, flags: map[string]string{"addr": ":7002"}, check: func(t *testing.T, c Config) {
			require.Equal(t, ":7002", c.Addr)
			require.Equal(t, "error", c.Log.Level)
		}},
		{name: "production derives json logs and no key file", env: map[string]string{"FOYER_ENV": "production"}, check: func(t *testing.T, c Config) {
			require.Equal(t, "json", c.Log.Format)
			require.Empty(t, c.MasterKeyFile)
		}},
		{name: "key file follows the data dir", flags: map[string]string{"data-dir": "/srv/foyer"}, check: func(t *testing.T, c Config) {
			require.Equal(t, "/srv/foyer/master.key", c.MasterKeyFile)
			require.Equal(t, "/srv/foyer/foyer.db", c.SQLitePath())
		}},
		{name: "external URL loses its trailing slash", env: map[string]string{"FOYER_EXTERNAL_URL": "https://id.example.com/"}, check: func(t *testing.T, c Config) {
			require.Equal(t, "https://id.example.com", c.ExternalURL)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(Sources{File: tt.file, LookupEnv: envOf(tt.env), Flags: tt.flags})
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestLoadReportsEveryBadValue(t *testing.T) {
	t.Parallel()
	_, err := Load(Sources{
		LookupEnv: envOf(map[string]string{"FOYER_SHUTDOWN_TIMEOUT": "soon", "FOYER_PASSWORD_HASH_CONCURRENCY": "many"}),
		Flags:     map[string]string{"nope": "x"},
	})
	require.Error(t, err)
	for _, want := range []string{"FOYER_SHUTDOWN_TIMEOUT", "FOYER_PASSWORD_HASH_CONCURRENCY", "--nope"} {
		require.ErrorContains(t, err, want)
	}
}

func TestLoadRefusesUnknownYAMLKeys(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "addr: \":8080\"\nlog:\n  levle: debug\nlisten: \":9\"\n")
	_, err := Load(Sources{File: file})
	require.Error(t, err)
	require.ErrorContains(t, err, "levle")
	require.ErrorContains(t, err, "listen")
	require.NotContains(t, err.Error(), "config.Log", "messages speak YAML, not Go")
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(Sources{File: filepath.Join(t.TempDir(), "absent.yaml")})
	require.ErrorContains(t, err, "config file")
}

func TestDefaultsAreValid(t *testing.T) {
	t.Parallel()
	c, err := Load(Sources{})
	require.NoError(t, err)
	require.NoError(t, c.Validate())
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	c, err := Load(Sources{LookupEnv: envOf(map[string]string{
		"FOYER_ENV":                    "staging",
		"FOYER_ADDR":                   "8080",
		"FOYER_EXTERNAL_URL":           "/relative",
		"FOYER_DATABASE":               "mysql://root:hunter2@db/foyer",
		"FOYER_LOG_LEVEL":              "loud",
		"FOYER_LOG_FORMAT":             "xml",
		"FOYER_KEY_ROTATION_PERIOD":    "0s",
		"FOYER_KEY_RETIRE_PUBLISH_FOR": "-1h",
		"FOYER_SHUTDOWN_TIMEOUT":       "0s",
	})})
	require.NoError(t, err)
	c.PasswordHashConcurrency = 0
	err = c.Validate()
	require.Error(t, err)
	for _, field := range []string{"env (FOYER_ENV)", "addr (FOYER_ADDR)", "externalURL", "database", "log.level", "log.format",
		"keys.rotationPeriod", "keys.retirePublishFor", "shutdownTimeout", "passwordHashConcurrency"} {
		require.ErrorContains(t, err, field)
	}
	require.Len(t, strings.Split(err.Error(), "\n"), 10, "one line per problem:\n%v", err)
	require.NotContains(t, err.Error(), "hunter2", "a database URL may carry a password")
}

func TestValidateExternalURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url        string
		production bool
		wantErr    string
	}{
		{url: "https://id.example.com"},
		{url: "https://id.example.com/foyer"},
		{url: "http://localhost:8080", production: true},
		{url: "http://127.0.0.1:8080", production: true},
		{url: "http://id.example.com"},
		{url: "http://id.example.com", production: true, wantErr: "https in production"},
		{url: "https://id.example.com/?x=1", wantErr: "query"},
		{url: "https://id.example.com/#top", wantErr: "fragment"},
		{url: "id.example.com", wantErr: "absolute"},
		{url: "ftp://id.example.com", wantErr: "http or https"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s production=%v", tt.url, tt.production), func(t *testing.T) {
			err := checkExternalURL(tt.url, tt.production)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestValidateDatabaseSchemes(t *testing.T) {
	t.Parallel()
	require.NoError(t, checkDatabase(""))
	require.NoError(t, checkDatabase("postgres://u@h/db"))
	require.NoError(t, checkDatabase("postgresql://u@h/db?sslmode=disable"))
	require.ErrorContains(t, checkDatabase("sqlite:///tmp/x.db"), "not supported")
}

func TestProductionMasterKey(t *testing.T) {
	t.Parallel()
	existing := filepath.Join(t.TempDir(), "master.key")
	require.NoError(t, os.WriteFile(existing, []byte(secret.GenerateMasterKey().String()), 0o600))
	prod := map[string]string{"FOYER_ENV": "production", "FOYER_EXTERNAL_URL": "https://id.example.com"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "no key at all is refused", wantErr: "production needs FOYER_MASTER_KEY"},
		{name: "a key file that does not exist is refused", env: map[string]string{"FOYER_MASTER_KEY_FILE": existing + ".absent"}, wantErr: "does not exist"},
		{name: "an existing key file is accepted", env: map[string]string{"FOYER_MASTER_KEY_FILE": existing}},
		{name: "a key in the environment is accepted", env: map[string]string{"FOYER_MASTER_KEY": secret.GenerateMasterKey().String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range prod {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := Load(Sources{LookupEnv: envOf(env)})
			require.NoError(t, err)
			err = c.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestMasterKeyNeverShows(t *testing.T) {
	t.Parallel()
	key := secret.GenerateMasterKey().String()
	c, err := Load(Sources{LookupEnv: envOf(map[string]string{"FOYER_MASTER_KEY": key})})
	require.NoError(t, err)
	require.Equal(t, key, c.MasterKey.Reveal())

	asJSON, err := json.Marshal(c)
	require.NoError(t, err)
	asYAML, err := yaml.Marshal(c)
	require.NoError(t, err)
	for _, shown := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), string(asJSON), string(asYAML)} {
		require.NotContains(t, shown, key)
		require.NotContains(t, shown, strings.TrimRight(key, "="))
	}
	require.Contains(t, fmt.Sprintf("%+v", c), redacted, "a set key still shows that it is set")
}

func TestSettingsTableMatchesTheYAMLKeys(t *testing.T) {
	t.Parallel()
	raw, err := yaml.Marshal(Default())
	require.NoError(t, err)
	var tree map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &tree))
	leaves := map[string]bool{}
	for k, v := range tree {
		if sub, ok := v.(map[string]any); ok {
			for k2 := range sub {
				leaves[k+"."+k2] = true
			}
			continue
		}
		leaves[k] = true
	}
	seen := map[string]bool{}
	for _, s := range Settings() {
		require.True(t, leaves[s.Key], "setting %s is no YAML key of Config", s.Key)
		seen[s.Key] = true
		require.True(t, strings.HasPrefix(s.Env, "FOYER_"), s.Key)
		require.NotNil(t, s.set, s.Key)
		require.NotEmpty(t, s.Usage, s.Key)
	}
	for leaf := range leaves {
		require.True(t, seen[leaf], "YAML key %s has no setting", leaf)
	}
}

func TestTokenLifetimes(t *testing.T) {
	t.Parallel()
	c, err := Load(Sources{})
	require.NoError(t, err)
	require.Equal(t, DefaultTokens(), c.Tokens)
	require.Equal(t, time.Hour, c.Tokens.AccessTokenLifetime)
	require.Equal(t, 5*time.Minute, c.Tokens.AuthCodeLifetime)
	require.Equal(t, 720*time.Hour, c.Tokens.RefreshTokenLifetime)
	require.Equal(t, 10*time.Second, c.Tokens.RefreshReuseGrace)
	require.Equal(t, 8*time.Hour, c.Tokens.SessionIdleTimeout)

	file := writeFile(t, "tokens:\n  accessTokenLifetime: 15m\n  sessionLifetime: 8h\n  sessionIdleTimeout: 2h\n")
	c, err = Load(Sources{File: file, LookupEnv: envOf(map[string]string{"FOYER_ID_TOKEN_LIFETIME": "30m"})})
	require.NoError(t, err)
	require.Equal(t, 15*time.Minute, c.Tokens.AccessTokenLifetime)
	require.Equal(t, 30*time.Minute, c.Tokens.IDTokenLifetime)
	require.Equal(t, 8*time.Hour, c.Tokens.SessionLifetime)
	require.Equal(t, 2*time.Hour, c.Tokens.SessionIdleTimeout)
	c, err = Load(Sources{File: file, LookupEnv: envOf(map[string]string{"FOYER_SESSION_IDLE_TIMEOUT": "45m"})})
	require.NoError(t, err)
	require.Equal(t, 45*time.Minute, c.Tokens.SessionIdleTimeout, "the environment wins over the file")
	require.Equal(t, 30*time.Minute, c.Tokens.LoginLifetime, "unset keys keep their default")
	require.NoError(t, c.Validate())

	_, err = Load(Sources{File: writeFile(t, "tokens:\n  acessTokenLifetime: 1h\n")})
	require.ErrorContains(t, err, "acessTokenLifetime")
	require.NotContains(t, err.Error(), "config.Tokens")
}

func TestValidateTokenLifetimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{name: "code lives at most ten minutes", env: map[string]string{"FOYER_AUTH_CODE_LIFETIME": "11m"},
			wantErr: []string{"tokens.authCodeLifetime", "at most 10m0s"}},
		{name: "lifetimes are positive", env: map[string]string{"FOYER_SESSION_LIFETIME": "0s", "FOYER_REFRESH_TOKEN_LIFETIME": "-1h"},
			wantErr: []string{"tokens.sessionLifetime", "tokens.refreshTokenLifetime"}},
		{name: "idle timeout is at least a minute", env: map[string]string{"FOYER_SESSION_IDLE_TIMEOUT": "30s"},
			wantErr: []string{"tokens.sessionIdleTimeout (FOYER_SESSION_IDLE_TIMEOUT)", "at least 1m0s, got 30s"}},
		{name: "idle timeout is positive", env: map[string]string{"FOYER_SESSION_IDLE_TIMEOUT": "-1h"},
			wantErr: []string{"tokens.sessionIdleTimeout", "got -1h0m0s"}},
		{name: "idle timeout of a minute", env: map[string]string{"FOYER_SESSION_IDLE_TIMEOUT": "1m"}},
		{name: "retired keys outlive access tokens", env: map[string]string{"FOYER_ACCESS_TOKEN_LIFETIME": "24h"},
			wantErr: []string{"keys.retirePublishFor", "longer than the access and ID token lifetimes"}},
		{name: "retired keys outlive ID tokens", env: map[string]string{"FOYER_ID_TOKEN_LIFETIME": "48h", "FOYER_KEY_RETIRE_PUBLISH_FOR": "36h"},
			wantErr: []string{"keys.retirePublishFor"}},
		{name: "refresh grace is at most a minute", env: map[string]string{"FOYER_REFRESH_REUSE_GRACE": "2m"},
			wantErr: []string{"tokens.refreshReuseGrace", "between 0 (off) and 1m0s"}},
		{name: "refresh grace is not negative", env: map[string]string{"FOYER_REFRESH_REUSE_GRACE": "-1s"},
			wantErr: []string{"tokens.refreshReuseGrace"}},
		{name: "refresh grace off", env: map[string]string{"FOYER_REFRESH_REUSE_GRACE": "0s"}},
		{name: "a longer publication fixes it", env: map[string]string{"FOYER_ID_TOKEN_LIFETIME": "48h", "FOYER_KEY_RETIRE_PUBLISH_FOR": "49h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(Sources{LookupEnv: envOf(tt.env)})
			require.NoError(t, err)
			err = c.Validate()
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			for _, want := range tt.wantErr {
				require.ErrorContains(t, err, want)
			}
		})
	}
}

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	c, err := Load(Sources{})
	require.NoError(t, err)
	require.Empty(t, c.TrustedProxies, "nobody is trusted by default")
	require.Empty(t, c.TrustedProxyPrefixes())

	file := writeFile(t, "trustedProxies:\n  - 10.0.0.0/8\n  - 192.0.2.10\n")
	c, err = Load(Sources{File: file})
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	require.Equal(t, []string{"10.0.0.0/8", "192.0.2.10"}, c.TrustedProxies)
	require.Equal(t, "[10.0.0.0/8 192.0.2.10/32]", fmt.Sprint(c.TrustedProxyPrefixes()))

	c, err = Load(Sources{File: file, LookupEnv: envOf(map[string]string{"FOYER_TRUSTED_PROXIES": " 172.16.0.0/12, 2001:db8::/32 ,"})})
	require.NoError(t, err)
	require.Equal(t, "[172.16.0.0/12 2001:db8::/32]", fmt.Sprint(c.TrustedProxyPrefixes()), "the variable wins over the file")

	c, err = Load(Sources{File: file, LookupEnv: envOf(map[string]string{"FOYER_TRUSTED_PROXIES": "172.16.0.0/12"}),
		Flags: map[string]string{"trusted-proxies": "::1"}})
	require.NoError(t, err)
	require.Equal(t, "[::1/128]", fmt.Sprint(c.TrustedProxyPrefixes()), "the flag wins")

	c.TrustedProxies = []string{"10.0.0.0/8", "10.0.0.0/33", "proxy.internal", "fe80::1%eth0"}
	err = c.Validate()
	require.ErrorContains(t, err, "trustedProxies (FOYER_TRUSTED_PROXIES)")
	require.ErrorContains(t, err, `["10.0.0.0/33" "proxy.internal" "fe80::1%eth0"]`)
}

func TestDebugAddrIsOffByDefaultAndLoopbackOnly(t *testing.T) {
	t.Parallel()
	cfg, err := Load(Sources{LookupEnv: envOf(nil)})
	require.NoError(t, err)
	require.Empty(t, cfg.DebugAddr, "off unless asked for")
	require.NoError(t, cfg.Validate())

	for _, tt := range []struct{ addr, wantErr string }{
		{addr: "127.0.0.1:6060"},
		{addr: "127.0.0.2:0"},
		{addr: "[::1]:6060"},
		{addr: "localhost:6060"},
		{addr: ":6060", wantErr: "loopback"},
		{addr: "0.0.0.0:6060", wantErr: "loopback"},
		{addr: "[::]:6060", wantErr: "loopback"},
		{addr: "192.168.1.10:6060", wantErr: "loopback"},
		{addr: "debug.example.com:6060", wantErr: "loopback"},
		{addr: "127.0.0.1", wantErr: "host:port"},
		{addr: "127.0.0.1:99999", wantErr: "port"},
	} {
		t.Run(tt.addr, func(t *testing.T) {
			cfg, err := Load(Sources{LookupEnv: envOf(map[string]string{"FOYER_DEBUG_ADDR": tt.addr})})
			require.NoError(t, err)
			require.Equal(t, tt.addr, cfg.DebugAddr)
			err = cfg.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.ErrorContains(t, err, "debugAddr (FOYER_DEBUG_ADDR)", "the message names the setting")
		})
	}

	// YAML and the flag reach it too.
	cfg, err = Load(Sources{File: writeFile(t, "debugAddr: 127.0.0.1:7070\n"), LookupEnv: envOf(nil)})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7070", cfg.DebugAddr)
	cfg, err = Load(Sources{LookupEnv: envOf(nil), Flags: map[string]string{"debug-addr": "0.0.0.0:1"}})
	require.NoError(t, err)
	require.ErrorContains(t, cfg.Validate(), "loopback")
}

func TestLogAccessSample(t *testing.T) {
	t.Parallel()
	c, err := Load(Sources{})
	require.NoError(t, err)
	require.Equal(t, 1, c.Log.AccessSample, "every line by default")

	c, err = Load(Sources{LookupEnv: envOf(map[string]string{"FOYER_LOG_ACCESS_SAMPLE": "100"})})
	require.NoError(t, err)
	require.Equal(t, 100, c.Log.AccessSample)
	require.NoError(t, c.Validate())

	c, err = Load(Sources{File: writeFile(t, "log:\n  accessSample: 7\n")})
	require.NoError(t, err)
	require.Equal(t, 7, c.Log.AccessSample)

	for _, bad := range []string{"0", "-3"} {
		c, err = Load(Sources{LookupEnv: envOf(map[string]string{"FOYER_LOG_ACCESS_SAMPLE": bad})})
		require.NoError(t, err)
		require.ErrorContains(t, c.Validate(), "log.accessSample (FOYER_LOG_ACCESS_SAMPLE)", bad)
	}
	_, err = Load(Sources{LookupEnv: envOf(map[string]string{"FOYER_LOG_ACCESS_SAMPLE": "often"})})
	require.ErrorContains(t, err, "often")
}
