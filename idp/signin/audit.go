package signin

import (
	"context"
	"errors"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

// Audit names of sign-in events.
const (
	CategorySignIn  = "SignIn"
	ActivitySignIn  = "Sign-in"
	ActivitySignOut = "Sign-out"
)

// Sign-in results, as the foyer_signins_total metric labels them.
const (
	resultSuccess   = "success"
	resultFailure   = "failure"
	resultThrottled = "throttled"
)

// maxAuditName bounds what a typed account name puts in an audit row.
const maxAuditName = 256

// signInEvent records a sign-in attempt at app. actor is the user when
// known; otherwise the name typed, so an admin can see which account was
// tried. reason is empty for a success. The event is best effort: a store
// failure is logged, and the sign-in goes on or fails on its own merits.
func (c *Core) signInEvent(ctx context.Context, t store.Tenant, app store.Application, actor audit.Actor, activity, result, reason string) {
	e := audit.Entry{TenantID: t.ID, Category: CategorySignIn, Activity: activity}
	if app.ID != "" {
		e.Target = audit.Target{Type: audit.TargetApplication, ID: app.ID, Name: app.DisplayName}
	}
	if reason != "" {
		e.Err = errors.New(reason)
	}
	if len(actor.Name) > maxAuditName {
		actor.Name = actor.Name[:maxAuditName]
	}
	if err := audit.Record(audit.WithActor(ctx, actor), c.store, c.clock(), e); err != nil {
		c.logger.WarnContext(ctx, "record sign-in event", "tenant", t.Slug, "err", err)
	}
	if c.signIns != nil && activity == ActivitySignIn {
		c.signIns.WithLabelValues(t.Slug, result).Inc()
	}
}

func userActor(u store.User) audit.Actor {
	return audit.Actor{Type: store.ActorUser, ID: u.ID, Name: u.UserPrincipalName}
}

// RecordDenied records a sign-in that authenticated but was refused
// access to app (not assigned, account disabled since), as a failure.
func (c *Core) RecordDenied(ctx context.Context, t store.Tenant, app store.Application, userID, reason string) {
	actor := audit.Actor{Type: store.ActorUser, ID: userID}
	if u, err := c.store.GetUser(ctx, t.ID, userID); err == nil {
		actor = userActor(u)
	}
	c.signInEvent(ctx, t, app, actor, ActivitySignIn, resultFailure, reason)
}

// typedActor names the actor of a failed attempt: the user the typed name
// belongs to when there is one, else the name as typed.
func (c *Core) typedActor(ctx context.Context, t store.Tenant, typed string) audit.Actor {
	if u, err := c.store.GetUserByEmail(ctx, t.ID, normalizeAccount(typed)); err == nil {
		return userActor(u)
	}
	return audit.Actor{Type: store.ActorUser, Name: typed}
}
