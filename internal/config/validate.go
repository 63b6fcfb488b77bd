package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Validate reports every problem with c at once, each naming its setting.
func (c Config) Validate() error {
	var v validation
	v.check("env", oneOf(c.Env, EnvDevelopment, EnvProduction))
	v.check("addr", checkAddr(c.Addr))
	if c.MetricsAddr != "" {
		v.check("metricsAddr", checkAddr(c.MetricsAddr))
		if c.MetricsAddr == c.Addr {
			v.check("metricsAddr", fmt.Errorf("%q is addr too: give /metrics a port of its own", c.MetricsAddr))
		}
	}
	v.check("externalURL", checkExternalURL(c.ExternalURL, c.IsProduction()))
	v.check("database", checkDatabase(c.Database))
	v.check("log.level", oneOf(c.Log.Level, "debug", "info", "warn", "error"))
	v.check("log.format", oneOf(c.Log.Format, "text", "json"))
	if c.Log.AccessSample < 1 {
		v.check("log.accessSample", fmt.Errorf("must be at least 1 (every line), got %d", c.Log.AccessSample))
	}
	v.check("keys.rotationPeriod", positive(c.Keys.RotationPeriod))
	v.check("keys.retirePublishFor", positive(c.Keys.RetirePublishFor))
	c.checkTokens(&v)
	v.check("shutdownTimeout", positive(c.ShutdownTimeout))
	v.check("databaseTimeout", positive(c.DatabaseTimeout))
	v.check("databaseStallTimeout", positive(c.DatabaseStallTimeout))
	if c.DatabaseMaxConns < 1 {
		v.check("databaseMaxConns", fmt.Errorf("must be at least 1, got %d", c.DatabaseMaxConns))
	}
	v.check("shutdownDelay", notNegative(c.ShutdownDelay))
	v.check("mailRetention", notNegative(c.MailRetention))
	v.check("auditRetention", notNegative(c.AuditRetention))
	v.check("signInRetention", notNegative(c.SignInRetention))
	if c.DebugAddr != "" {
		v.check("debugAddr", checkDebugAddr(c.DebugAddr))
	}
	if c.PasswordHashConcurrency < 1 {
		v.check("passwordHashConcurrency", fmt.Errorf("must be at least 1, got %d", c.PasswordHashConcurrency))
	}
	if c.DataDir == "" && !c.IsPostgres() {
		v.check("dataDir", errors.New("must not be empty: the SQLite database lives there"))
	}
	c.checkMasterKey(&v)
	c.checkMail(&v)
	if _, err := ParseTrustedProxies(c.TrustedProxies); err != nil {
		v.check("trustedProxies", err)
	}
	return errors.Join(v.errs...)
}

// MaxAuthCodeLifetime is the longest an authorization code may live
// (RFC 6749 §4.1.2 recommends at most ten minutes).
const MaxAuthCodeLifetime = 10 * time.Minute

// MaxRefreshReuseGrace bounds the refresh retry window: it is for a
// response lost on the way, not for sharing a refresh token.
const MaxRefreshReuseGrace = time.Minute

// MinSessionIdleTimeout is the shortest idle timeout: a session's use is
// written down about once a minute, so a shorter one could end a session
// in use.
const MinSessionIdleTimeout = time.Minute

// checkTokens checks the lifetimes, and that a retired signing key stays
// published longer than any token it signed can live: otherwise relying
// parties would reject valid tokens after a rotation.
func (c Config) checkTokens(v *validation) {
	t := c.Tokens
	v.check("tokens.accessTokenLifetime", positive(t.AccessTokenLifetime))
	v.check("tokens.idTokenLifetime", positive(t.IDTokenLifetime))
	v.check("tokens.refreshTokenLifetime", positive(t.RefreshTokenLifetime))
	v.check("tokens.loginLifetime", positive(t.LoginLifetime))
	v.check("tokens.sessionLifetime", positive(t.SessionLifetime))
	if t.SessionIdleTimeout < MinSessionIdleTimeout {
		v.check("tokens.sessionIdleTimeout", fmt.Errorf("must be at least %v, got %v", MinSessionIdleTimeout, t.SessionIdleTimeout))
	}
	if err := positive(t.AuthCodeLifetime); err != nil {
		v.check("tokens.authCodeLifetime", err)
	} else if t.AuthCodeLifetime > MaxAuthCodeLifetime {
		v.check("tokens.authCodeLifetime", fmt.Errorf("must be at most %v, got %v", MaxAuthCodeLifetime, t.AuthCodeLifetime))
	}
	if t.RefreshReuseGrace < 0 || t.RefreshReuseGrace > MaxRefreshReuseGrace {
		v.check("tokens.refreshReuseGrace", fmt.Errorf("must be between 0 (off) and %v, got %v", MaxRefreshReuseGrace, t.RefreshReuseGrace))
	}
	longest := max(t.AccessTokenLifetime, t.IDTokenLifetime)
	if c.Keys.RetirePublishFor > 0 && longest > 0 && c.Keys.RetirePublishFor <= longest {
		v.check("keys.retirePublishFor", fmt.Errorf("must be longer than the access and ID token lifetimes (%v), got %v", longest, c.Keys.RetirePublishFor))
	}
}

