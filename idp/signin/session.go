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
func (f *Flow) cookieName(name string) string {
	if f.secure {
		return "__Host-" + name
	}
	return name
}

// browserCookie names the cookie binding login transactions to a browser.
func (f *Flow) browserCookie() string { return f.cookieName("foyer-browser") }

// SessionCookie names the tenant's session cookie.
func (f *Flow) SessionCookie(t store.Tenant) string { return f.cookieName("foyer-session-" + t.Slug) }

func (f *Flow) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: f.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (f *Flow) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: f.secure, SameSite: http.SameSiteLaxMode,
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

func (f *Flow) BrowserValue(r *http.Request) (string, bool) {
	return cookieValue(r, f.browserCookie())
}

// Binding is what a transaction stores of the browser cookie.
func (f *Flow) Binding(value string) string { return f.hasher.Hash("browser\x00" + value) }

// Browser answers this browser's cookie value and its binding, setting
// the cookie first when it has none. One cookie serves every transaction
// of the browser, so two tabs signing in at once do not undo each other.
func (f *Flow) Browser(w http.ResponseWriter, r *http.Request) (value, binding string) {
	value, ok := f.BrowserValue(r)
	if !ok {
		value = secret.NewToken(cookieSecretBytes)
	}
	// Renewed each time so it outlives the transaction just started.
	f.setCookie(w, f.browserCookie(), value, f.loginLifetime)
	return value, f.Binding(value)
}

// bind answers the binding of this browser; see browser.
func (f *Flow) bind(w http.ResponseWriter, r *http.Request) string {
	_, binding := f.Browser(w, r)
	return binding
}

// sessionID is the stored id of a session cookie's secret.
func (f *Flow) sessionID(value string) string { return f.hasher.Hash("session\x00" + value) }

// currentSession answers the browser's live session at the tenant and its
// user. A missing, expired, idle or revoked session, or one whose user is
// gone, disabled or signed out everywhere since (store.User.Honours), is
// no session; only a store failure is an error. Using a session keeps it
// alive: its LastSeenAt moves on, written at most once per touchEvery.
func (f *Flow) currentSession(r *http.Request, t store.Tenant) (store.Session, store.User, bool, error) {
	value, ok := cookieValue(r, f.SessionCookie(t))
	if !ok {
		return store.Session{}, store.User{}, false, nil
	}
	ctx := r.Context()
	now := f.clock()
	sess, err := f.store.GetSession(ctx, t.ID, f.sessionID(value), now)
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, store.User{}, false, nil
	}
	if err != nil {
		return store.Session{}, store.User{}, false, fmt.Errorf("load session: %w", err)
	}
	if idle := now.Sub(sess.LastSeenAt); idle >= f.sessionIdleTimeout {
		return store.Session{}, store.User{}, false, nil
	}
	u, err := f.store.GetUser(ctx, t.ID, sess.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, store.User{}, false, nil
	}
	if err != nil {
		return store.Session{}, store.User{}, false, fmt.Errorf("load session user: %w", err)
	}
	if !u.Honours(sess.AuthTime) {
		return store.Session{}, store.User{}, false, nil
	}
	if now.Sub(sess.LastSeenAt) >= f.touchEvery() {
		if err := f.store.TouchSession(ctx, t.ID, sess.ID, now); err != nil {
			return store.Session{}, store.User{}, false, fmt.Errorf("touch session: %w", err)
		}
		sess.LastSeenAt = now
	}
	return sess, u, true, nil
}

// touchEvery is how stale a session's LastSeenAt may grow before using the
// session writes it again: a minute, or less for a short idle timeout, so
// the sliding idle timeout costs one write a minute, not one per request.
func (f *Flow) touchEvery() time.Duration { return min(time.Minute, f.sessionIdleTimeout/4) }

// SID answers the sid claim of the session with this id: an opaque
// identifier of the session for relying parties (OpenID Connect
// Front-Channel Logout 1.0 §3), from which neither the stored id nor the
// cookie can be recovered.
func (f *Flow) SID(sessionID string) string {
	if sessionID == "" {
		return ""
	}
	return f.hasher.Hash("sid\x00" + sessionID)
}

// StartSession opens a new session for u after an authentication step. The
// cookie gets a new secret every time, and the session the browser had
// before is deleted: a session id planted in the browser before the
// sign-in (fixation) is worth nothing after it.
//
// up names the upstream provider behind the sign-in, zero for local ones.
func (f *Flow) StartSession(w http.ResponseWriter, r *http.Request, t store.Tenant, u store.User, amr []string, up store.Upstream) (store.Session, error) {
	ctx := r.Context()
	if old, ok := cookieValue(r, f.SessionCookie(t)); ok {
		if err := f.store.DeleteSession(ctx, t.ID, f.sessionID(old)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return store.Session{}, fmt.Errorf("end previous session: %w", err)
		}
	}
	now := f.clock()
	value := secret.NewToken(cookieSecretBytes)
	s := store.Session{
		TenantID: t.ID, ID: f.sessionID(value), UserID: u.ID, AuthTime: now, AMR: amr, Upstream: up,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(f.sessionLifetime),
	}
	if err := f.store.CreateSession(ctx, s); err != nil {
		return store.Session{}, fmt.Errorf("create session: %w", err)
	}
	f.setCookie(w, f.SessionCookie(t), value, f.sessionLifetime)
	return s, nil
}

// endSession deletes the browser's session at the tenant and its cookie,
// answering the user it belonged to, if any.
func (f *Flow) endSession(w http.ResponseWriter, r *http.Request, t store.Tenant) (userID string, err error) {
	value, ok := cookieValue(r, f.SessionCookie(t))
	if !ok {
		return "", nil
	}
	ctx := r.Context()
	id := f.sessionID(value)
	sess, err := f.store.GetSession(ctx, t.ID, id, f.clock())
	switch {
	case err == nil:
		userID = sess.UserID
	case !errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("load session: %w", err)
	}
	if err := f.store.DeleteSession(ctx, t.ID, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("delete session: %w", err)
	}
	f.clearCookie(w, f.SessionCookie(t))
	return userID, nil
}

// CSRFToken answers the form token of a transaction page: bound to the
// transaction and to the browser cookie, which another site cannot read.
func (f *Flow) CSRFToken(requestID, BrowserValue string) string {
	return f.hasher.Hash("csrf\x00" + requestID + "\x00" + BrowserValue)
}
