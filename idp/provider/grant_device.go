package provider

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/foyer-idp/foyer/idp/signin"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// The device authorization grant (RFC 8628): the device authorization
// endpoint answers a device code for the client and a user code for its
// user; the user approves at the verification page (idp/signin's Device,
// then Begin's sign-in and the consent page), whose transaction ends at
// the callback, in finishDevice; the client polls the token endpoint
// until the approval is there, and redeems it once.

const (
	// deviceCodeLifetime bounds the whole device sign-in.
	deviceCodeLifetime = 10 * time.Minute
	// devicePollInterval is the wait between polls a client must keep;
	// slow_down adds deviceSlowDown to it (RFC 8628 §3.5).
	devicePollInterval = 5 * time.Second
	deviceSlowDown     = 5 * time.Second
	// userCodeTries bounds the retries of a user code whose hash is
	// already taken in the tenant.
	userCodeTries = 3
)

// authorizeDevice serves the device authorization request of app
// (RFC 8628 §3.1): only for apps granted the device flow, for the scopes
// the user may grant it.
func (p *Provider) authorizeDevice(ctx context.Context, t store.Tenant, app store.Application, requested []string) (*oidc.DeviceAuthorizationResponse, error) {
	if !slices.Contains(app.GrantTypes, directory.GrantDeviceCode) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("the client may not use the device authorization grant")
	}
	scopes, aerr := p.grantableScopes(app, requested)
	if aerr != nil {
		return nil, oidc.ErrInvalidScope().WithDescription("%s", aerr.description) // its one refusal
	}
	now := p.clock()
	deviceCode := secret.NewToken(tokenBytes)
	d := store.DeviceAuthorization{
		TenantID: t.ID, ID: secret.NewID(), DeviceCodeHash: p.hasher.Hash(deviceCode), ClientID: app.ClientID,
		Scopes: scopes, State: store.DevicePending, Interval: devicePollInterval, NextPollAt: now,
		CreatedAt: now, ExpiresAt: now.Add(deviceCodeLifetime),
	}
	var userCode string
	for try := 1; ; try++ {
		userCode = signin.NewUserCode()
		d.UserCodeHash, _ = signin.UserCodeHash(p.hasher, userCode)
		err := p.store.CreateDeviceAuthorization(ctx, d)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrConflict) || try == userCodeTries {
			return nil, unavailable(err)
		}
	}
	verification := p.issuer(t) + signin.DevicePath
	return &oidc.DeviceAuthorizationResponse{
		DeviceCode: deviceCode, UserCode: userCode, VerificationURI: verification,
		VerificationURIComplete: verification + "?" + url.Values{"user_code": {userCode}}.Encode(),
		ExpiresIn:               int(deviceCodeLifetime / time.Second), Interval: int(devicePollInterval / time.Second),
	}, nil
}

// msgDeviceCodeGone tells the user a device code can no longer be
// approved.
const msgDeviceCodeGone = "This code has expired or was already used. Start again on your device."

// finishDevice records the decision of a finished device transaction and
// tells the user on a page: denied when they denied or may not use the
// app, approved otherwise. The transaction ends here whatever the answer.
func (p *Provider) finishDevice(w http.ResponseWriter, r *http.Request, t store.Tenant, app store.Application, req store.AuthRequest) {
	ctx := r.Context()
	defer p.deleteRequest(r, t, req.ID)
	now := p.clock()
	d, err := p.store.GetPendingDeviceAuthorization(ctx, t.ID, req.DeviceID, "", now)
	if errors.Is(err, store.ErrNotFound) {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Code expired", msgDeviceCodeGone)
		return
	}
	if err != nil {
		p.flow.Unavailable(w, r, t, "load device authorization", err)
		return
	}
	if !req.Done {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Sign-in not complete", "Open the address your device shows and start again.")
		return
	}
	if !req.ConsentGiven {
		if p.decideDevice(w, r, t, d, now) {
			p.flow.Message(w, r, t, "Request denied", "You denied "+app.DisplayName+" on your device. You can close this window.")
		}
		return
	}
	refusal, admitted := p.admitted(w, r, t, app, req)
	switch {
	case !admitted && refusal == nil:
		return // the store failed, and the page said so
	case !admitted && refusal.code == "interaction_required":
		// Left pending: signing in again with the second factor may
		// still approve it.
		p.flow.ErrorPage(w, r, t, http.StatusForbidden, "Second factor required", "Start again from the address your device shows.")
	case !admitted:
		if p.decideDevice(w, r, t, d, now) {
			p.flow.ErrorPage(w, r, t, http.StatusForbidden, "Request refused", "You cannot use "+app.DisplayName+" at "+t.DisplayName+".")
		}
	default:
		d.State, d.UserID, d.AuthTime, d.AMR, d.SID = store.DeviceApproved, req.UserID, req.AuthTime, req.AMR, p.flow.SID(req.SessionID)
		if p.decideDevice(w, r, t, d, now) {
			p.flow.Message(w, r, t, "Device signed in", app.DisplayName+" on your device is now signed in as you. You can close this window.")
		}
	}
}