type validation struct{ errs []error }

func (v *validation) check(key string, err error) {
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("%s: %w", label(key), err))
	}
}

// checkMasterKey refuses production without a key the operator chose: a
// key made up on the spot could not open the secrets already stored.
func (c Config) checkMasterKey(v *validation) {
	// Its format is checked where it is parsed, by the secret package,
	// which this leaf package may not import; here only whether it is set.
	if c.MasterKey != "" {
		return
	}
	switch {
	case c.MasterKeyFile == "" && c.IsProduction():
		v.check("masterKey", errors.New("production needs FOYER_MASTER_KEY or an existing masterKeyFile (FOYER_MASTER_KEY_FILE)"))
		return
	case c.MasterKeyFile == "":
		v.check("masterKeyFile", errors.New("must be set when there is no masterKey and no dataDir"))
		return
	case !c.IsProduction():
		return
	}
	if _, err := os.Stat(c.MasterKeyFile); errors.Is(err, fs.ErrNotExist) {
		v.check("masterKeyFile", fmt.Errorf("%s does not exist; production never creates a master key", c.MasterKeyFile))
	}
}

func oneOf(got string, allowed ...string) error {
	for _, a := range allowed {
		if got == a {
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %q", got, allowed)
}

func notNegative(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("must not be negative, got %v", d)
	}
	return nil
}

func positive(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("must be positive, got %v", d)
	}
	return nil
}

func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. :8080 or 127.0.0.1:8080)", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no valid port number", addr)
	}
	return nil
}

// checkDebugAddr lets the profiling listener bind a loopback address
// only: profiles and goroutine dumps show the server's insides, so they
// are for someone on the machine itself. An empty host (":6060") would
// listen on every interface.
func checkDebugAddr(addr string) error {
	if err := checkAddr(addr); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(addr)
	if !isLoopback(host) {
		return fmt.Errorf("%q must be on a loopback address like 127.0.0.1:6060 or [::1]:6060: profiles show the server's insides", addr)
	}
	return nil
}

func checkExternalURL(raw string, production bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme == "" || u.Host == "":
		return fmt.Errorf("%q must be an absolute URL like https://id.example.com", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must use http or https", raw)
	case strings.Contains(raw, "?"):
		return fmt.Errorf("%q must not have a query", raw)
	case strings.Contains(raw, "#"):
		return fmt.Errorf("%q must not have a fragment", raw)
	case u.User != nil:
		return fmt.Errorf("%q must not carry user information", raw)
	case production && u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("%q must use https in production", raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkDatabase never quotes the URL: it may carry a password.
func checkDatabase(dsn string) error {
	if dsn == "" {
		return nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return errors.New("is not a valid URL")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("scheme %q is not supported: leave empty for SQLite or use postgres://", u.Scheme)
	}
	return nil
}

// checkMail checks the SMTP URL's scheme, host and port and the sender
// address. It never quotes the URL: it may carry a password.
func (c Config) checkMail(v *validation) {
	if c.Mail.From != "" {
		if _, err := mail.ParseAddress(c.Mail.From); err != nil {
			v.check("mail.from", fmt.Errorf("%q is not an email address", c.Mail.From))
		}
	}
	if !c.HasSMTP() {
		return
	}
	u, _, err := ParseSMTPURL(c.Mail.SMTPURL.Reveal())
	if err != nil {
		v.check("mail.smtpURL", err)
		return
	}
	from := u.From
	if from == "" && c.Mail.From == "" {
		v.check("mail.from", errors.New("must be set (or ?from= in mail.smtpURL) when an SMTP server is configured"))
	}
	if u.Scheme == SMTPSchemeInsecure && c.IsProduction() && !isLoopback(u.Host) {
		v.check("mail.smtpURL", errors.New("smtp+insecure sends passwords and mail in the clear: production allows it to loopback only; use smtp (STARTTLS) or smtps"))
	}
}
