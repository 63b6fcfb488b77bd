package signin

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/store"
)

// Outcome is what Begin did with a request.
type Outcome int

const (
	// Shown: the browser was sent to a sign-in page; the transaction is
	// stored and ends at the provider's callback.
	Shown Outcome = iota + 1
	// Finished: the browser's session and a remembered consent cover the
	// request, whose user fields Begin filled in. Nothing was stored; the
	// caller issues the response now.
	Finished
)

// Errors Begin answers for prompt=none when it cannot finish silently.
var (
	ErrLoginRequired   = errors.New("the user must sign in")
	ErrConsentRequired = errors.New("the user must consent")
	// ErrInteractionRequired: the session lacks the second factor policy
	// asks for.
	ErrInteractionRequired = errors.New("the user must prove a second factor")
)

// Start is a validated authorization request about to be served.
type Start struct {
	Tenant  store.Tenant
	App     store.Application
	Request *store.AuthRequest
}

// Begin serves a validated authorization request: it finishes at once when
// the browser's session and a remembered consent cover it (prompt,
// max_age and id_token_hint permitting), otherwise it binds the
// transaction to this browser, stores it and sends the browser to the
// login, second-factor or consent page. For prompt=none it never shows a
// page: it answers ErrLoginRequired, ErrInteractionRequired or
// ErrConsentRequired instead. Any other error means
// the store failed and nothing was written to w.
func (c *Core) Begin(w http.ResponseWriter, r *http.Request, s Start) (Outcome, error) {
	ctx := r.Context()
	req := s.Request
	now := c.clock()
	sess, user, signedIn, err := c.currentSession(r, s.Tenant)
	if err != nil {
		return 0, err
	}
	needLogin := !signedIn || slices.Contains(req.Prompt, "login") ||
		(req.MaxAge != nil && now.Sub(sess.AuthTime) >= time.Duration(*req.MaxAge)*time.Second) ||
		(req.IDTokenHintSubject != "" && req.IDTokenHintSubject != user.ID)
	none := slices.Contains(req.Prompt, "none")
	if none && needLogin {
		return 0, ErrLoginRequired
	}
	needMFA := !needLogin && mfa.NeedsMFA(s.Tenant, s.App, user, sess.AMR, req.ACRValues)
	if none && needMFA {
		return 0, ErrInteractionRequired
	}
	if !needLogin {
		req.UserID, req.SessionID, req.AMR = user.ID, sess.ID, sess.AMR
		authTime := sess.AuthTime
		req.AuthTime = &authTime
	}
	if !needLogin && !needMFA {
		needConsent, err := c.needsConsent(ctx, s.App, user.ID, *req)
		if err != nil {
			return 0, err
		}
		if !needConsent {
			req.ConsentGiven, req.Done = true, true
			return Finished, nil
		}
		if none {
			return 0, ErrConsentRequired
		}
	}
	req.BrowserBinding = c.bind(w, r)
	if err := c.store.CreateAuthRequest(ctx, *req); err != nil {
		return 0, fmt.Errorf("store login transaction: %w", err)
	}
	page := "login"
	switch {
	case needMFA:
		page = "mfa"
	case !needLogin:
		page = "consent"
	}
	c.redirect(w, r, s.Tenant, page, req.ID)
	return Shown, nil
}

// CallbackPath is where a finished transaction goes: the provider's
// authorization callback, under the tenant's issuer.
const CallbackPath = "/authorize/callback"
