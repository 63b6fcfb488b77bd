package config

import (
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Environments.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is everything a Foyer process is told from outside.
type Config struct {
	// Env is "development" or "production". Production refuses insecure
	// shortcuts: a generated master key, plain-http external URLs.
	Env  string `yaml:"env"`
	Addr string `yaml:"addr"`
	// MetricsAddr, when set, is a listener of its own for /metrics (and
	// the public listener has none); empty: /metrics on Addr.
	MetricsAddr string `yaml:"metricsAddr"`
	// ExternalURL is where clients reach Foyer; tenant issuers are
	// {ExternalURL}/t/{slug}. Stored without a trailing slash.
	ExternalURL string `yaml:"externalURL"`
	DataDir     string `yaml:"dataDir"`
	// Database is empty for the embedded SQLite file, or a postgres:// URL.
	Database string `yaml:"database"`
	// DatabaseTimeout bounds one database operation (a statement, or a
	// transaction from begin to commit) and, on PostgreSQL, is the
	// server's statement_timeout and lock_timeout.
	DatabaseTimeout time.Duration `yaml:"databaseTimeout"`
	// DatabaseStallTimeout is how long the watchdog's ping may take before
	// the database counts as not answering: then requests fail at once
	// (503) until it answers again.
	DatabaseStallTimeout time.Duration `yaml:"databaseStallTimeout"`
	// DatabaseMaxConns is the PostgreSQL pool's size on this node.
	DatabaseMaxConns int `yaml:"databaseMaxConns"`
	// MailRetention is how long delivered (or abandoned) mail is kept;
	// AuditRetention how long audit events are. 0 keeps them forever.
	MailRetention  time.Duration `yaml:"mailRetention"`
	AuditRetention time.Duration `yaml:"auditRetention"`
	// SignInRetention is how long the sign-in log is kept; 0 forever.
	SignInRetention time.Duration `yaml:"signInRetention"`
	// MasterKey, when set, wins over MasterKeyFile.
	MasterKey Secret `yaml:"masterKey"`
	// MasterKeyFile defaults to <DataDir>/master.key in development only;
	// production must name it (or give MasterKey).
	MasterKeyFile string     `yaml:"masterKeyFile"`
	Log           Log        `yaml:"log"`
	Keys          Keys       `yaml:"keys"`
	Tokens        Tokens     `yaml:"tokens"`
	Mail          Mail       `yaml:"mail"`
	Federation    Federation `yaml:"federation"`
	// TrustedProxies are the reverse proxies (CIDRs or addresses) whose
	// Forwarded and X-Forwarded-For headers name the client address for
	// sign-in throttling, audit and logs. Empty: nobody's.
	TrustedProxies          []string      `yaml:"trustedProxies"`
	PasswordHashConcurrency int           `yaml:"passwordHashConcurrency"`
	ShutdownTimeout         time.Duration `yaml:"shutdownTimeout"`
	// ShutdownDelay is how long serve, told to stop, keeps serving while
	// /readyz says it is shutting down, so load balancers stop sending it
	// requests before connections close. 0: drain at once.
	ShutdownDelay time.Duration `yaml:"shutdownDelay"`
	// DebugAddr, when set, is a loopback host:port where serve answers
	// net/http/pprof on a listener of its own, never on Addr. Empty: off.
	DebugAddr string `yaml:"debugAddr"`
}

// Log configures the process logger.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
	// AccessSample logs one in AccessSample successful requests to the
	// token endpoint, JWKS and discovery; 1 logs every one. Errors are
	// always logged.
	AccessSample int `yaml:"accessSample"`
}

// Keys configures signing-key rotation.
type Keys struct {
	RotationPeriod time.Duration `yaml:"rotationPeriod"`
	// RetirePublishFor is how long a retired key stays in the JWKS, so
	// tokens it signed keep verifying.
	RetirePublishFor time.Duration `yaml:"retirePublishFor"`
}

// Federation configures upstream identity providers.
type Federation struct {
	// AllowPrivateNetworks lets provider URLs resolve to loopback,
	// private and link-local addresses, which are refused otherwise
	// (server-side request forgery).
	AllowPrivateNetworks bool `yaml:"allowPrivateNetworks"`
}

// Mail configures outbound email.
type Mail struct {
	// SMTPURL is smtp://user:pass@host:587 (STARTTLS required),
	// smtps://user:pass@host:465 (implicit TLS) or smtp+insecure://host:25
	// (plaintext; loopback only in production), optionally with
	// ?from=address. Empty: mail waits in the outbox (development delivers
	// it to /dev/mail). A secret: it may carry a password.
	SMTPURL Secret `yaml:"smtpURL"`
	// From is the sender address; wins over the URL's from parameter.
	From string `yaml:"from"`
}

