package signin

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// The security info page: what a signed-in user has registered, and ways
// to replace the authenticator or renew recovery codes. Each change needs
// a code from the current second factor typed on the page (or, for a user
// without one, a sign-in of the last ten minutes); the mfa service emails
// the user about every change.

// SecurityInfoPath is the security info page, under the tenant.
const SecurityInfoPath = "/security-info"

// freshSignIn is how recent a sign-in must be to add a first
// authenticator, and how long a verified code lets a replacement finish.
const freshSignIn = 10 * time.Minute

type methodsView struct {
	Registered    bool
	RecoveryCodes int
	LockedUntil   string
	// Proof is the signed, time-stamped mark of a code verified on this
	// page, carried by the enrolment form that follows.
	Proof string
}

// SecurityInfo is the security info page: a signed-in user's second
// factor, enrolled, reset and its recovery codes renewed, over the core.
type SecurityInfo struct {
	*Core
	mfa MFA
}

// NewSecurityInfo answers the security-info page over core, enrolling
// and checking factors with mfa.
func NewSecurityInfo(core *Core, mfa MFA) *SecurityInfo { return &SecurityInfo{Core: core, mfa: mfa} }

// Mount registers the security-info page on mux behind wrap, which must
// put the tenant in the request context (tenancy.Gate).
func (h *SecurityInfo) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	mux.Handle("GET /t/{tenant}"+SecurityInfoPath, wrap(http.HandlerFunc(h.securityInfoPage)))
	mux.Handle("POST /t/{tenant}"+SecurityInfoPath, wrap(h.Protect(http.HandlerFunc(h.securityInfo))))
}

// securityInfoSession answers the browser's session at the tenant; on
// failure it has answered.
func (h *SecurityInfo) securityInfoSession(w http.ResponseWriter, r *http.Request) (store.Tenant, store.Session, store.User, string, bool) {
	t, _ := tenancy.From(r.Context())
	sess, user, ok, err := h.currentSession(r, t)
	if err != nil {
		h.Unavailable(w, r, t, "load session", err)
		return t, store.Session{}, store.User{}, "", false
	}
	browser, hasBrowser := h.BrowserValue(r)
	if !ok || !hasBrowser {
		msg := "Sign in to an application of " + t.DisplayName + " in this browser, then open this page again."
		next := h.signInNext(r, t)
		if next != nil {
			msg = "Sign in to " + next.app + " in this browser, then open this page again."
		}
		h.ErrorPageNext(w, r, t, http.StatusUnauthorized, "Sign in first", msg, next.step())
		return t, store.Session{}, store.User{}, "", false
	}
	return t, sess, user, browser, true
}

func (h *SecurityInfo) securityInfoView(r *http.Request, t store.Tenant, sess store.Session, user store.User, browser, message string) (View, error) {
	st, err := h.mfa.Status(r.Context(), t.ID, user.ID)
	if err != nil {
		return View{}, err
	}
	v := Branded(t, "Security info")
	v.Action = h.TenantURL(t, SecurityInfoPath)
	v.CSRF = h.CSRFToken("security\x00"+sess.ID, browser)
	v.Person = person(user)
	v.Error = message
	v.Methods = &methodsView{Registered: st.Registered, RecoveryCodes: st.RecoveryCodes}
	if st.LockedUntil != nil && st.LockedUntil.After(h.clock()) {
		v.Methods.LockedUntil = st.LockedUntil.UTC().Format("2006-01-02 15:04 UTC")
	}
	return v, nil
}

// securityInfoPage serves GET /t/{tenant}/security-info.
func (h *SecurityInfo) securityInfoPage(w http.ResponseWriter, r *http.Request) {
	t, sess, user, browser, ok := h.securityInfoSession(w, r)
	if !ok {
		return
	}
	v, err := h.securityInfoView(r, t, sess, user, browser, "")
	if err != nil {
		h.Unavailable(w, r, t, "load security info", err)
		return
	}
	h.Render(w, r, http.StatusOK, "securityinfo", v)
}

// proof marks a second factor proven on this page at 'at', for this
// session.
func (h *SecurityInfo) proof(sessionID string, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return ts + "." + h.hasher.Hash("security-proof\x00"+sessionID+"\x00"+ts)
}

// proven reports whether p is a proof of this session made less than
// freshSignIn ago.
func (h *SecurityInfo) proven(sessionID, p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '.' {
			continue
		}
		unix, err := strconv.ParseInt(p[:i], 10, 64)
		if err != nil {
			return false
		}
		at := time.Unix(unix, 0)
		return h.clock().Sub(at) < freshSignIn && !at.After(h.clock()) &&
			secret.EqualHashes(p[i+1:], h.hasher.Hash("security-proof\x00"+sessionID+"\x00"+p[:i]))
	}
	return false
}

