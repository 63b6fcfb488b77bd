package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/foyer-idp/foyer/internal/accesstoken"
)

// VerifyToken checks a bearer access token for the API's audience and
// answers its claims; accesstoken.ErrInvalid for a token that is not one,
// any other error when Foyer cannot tell.
type VerifyToken func(ctx context.Context, raw string) (accesstoken.Claims, error)

// bearer authenticates requests by their access token: a valid token puts
// its principal in the context; a missing one leaves none, so the route
// answers 401; an invalid one (an ID token, another audience, expired,
// revoked, another issuer) is 401 here, before any route runs.
func (a *API) bearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := bearerToken(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		c, err := a.verify(r.Context(), raw)
		if errors.Is(err, accesstoken.ErrInvalid) {
			a.writeError(w, r, &apiError{http.StatusUnauthorized, codeInvalidToken, "Access token validation failure. Invalid audience, issuer, signature or lifetime."})
			return
		}
		if err != nil {
			a.logger.ErrorContext(r.Context(), "verify access token", "err", err)
			a.writeError(w, r, &apiError{http.StatusServiceUnavailable, codeUnavailable, "The service is temporarily unavailable. Please retry later."})
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), principalOf(c))))
	})
}

// bearerToken answers the token of an "Authorization: Bearer …" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

func principalOf(c accesstoken.Claims) Principal {
	p := Principal{TenantID: c.TenantID, ClientID: c.ClientID, Roles: c.Roles, Scp: c.Scp}
	if c.IsUser {
		// A delegated token carries only delegated permissions; an app's
		// roles never ride along on a user's call.
		p.UserID, p.Roles = c.Subject, nil
	} else {
		p.Scp = nil
	}
	return p
}