// HasSMTP reports whether an SMTP server is configured.
func (c Config) HasSMTP() bool { return c.Mail.SMTPURL != "" }

// Tokens sets how long what the OpenID provider issues stays valid.
type Tokens struct {
	// AccessTokenLifetime bounds access tokens (JWT or opaque).
	AccessTokenLifetime time.Duration `yaml:"accessTokenLifetime"`
	// IDTokenLifetime bounds ID tokens.
	IDTokenLifetime time.Duration `yaml:"idTokenLifetime"`
	// RefreshTokenLifetime is a refresh token family's absolute lifetime,
	// counted from the sign-in; rotation never extends it.
	RefreshTokenLifetime time.Duration `yaml:"refreshTokenLifetime"`
	// AuthCodeLifetime bounds authorization codes; at most 10 minutes.
	AuthCodeLifetime time.Duration `yaml:"authCodeLifetime"`
	// LoginLifetime bounds a login transaction, from the authorization
	// request to the last page of the sign-in.
	LoginLifetime time.Duration `yaml:"loginLifetime"`
	// SessionLifetime bounds a browser session after the sign-in.
	SessionLifetime time.Duration `yaml:"sessionLifetime"`
	// RefreshReuseGrace is how long after a refresh token's rotation its
	// client may present it again (a retry after a lost response) and get
	// the same new refresh token back instead of the family's revocation;
	// 0 switches the grace off, at most MaxRefreshReuseGrace.
	RefreshReuseGrace time.Duration `yaml:"refreshReuseGrace"`
	// SessionIdleTimeout ends a browser session unused for that long,
	// within SessionLifetime; every use extends it (sliding).
	SessionIdleTimeout time.Duration `yaml:"sessionIdleTimeout"`
}

// DefaultTokens are the lifetimes Foyer issues with unless told otherwise.
func DefaultTokens() Tokens {
	return Tokens{
		AccessTokenLifetime:  time.Hour,
		IDTokenLifetime:      time.Hour,
		RefreshTokenLifetime: 30 * 24 * time.Hour,
		AuthCodeLifetime:     5 * time.Minute,
		LoginLifetime:        30 * time.Minute,
		SessionLifetime:      10 * time.Hour,
		RefreshReuseGrace:    10 * time.Second,
		SessionIdleTimeout:   8 * time.Hour,
	}
}

// Default answers the configuration before any file, variable or flag.
// Defaults that depend on other settings (log format, master key file) are
// filled in by Load once the layers are merged.
func Default() Config {
	return Config{
		Env:                     EnvDevelopment,
		Addr:                    ":8080",
		ExternalURL:             "http://localhost:8080",
		DataDir:                 "./foyer-data",
		Log:                     Log{Level: "info", AccessSample: 1},
		Keys:                    Keys{RotationPeriod: 720 * time.Hour, RetirePublishFor: 24 * time.Hour},
		Tokens:                  DefaultTokens(),
		PasswordHashConcurrency: runtime.GOMAXPROCS(0),
		ShutdownTimeout:         15 * time.Second,
		DatabaseTimeout:         5 * time.Second,
		DatabaseStallTimeout:    time.Second,
		DatabaseMaxConns:        25,
		MailRetention:           7 * 24 * time.Hour,
		AuditRetention:          365 * 24 * time.Hour,
		SignInRetention:         365 * 24 * time.Hour,
		ShutdownDelay:           5 * time.Second,
	}
}

// fillDerived sets the defaults that follow from other settings.
func (c *Config) fillDerived() {
	c.ExternalURL = strings.TrimRight(c.ExternalURL, "/")
	if c.Log.Format == "" {
		c.Log.Format = "text"
		if c.Env == EnvProduction {
			c.Log.Format = "json"
		}
	}
	// Only development gets a key file by default: in production a missing
	// key must be an error, not a fresh key that cannot open existing data.
	if c.MasterKeyFile == "" && c.Env != EnvProduction && c.DataDir != "" {
		c.MasterKeyFile = filepath.Join(c.DataDir, "master.key")
	}
}

// IsPostgres reports whether Database names a PostgreSQL server.
func (c Config) IsPostgres() bool { return c.Database != "" }

// SQLitePath is the embedded database file used when Database is empty.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "foyer.db") }

// IsProduction reports whether Env is production.
func (c Config) IsProduction() bool { return c.Env == EnvProduction }