// decideDevice records d's decision (denied unless d.State says
// approved); on failure it has answered the browser.
func (p *Provider) decideDevice(w http.ResponseWriter, r *http.Request, t store.Tenant, d store.DeviceAuthorization, now time.Time) bool {
	if d.State != store.DeviceApproved {
		d.State = store.DeviceDenied
	}
	err := p.store.DecideDeviceAuthorization(r.Context(), d, now)
	if errors.Is(err, store.ErrNotFound) {
		p.flow.ErrorPage(w, r, t, http.StatusBadRequest, "Code expired", msgDeviceCodeGone)
		return false
	}
	if err != nil {
		p.flow.Unavailable(w, r, t, "record device decision", err)
		return false
	}
	return true
}

// deviceGrant serves the device_code grant over the shared token issuer.
type deviceGrant struct {
	*tokens
	logger *slog.Logger
}

// serve answers a poll of the token endpoint (RFC 8628 §3.4, §3.5).
// Whatever the state, a code of another client is only refused, and a
// code that gave its tokens gives nothing again.
func (dg *deviceGrant) serve(ctx context.Context, t store.Tenant, app store.Application, deviceCode string) (*oidc.AccessTokenResponse, error) {
	hash := dg.hasher.Hash(deviceCode)
	d, err := dg.store.GetDeviceAuthorizationByDeviceCode(ctx, t.ID, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, invalidGrant("the device code is invalid")
	case err != nil:
		return nil, unavailable(err)
	case d.ClientID != app.ClientID:
		dg.logger.WarnContext(ctx, "device code presented by another client", "tenant", t.Slug, "client_id", app.ClientID)
		return nil, invalidGrant("the device code is invalid")
	case d.State == store.DeviceConsumed:
		dg.logger.WarnContext(ctx, "spent device code presented again", "tenant", t.Slug, "client_id", app.ClientID)
		return nil, invalidGrant("the device code was already used")
	}
	now := dg.clock()
	switch {
	case !now.Before(d.ExpiresAt):
		return nil, oidc.ErrExpiredDeviceCode()
	case d.State == store.DeviceDenied:
		return nil, oidc.ErrAccessDenied()
	case d.State == store.DeviceApproved:
		return dg.redeem(ctx, t, app, hash)
	}
	return nil, dg.poll(ctx, t, d, now)
}

// poll records a poll of a pending request and answers
// authorization_pending, or slow_down when it came before the interval
// was up (the interval then grows). Of concurrent polls the database lets
// one through; the others were too fast.
func (dg *deviceGrant) poll(ctx context.Context, t store.Tenant, d store.DeviceAuthorization, now time.Time) error {
	interval, answer := d.Interval, oidc.ErrAuthorizationPending()
	if now.Before(d.NextPollAt) {
		interval, answer = interval+deviceSlowDown, oidc.ErrSlowDown()
	}
	ok, err := dg.store.RecordDevicePoll(ctx, t.ID, d.ID, d.NextPollAt, interval, now.Add(interval))
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		return oidc.ErrSlowDown()
	}
	return answer
}

// redeem consumes an approval and mints its tokens in one transaction, as
// the code grant does: the database decides which of concurrent polls
// gets them.
func (dg *deviceGrant) redeem(ctx context.Context, t store.Tenant, app store.Application, hash string) (*oidc.AccessTokenResponse, error) {
	key, err := dg.signer(ctx, t)
	if err != nil {
		return nil, err
	}
	var resp *oidc.AccessTokenResponse
	var refused error
	err = dg.store.InTx(ctx, func(tx store.Store) error {
		d, err := tx.ConsumeDeviceAuthorization(ctx, t.ID, hash, app.ClientID)
		if err != nil {
			return err
		}
		u, err := tx.GetUserCore(ctx, t.ID, d.UserID)
		if errors.Is(err, store.ErrNotFound) {
			refused = invalidGrant("the user no longer exists")
			return nil
		}
		if err != nil {
			return err
		}
		var authTime time.Time
		if d.AuthTime != nil {
			authTime = *d.AuthTime
		}
		if refused = honoured(u, authTime); refused != nil {
			return nil // the approval is spent; no token comes of it
		}
		m, err := dg.mintWith(key, issue{
			tenant: t, app: app, user: &u, scopes: d.Scopes, authTime: authTime, amr: d.AMR,
			grantID: hash, refresh: wantsRefresh(app, d.Scopes), sid: d.SID,
		})
		if err != nil {
			return err
		}
		resp = m.resp
		return save(ctx, tx, m)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, invalidGrant("the device code was already used")
	case err != nil:
		return nil, unavailable(fmt.Errorf("redeem device code: %w", err))
	case refused != nil:
		return nil, refused
	}
	return resp, nil
}
