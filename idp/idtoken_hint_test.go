package idp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestIDTokenHintMustBeAnIDTokenOfTheTenant: an id_token_hint, at the
// authorization endpoint and at end_session, goes through the one JWT
// verifier (internal/accesstoken) and must be an ID token the tenant
// signed and issued. An access token, an ID token with a broken
// signature, one signed by another tenant, or one carrying a jti (as
// access tokens do) is refused; an expired genuine one is accepted.
func TestIDTokenHintMustBeAnIDTokenOfTheTenant(t *testing.T) {
	t.Parallel()
	runWoodgrove(t, func(t *testing.T, w woodgrove) {
		own, _ := w.web.tokens(t, w.browser(), w.alice.Mail)
		idt := own.Extra("id_token").(string)
		parts := strings.Split(idt, ".")
		sig := []byte(parts[2])
		sig[10] = map[bool]byte{true: 'B', false: 'A'}[sig[10] == 'A']
		fabrikam := w.tenant(t, "fabrikam", "")
		now := time.Now()
		claims := func(iss, tid string, extra map[string]any) map[string]any {
			c := map[string]any{"iss": iss, "sub": w.alice.ID, "aud": "web-app", "azp": "web-app", "tid": tid,
				"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}
			for k, v := range extra {
				c[k] = v
			}
			return c
		}
		for name, hint := range map[string]string{
			"an access token":                own.AccessToken,
			"a broken signature":             parts[0] + "." + parts[1] + "." + string(sig),
			"another tenant's ID token":      w.forge(t, fabrikam, "JWT", claims(w.issuer("fabrikam"), fabrikam.ID, nil)),
			"signed by another tenant's key": w.forge(t, fabrikam, "JWT", claims(w.issuer("woodgrove"), w.tn.ID, nil)),
			"an ID token with a jti":         w.forge(t, w.tn, "JWT", claims(w.issuer("woodgrove"), w.tn.ID, map[string]any{"jti": "x"})),
			"an at+jwt without a jti":        w.forge(t, w.tn, "at+jwt", claims(w.issuer("woodgrove"), w.tn.ID, nil)),
			"an ID token naming no subject":  w.forge(t, w.tn, "JWT", claims(w.issuer("woodgrove"), w.tn.ID, map[string]any{"sub": ""})),
		} {
			r := w.get(t, w.issuer("woodgrove")+"/end_session?"+url.Values{"id_token_hint": {hint}}.Encode())
			assert.Equal(t, http.StatusBadRequest, r.status, name)
			assert.Contains(t, r.body, "Foyer did not issue", name)

			q := redirectQuery(t, w.get(t, w.web.authURL(url.Values{"id_token_hint": {hint}}).url))
			assert.Equal(t, "invalid_request", q.Get("error"), name)
			assert.Equal(t, w.issuer("woodgrove"), q.Get("iss"), name)
		}

		// A genuine hint, even expired, is accepted: the sign-in page and
		// the sign-out confirmation, not an error.
		expired := w.forge(t, w.tn, "JWT", claims(w.issuer("woodgrove"), w.tn.ID, nil))
		for _, hint := range []string{idt, expired} {
			r := w.get(t, w.issuer("woodgrove")+"/end_session?"+url.Values{"id_token_hint": {hint}}.Encode())
			assert.Equal(t, http.StatusOK, r.status, r.body)
			r = w.get(t, w.web.authURL(url.Values{"id_token_hint": {hint}}).url)
			assert.NotContains(t, r.header.Get("Location"), "error=", r.body)
		}
	})
}
