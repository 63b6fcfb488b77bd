package config

import (
	"fmt"
	"strconv"
	"time"
)

// Setting is one configuration knob and every name it goes by. The one
// table serves the environment, the flags, the validation messages and the
// README's reference.
type Setting struct {
	Key     string // YAML path, e.g. "keys.rotationPeriod"
	Env     string // environment variable
	Flag    string // command-line flag, "" when there is none
	Default string // as documented
	Usage   string
	set     func(c *Config, v string) error
}

// Settings answers the table of settings, in documentation order.
func Settings() []Setting {
	return []Setting{
		{Key: "env", Env: "FOYER_ENV", Flag: "env", Default: EnvDevelopment,
			Usage: "development or production", set: setString(func(c *Config) *string { return &c.Env })},
		{Key: "addr", Env: "FOYER_ADDR", Flag: "addr", Default: ":8080",
			Usage: "listen address, host:port", set: setString(func(c *Config) *string { return &c.Addr })},
		{Key: "metricsAddr", Env: "FOYER_METRICS_ADDR", Flag: "metrics-addr", Default: "(none: /metrics on addr)",
			Usage: "separate listen address, host:port, for /metrics; the main listener then has none", set: setString(func(c *Config) *string { return &c.MetricsAddr })},
		{Key: "externalURL", Env: "FOYER_EXTERNAL_URL", Flag: "external-url", Default: "http://localhost:8080",
			Usage: "URL clients reach Foyer at; issuers are {externalURL}/t/{tenant}", set: setString(func(c *Config) *string { return &c.ExternalURL })},
		{Key: "dataDir", Env: "FOYER_DATA_DIR", Flag: "data-dir", Default: "./foyer-data",
			Usage: "directory for the SQLite file and the development master key", set: setString(func(c *Config) *string { return &c.DataDir })},
		{Key: "database", Env: "FOYER_DATABASE", Flag: "database", Default: "(SQLite file foyer.db in dataDir)",
			Usage: "empty for SQLite, or a postgres:// URL", set: setString(func(c *Config) *string { return &c.Database })},
		{Key: "masterKey", Env: "FOYER_MASTER_KEY", Default: "(none)",
			Usage: "32-byte key in base64 or hex sealing secrets at rest; wins over masterKeyFile", set: setSecret(func(c *Config) *Secret { return &c.MasterKey })},
		{Key: "masterKeyFile", Env: "FOYER_MASTER_KEY_FILE", Default: "{dataDir}/master.key in development",
			Usage: "file holding the master key; created on first run in development", set: setString(func(c *Config) *string { return &c.MasterKeyFile })},
		{Key: "log.level", Env: "FOYER_LOG_LEVEL", Flag: "log-level", Default: "info",
			Usage: "debug, info, warn or error", set: setString(func(c *Config) *string { return &c.Log.Level })},
		{Key: "log.format", Env: "FOYER_LOG_FORMAT", Flag: "log-format", Default: "text in development, json in production",
			Usage: "text or json", set: setString(func(c *Config) *string { return &c.Log.Format })},
		{Key: "log.accessSample", Env: "FOYER_LOG_ACCESS_SAMPLE", Default: "1",
			Usage: "log one in N successful token, JWKS and discovery requests (1: every one); errors are always logged", set: setInt(func(c *Config) *int { return &c.Log.AccessSample })},
		{Key: "keys.rotationPeriod", Env: "FOYER_KEY_ROTATION_PERIOD", Default: "720h",
			Usage: "how long a signing key stays active", set: setDuration(func(c *Config) *time.Duration { return &c.Keys.RotationPeriod })},
		{Key: "keys.retirePublishFor", Env: "FOYER_KEY_RETIRE_PUBLISH_FOR", Default: "24h",
			Usage: "how long a retired key stays in the JWKS", set: setDuration(func(c *Config) *time.Duration { return &c.Keys.RetirePublishFor })},
		{Key: "tokens.accessTokenLifetime", Env: "FOYER_ACCESS_TOKEN_LIFETIME", Default: "1h",
			Usage: "how long an access token is valid", set: setDuration(func(c *Config) *time.Duration { return &c.Tokens.AccessTokenLifetime })},
		{Key: "tokens.idTokenLifetime", Env: "FOYER_ID_TOKEN_LIFETIME", Default: "1h",
			Usage: "how long an ID token is valid", set: setDuration(func(c *Config) *time.Duration { return &c.Tokens.IDTokenLifetime })},
		{Key: "tokens.refreshTokenLifetime", Env: "FOYER_REFRESH_TOKEN_LIFETIME", Default: "720h",
			Usage: "absolute lifetime of a refresh token family, from the sign-in", set: setDuration(func(c *Config) *time.Duration { return &c.Tokens.RefreshTokenLifetime })},
		{Key: "tokens.authCodeLifetime", Env: "FOYER_AUTH_CODE_LIFETIME", Default: "5m",
			Usage: "how long an authorization code may wait for redemption (at most 10m)", set: setDuration(func(c *Config) *time.Duration { return &c.Tokens.AuthCodeLifetime })},
		{Key: "tokens.loginLifetime", Env: "FOYER_LOGIN_LIFETIME", Default: "30m",
			Usage: "how long a sign-in may take, from the authorization request to the last page", set: setDuration(func(c *Config) *time.Duration { return &c.Tokens.LoginLifetime })},
		{Key: "tokens.sessionLifetime", Env: "FOYER_SESSION_LIFETIME", Default: "10h",
			Usage: "how long a browser stays signed in at a tenant", set: setDuration(func(c *Config) *time.Duration { return &c.Tokens.SessionLifetime })},
		{Key: "tokens.refreshReuseGrace", Env: "FOYER_REFRESH_REUSE_GRACE", Default: "10s",
			Usage: "how long after a refresh its client may retry with the old refresh token and get the same new one back (0: off, at most 1m)", set: setDuration(func(c *Config) *time.Duration { return &c.Tokens.RefreshReuseGrace })},
		{Key: "tokens.sessionIdleTimeout", Env: "FOYER_SESSION_IDLE_TIMEOUT", Default: "8h",
			Usage: "how long a browser stays signed in at a tenant without using the session (sliding; at least 1m)", set: setDuration(func(c *Config) *time.Duration { return &c.Tokens.SessionIdleTimeout })},
		{Key: "mail.smtpURL", Env: "FOYER_SMTP_URL", Flag: "smtp-url", Default: "(none: mail waits in the outbox)",
			Usage: "SMTP server: smtp://user:pass@host:587 (STARTTLS), smtps://host:465 (TLS) or smtp+insecure://host:25, optional ?from=address; never printed",
			set:   setSecret(func(c *Config) *Secret { return &c.Mail.SMTPURL })},
		{Key: "mail.from", Env: "FOYER_MAIL_FROM", Default: "(the SMTP URL's from parameter)",
			Usage: "sender address of Foyer's email", set: setString(func(c *Config) *string { return &c.Mail.From })},
		{Key: "federation.allowPrivateNetworks", Env: "FOYER_FEDERATION_ALLOW_PRIVATE_NETWORKS", Default: "false (true with serve --dev)",
			Usage: "let upstream identity providers live on loopback, private and link-local addresses", set: setBool(func(c *Config) *bool { return &c.Federation.AllowPrivateNetworks })},
		{Key: "trustedProxies", Env: "FOYER_TRUSTED_PROXIES", Flag: "trusted-proxies", Default: "(none)",
			Usage: "comma-separated CIDRs of reverse proxies whose Forwarded/X-Forwarded-For headers give the client address", set: setList(func(c *Config) *[]string { return &c.TrustedProxies })},
		{Key: "passwordHashConcurrency", Env: "FOYER_PASSWORD_HASH_CONCURRENCY", Default: "GOMAXPROCS",
			Usage: "argon2id hashes running at once; more wait", set: setInt(func(c *Config) *int { return &c.PasswordHashConcurrency })},
		{Key: "databaseTimeout", Env: "FOYER_DATABASE_TIMEOUT", Default: "5s",
			Usage: "bound on one database statement or transaction (and PostgreSQL's statement_timeout and lock_timeout)", set: setDuration(func(c *Config) *time.Duration { return &c.DatabaseTimeout })},
		{Key: "databaseStallTimeout", Env: "FOYER_DATABASE_STALL_TIMEOUT", Default: "1s",
			Usage: "a health ping slower than this marks the database as not answering: requests fail at once with 503 until it answers", set: setDuration(func(c *Config) *time.Duration { return &c.DatabaseStallTimeout })},
		{Key: "databaseMaxConns", Env: "FOYER_DATABASE_MAX_CONNS", Default: "25",
			Usage: "PostgreSQL connections this node may open", set: setInt(func(c *Config) *int { return &c.DatabaseMaxConns })},
		{Key: "mailRetention", Env: "FOYER_MAIL_RETENTION", Default: "168h",
			Usage: "how long delivered or abandoned mail (sealed bodies) is kept; 0 keeps it forever", set: setDuration(func(c *Config) *time.Duration { return &c.MailRetention })},
		{Key: "auditRetention", Env: "FOYER_AUDIT_RETENTION", Default: "8760h",
			Usage: "how long audit events are kept; 0 keeps them forever", set: setDuration(func(c *Config) *time.Duration { return &c.AuditRetention })},
		{Key: "signInRetention", Env: "FOYER_SIGNIN_RETENTION", Default: "8760h",
			Usage: "how long the sign-in log is kept; 0 keeps it forever", set: setDuration(func(c *Config) *time.Duration { return &c.SignInRetention })},
		{Key: "shutdownTimeout", Env: "FOYER_SHUTDOWN_TIMEOUT", Default: "15s",
			Usage: "how long serve waits for requests in flight on SIGINT/SIGTERM", set: setDuration(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
		{Key: "shutdownDelay", Env: "FOYER_SHUTDOWN_DELAY", Default: "5s (0 with serve --dev)",
			Usage: "how long serve keeps serving on SIGINT/SIGTERM while /readyz answers 503, before it drains", set: setDuration(func(c *Config) *time.Duration { return &c.ShutdownDelay })},
		{Key: "debugAddr", Env: "FOYER_DEBUG_ADDR", Flag: "debug-addr", Default: "(none: off)",
			Usage: "loopback host:port where serve answers net/http/pprof (/debug/pprof/) on a listener of its own, never on the public port",
			set:   setString(func(c *Config) *string { return &c.DebugAddr })},
	}
}

// FlagSetting answers the setting behind a flag name.
func FlagSetting(flag string) (Setting, bool) {
	for _, s := range Settings() {
		if s.Flag != "" && s.Flag == flag {
			return s, true
		}
	}
	return Setting{}, false
}

// label names a setting in messages by all the ways a user may have set it.
func label(key string) string {
	for _, s := range Settings() {
		if s.Key == key {
			return fmt.Sprintf("%s (%s)", s.Key, s.Env)
		}
	}
	return key
}

func setString(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

func setSecret(field func(*Config) *Secret) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = Secret(v); return nil }
}

func setDuration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration like 90s, 15m or 720h", v)
		}
		*field(c) = d
		return nil
	}
}

func setBool(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*field(c) = b
		return nil
	}
}

func setInt(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*field(c) = n
		return nil
	}
}