// securityInfo serves POST /t/{tenant}/security-info: prove the current
// factor, then renew recovery codes or enrol a new authenticator.
func (h *SecurityInfo) securityInfo(w http.ResponseWriter, r *http.Request) {
	if !h.ParseForm(w, r) {
		return
	}
	t, sess, user, browser, ok := h.securityInfoSession(w, r)
	if !ok {
		return
	}
	if !equalStrings(r.PostFormValue("csrf_token"), h.CSRFToken("security\x00"+sess.ID, browser)) {
		h.RefusedCSRF(w, r, t)
		return
	}
	ctx := r.Context()
	again := func(status int, msg string) {
		v, err := h.securityInfoView(r, t, sess, user, browser, msg)
		if err != nil {
			h.Unavailable(w, r, t, "load security info", err)
			return
		}
		h.Render(w, r, status, "securityinfo", v)
	}
	st, err := h.mfa.Status(ctx, t.ID, user.ID)
	if err != nil {
		h.Unavailable(w, r, t, "load security info", err)
		return
	}
	action := r.PostFormValue("action")
	if action == "confirm" {
		if !h.proven(sess.ID, r.PostFormValue("proof")) {
			again(http.StatusForbidden, "That took too long. Start again.")
			return
		}
		codes, err := h.mfa.ConfirmEnrolment(ctx, t, user, r.PostFormValue("code"))
		if msg, ok := mfaMessage(err); ok {
			h.showSecurityEnrolment(w, r, t, sess, user, browser, r.PostFormValue("proof"), http.StatusUnauthorized, msg)
			return
		}
		if err != nil {
			h.Unavailable(w, r, t, "confirm enrolment", err)
			return
		}
		h.showRecoveryCodes(w, r, t, codes, h.TenantURL(t, SecurityInfoPath))
		return
	}
	// Every other change first proves the current second factor, or for a
	// user without one a fresh sign-in.
	if st.Registered {
		if _, err := h.mfa.Verify(ctx, t, user.ID, r.PostFormValue("code")); err != nil {
			if msg, ok := mfaMessage(err); ok {
				again(http.StatusUnauthorized, msg)
				return
			}
			h.Unavailable(w, r, t, "verify code", err)
			return
		}
	} else if h.clock().Sub(sess.AuthTime) >= freshSignIn {
		again(http.StatusForbidden, "Sign in again to add an authenticator: your sign-in is more than ten minutes old.")
		return
	}
	switch {
	case action == "codes" && st.Registered:
		codes, err := h.mfa.RegenerateRecoveryCodes(ctx, t, user)
		if err != nil {
			h.Unavailable(w, r, t, "renew recovery codes", err)
			return
		}
		h.showRecoveryCodes(w, r, t, codes, h.TenantURL(t, SecurityInfoPath))
	case action == "replace":
		h.showSecurityEnrolment(w, r, t, sess, user, browser, h.proof(sess.ID, h.clock()), http.StatusOK, "")
	default:
		again(http.StatusBadRequest, "Choose one of the buttons.")
	}
}

func (h *SecurityInfo) showSecurityEnrolment(w http.ResponseWriter, r *http.Request, t store.Tenant, sess store.Session, user store.User, browser, proof string, status int, message string) {
	e, err := h.mfa.Enrolment(r.Context(), t, user)
	if err != nil {
		h.Unavailable(w, r, t, "begin enrolment", err)
		return
	}
	v := Branded(t, "Set up your authenticator app")
	v.Action = h.TenantURL(t, SecurityInfoPath)
	v.CSRF = h.CSRFToken("security\x00"+sess.ID, browser)
	v.Email = user.Mail
	v.Hidden = map[string]string{"proof": proof}
	v.Enrolment = enrolmentView(e)
	v.Error = message
	h.Render(w, r, status, "mfaenrol", v)
}

// appLink is an application where a person can sign in.
type appLink struct {
	app string
	url string
}

func (a *appLink) step() *NextStep {
	if a == nil {
		return nil
	}
	return &NextStep{URL: a.url, Text: "Sign in to " + a.app}
}

// signInNext answers where a person without a session at t signs in: the
// home page of one of the tenant's apps (first-party ones first, then by
// name), or nil when no app has one. Best effort: a store failure answers
// nil.
func (h *SecurityInfo) signInNext(r *http.Request, t store.Tenant) *appLink {
	apps, err := h.store.ListApplications(r.Context(), t.ID)
	if err != nil {
		h.logger.WarnContext(r.Context(), "list applications for a sign-in link", "tenant", t.Slug, "err", err)
		return nil
	}
	var best *store.Application
	for i := range apps {
		a := &apps[i]
		if !httpURL(a.HomePageURL) {
			continue
		}
		if best == nil || a.FirstParty && !best.FirstParty ||
			a.FirstParty == best.FirstParty && a.DisplayName < best.DisplayName {
			best = a
		}
	}
	if best == nil {
		return nil
	}
	return &appLink{app: best.DisplayName, url: best.HomePageURL}
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
