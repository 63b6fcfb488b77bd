package signin

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// cookieSecretBytes is the entropy of session and browser cookies.
const cookieSecretBytes = 32

// cookieName prefixes name with __Host- on https: such a cookie is Secure,
// has Path=/ and no Domain, so no other host or path can plant it.
func (c *Core) cookieName(name string) string {
	if c.secure {
		return "__Host-" + name
	}
	return name
}

// browserCookie names the cookie binding login transactions to a browser.
func (c *Core) browserCookie() string { return c.cookieName("foyer-browser") }

// SessionCookie names the tenant's session cookie.
func (c *Core) SessionCookie(t store.Tenant) string { return c.cookieName("foyer-session-" + t.Slug) }

func (c *Core) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (c *Core) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

// cookieValue answers a well-formed secret cookie's value.
func cookieValue(r *http.Request, name string) (string, bool) {
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) != 43 { // 32 bytes, base64url without padding
		return "", false
	}
	return c.Value, true
}

func (c *Core) BrowserValue(r *http.Request) (string, bool) {
	return cookieValue(r, c.browserCookie())
}

// Binding is what a transaction stores of the browser cookie.
func (c *Core) Binding(value string) string { return c.hasher.Hash("browser\x00" + value) }

// Browser answers this browser's cookie value and its binding, setting
// the cookie first when it has none. One cookie serves every transaction
// of the browser, so two tabs signing in at once do not undo each other.
func (c *Core) Browser(w http.ResponseWriter, r *http.Request) (value, binding string) {
	value, ok := c.BrowserValue(r)
	if !ok {
		value = secret.NewToken(cookieSecretBytes)
	}
	// Renewed each time so it outlives the transaction just started.
	c.setCookie(w, c.browserCookie(), value, c.loginLifetime)
	return value, c.Binding(value)
}

// bind answers the binding of this browser; see browser.
func (c *Core) bind(w http.ResponseWriter, r *http.Request) string {
	_, binding := c.Browser(w, r)
	return binding
}

// sessionID is the stored id of a session cookie's secret.
func (c *Core) sessionID(value string) string { return c.hasher.Hash("session\x00" + value) }

// currentSession answers the browser's live session at the tenant and its
// user. A missing, expired, idle or revoked session, or one whose user is
// gone, disabled or signed out everywhere since (store.User.Honours), is
// no session; so is one whose user must change their password: the next
// sign-in asks for the password, then the change, instead of finishing
// silently. Only a store failure is an error. Using a session keeps it
// alive: its LastSeenAt moves on, written at most once per touchEvery.
func (c *Core) currentSession(r *http.Request, t store.Tenant) (store.Session, store.User, bool, error) {
	value, ok := cookieValue(r, c.SessionCookie(t))
	if !ok {
		return store.Session{}, store.User{}, false, nil
	}
	ctx := r.Context()
	now := c.clock()
	sess, err := c.store.GetSession(ctx, t.ID, c.sessionID(value), now)
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, store.User{}, false, nil
	}
	if err != nil {
		return store.Session{}, store.User{}, false, fmt.Errorf("load session: %w", err)
	}
	if idle := now.Sub(sess.LastSeenAt); idle >= c.sessionIdleTimeout {
		return store.Session{}, store.User{}, false, nil
	}
	u, err := c.store.GetUserCore(ctx, t.ID, sess.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, store.User{}, false, nil
	}
	if err != nil {
		return store.Session{}, store.User{}, false, fmt.Errorf("load session user: %w", err)
	}
	if !u.Honours(sess.AuthTime) || u.ForceChangePassword {
		return store.Session{}, store.User{}, false, nil
	}
	if now.Sub(sess.LastSeenAt) >= c.touchEvery() {
		if err := c.store.TouchSession(ctx, t.ID, sess.ID, now); err != nil {
			return store.Session{}, store.User{}, false, fmt.Errorf("touch session: %w", err)
		}
		sess.LastSeenAt = now
	}
	return sess, u, true, nil
}

// touchEvery is how stale a session's LastSeenAt may grow before using the
// session writes it again: a minute, or less for a short idle timeout, so
// the sliding idle timeout costs one write a minute, not one per request.
func (c *Core) touchEvery() time.Duration { return min(time.Minute, c.sessionIdleTimeout/4) }

// SID answers the sid claim of the session with this id: an opaque
// identifier of the session for relying parties (OpenID Connect
// Front-Channel Logout 1.0 §3), from which neither the stored id nor the
// cookie can be recovered.
func (c *Core) SID(sessionID string) string {
	if sessionID == "" {
		return ""
	}
	return c.hasher.Hash("sid\x00" + sessionID)
}

// StartSession opens a new session for u after an authentication step. The
// cookie gets a new secret every time, and the session the browser had
// before is deleted: a session id planted in the browser before the
// sign-in (fixation) is worth nothing after it.
//
// up names the upstream provider behind the sign-in, zero for local ones.
func (c *Core) StartSession(w http.ResponseWriter, r *http.Request, t store.Tenant, u store.User, amr []string, up store.Upstream) (store.Session, error) {
	ctx := r.Context()
	if old, ok := cookieValue(r, c.SessionCookie(t)); ok {
		if err := c.store.DeleteSession(ctx, t.ID, c.sessionID(old)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return store.Session{}, fmt.Errorf("end previous session: %w", err)
		}
	}
	now := c.clock()
	value := secret.NewToken(cookieSecretBytes)
	s := store.Session{
		TenantID: t.ID, ID: c.sessionID(value), UserID: u.ID, AuthTime: now, AMR: amr, Upstream: up,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(c.sessionLifetime),
	}
	if err := c.store.CreateSession(ctx, s); err != nil {
		return store.Session{}, fmt.Errorf("create session: %w", err)
	}
	c.setCookie(w, c.SessionCookie(t), value, c.sessionLifetime)
	return s, nil
}

// endSession deletes the browser's session at the tenant and its cookie,
// answering the user it belonged to, if any.
func (c *Core) endSession(w http.ResponseWriter, r *http.Request, t store.Tenant) (userID string, err error) {
	value, ok := cookieValue(r, c.SessionCookie(t))
	if !ok {
		return "", nil
	}
	ctx := r.Context()
	id := c.sessionID(value)
	sess, err := c.store.GetSession(ctx, t.ID, id, c.clock())
	switch {
	case err == nil:
		userID = sess.UserID
	case !errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("load session: %w", err)
	}
	if err := c.store.DeleteSession(ctx, t.ID, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("delete session: %w", err)
	}
	c.clearCookie(w, c.SessionCookie(t))
	return userID, nil
}

// CSRFToken answers the form token of a transaction page: bound to the
// transaction and to the browser cookie, which another site cannot read.
func (c *Core) CSRFToken(requestID, BrowserValue string) string {
	return c.hasher.Hash("csrf\x00" + requestID + "\x00" + BrowserValue)
}
