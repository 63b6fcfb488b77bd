package signin

import (
	"context"
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Audit names of the sign-out event. Sign-in attempts are not audit
// events: they go to the sign-in log, one row each.
const (
	CategorySignIn  = "SignIn"
	ActivitySignOut = "Sign-out"
)

// Sign-in results, as the foyer_signins_total metric labels them.
const (
	resultSuccess   = "success"
	resultFailure   = "failure"
	resultThrottled = "throttled"
)

// Sign-in status codes: Entra's AADSTS numbers where one fits, so that
// scripts written against Entra's sign-in logs read Foyer's. The README
// lists them.
const (
	// CodeBadCredentials: wrong password, or an account name that matches
	// nobody — the log must not tell an enumerating admin script more
	// than the page told the person (the row then has no userId).
	CodeBadCredentials = 50126
	// CodeThrottled: too many failed attempts (the sign-in throttle, or
	// the second factor's lock).
	CodeThrottled = 50053
	// CodeDisabled: the account is disabled.
	CodeDisabled = 50057
	// CodeNotAssigned: the user is not assigned to the application.
	CodeNotAssigned = 50105
	// CodeMFARequired: the second factor the policy asks for was not
	// proven.
	CodeMFARequired = 50076
	// CodeMFAFailed: a wrong, replayed or early authenticator code, or a
	// failed enrolment.
	CodeMFAFailed = 500121
	// CodePasscodeFailed: a wrong or missing email one-time passcode.
	CodePasscodeFailed = 50181
	// CodeNoGuest: the upstream account is linked to no enabled user of
	// the tenant (not invited, not redeemed, or disabled).
	CodeNoGuest = 90072
	// CodeUpstreamFailed: the upstream provider refused the sign-in or
	// could not be reached.
	CodeUpstreamFailed = 50000
)

// Authentication method names, as Graph's authenticationMethodsUsed
// lists them.
const (
	MethodPassword     = "Password"
	MethodEmailOTP     = "Email OTP"
	MethodFederated    = "Federated"
	MethodTOTP         = "TOTP"
	MethodRecoveryCode = "Recovery code"
)

// maxAuditName bounds what a typed account name puts in a log row.
const maxAuditName = 256

// attemptOutcome is one sign-in attempt as the pages know it.
type attemptOutcome struct {
	tenant store.Tenant
	app    store.Application
	// user is who signed in or failed; zero when the name typed matched
	// nobody, then typed names the account tried.
	user  store.User
	typed string
	// methods are those proven (or tried, for a failure) in order.
	methods []string
	// upstream is the upstream provider of a federated first factor.
	upstream string
	// multiFactor: a second factor was proven or tried (or the upstream's
	// MFA is trusted).
	multiFactor bool
	// key is the login transaction's id on a success that may still be
	// refused at authorize; see RecordDenied.
	key    string
	code   int
	reason string
	// result labels the metric.
	result string
}

// recordSignIn writes the attempt's one row of the sign-in log and counts
// it. The row is best effort: a store failure is logged, and the sign-in
// goes on or fails on its own merits.
func (c *Core) recordSignIn(ctx context.Context, o attemptOutcome) {
	row := c.signInRow(ctx, o)
	if err := c.store.AppendSignIn(ctx, row); err != nil {
		c.logger.WarnContext(ctx, "record sign-in", "tenant", o.tenant.Slug, "err", err)
	}
	c.countSignIn(o.tenant, o.result, o.methods)
}

// countSignIn counts an outcome by tenant, result and the methods it
// used, e.g. "password+totp" ("none" when none is known).
func (c *Core) countSignIn(t store.Tenant, result string, methods []string) {
	if c.signIns == nil {
		return
	}
	label := "none"
	if len(methods) > 0 {
		names := make([]string, len(methods))
		for i, m := range methods {
			names[i] = strings.ReplaceAll(strings.ToLower(m), " ", "_")
		}
		label = strings.Join(names, "+")
	}
	c.signIns.WithLabelValues(t.Slug, result, label).Inc()
}

func (c *Core) signInRow(ctx context.Context, o attemptOutcome) store.SignIn {
	req := audit.RequestFrom(ctx)
	row := store.SignIn{
		ID: secret.NewID(), TenantID: o.tenant.ID, CreatedAt: c.clock().UTC(),
		UserID: o.user.ID, UserDisplayName: o.user.DisplayName, UserPrincipalName: o.user.UserPrincipalName,
		UserType: o.user.UserType, AppID: o.app.ClientID, AppDisplayName: o.app.DisplayName,
		IPAddress: req.ClientIP, UserAgent: req.UserAgent, CorrelationID: req.CorrelationID,
		AuthenticationRequirement: store.SingleFactor, AuthenticationMethods: slices.Clone(o.methods),
		ErrorCode: o.code, FailureReason: o.reason, AttemptKey: o.key,
	}
	if row.UserID == "" {
		row.UserPrincipalName = o.typed
		if len(row.UserPrincipalName) > maxAuditName {
			row.UserPrincipalName = row.UserPrincipalName[:maxAuditName]
		}
	}
	if o.multiFactor {
		row.AuthenticationRequirement = store.MultiFactor
	}
	if o.upstream != "" && o.user.UserType == store.UserTypeGuest {
		// A partner tenant's guest: name their home tenant, as Entra
		// does for B2B collaboration.
		if p, err := c.store.GetIdentityProvider(ctx, o.tenant.ID, o.upstream); err == nil {
			row.HomeTenantID = p.PartnerTenantID
		}
	}
	return row
}

// methodsOf names the first-factor methods an amr proves.
func methodsOf(amr []string) []string {
	var out []string
	switch {
	case slices.Contains(amr, mfa.AMRFederated):
		out = append(out, MethodFederated)
	case slices.Contains(amr, mfa.AMRPassword):
		out = append(out, MethodPassword)
	case slices.Contains(amr, mfa.AMRPasscode):
		out = append(out, MethodEmailOTP)
	}
	return out
}

// secondFactorMethod names the method mfa.Service.Verify answers.
func secondFactorMethod(method string) string {
	if method == mfa.MethodRecovery {
		return MethodRecoveryCode
	}
	return MethodTOTP
}

// signOutEvent audits a sign-out.
func (c *Core) signOutEvent(ctx context.Context, t store.Tenant, actor audit.Actor) {
	e := audit.Entry{TenantID: t.ID, Category: CategorySignIn, Activity: ActivitySignOut}
	if err := audit.Record(audit.WithActor(ctx, actor), c.store, c.clock(), e); err != nil {
		c.logger.WarnContext(ctx, "record sign-out event", "tenant", t.Slug, "err", err)
	}
}

// RecordDenied records a sign-in that authenticated but was refused
// access to app at authorize (not assigned, no second factor). The
// transaction's success row, if this attempt wrote one, becomes the
// failure: one attempt, one row.
func (c *Core) RecordDenied(ctx context.Context, t store.Tenant, app store.Application, userID, attemptKey string, code int, reason string) {
	o := attemptOutcome{tenant: t, app: app, user: store.User{ID: userID}, key: attemptKey, code: code, reason: reason, result: resultFailure}
	if u, err := c.store.GetUser(ctx, t.ID, userID); err == nil {
		o.user = u
	}
	if err := c.store.FailSignIn(ctx, c.signInRow(ctx, o)); err != nil {
		c.logger.WarnContext(ctx, "record denied sign-in", "tenant", t.Slug, "err", err)
	}
	c.countSignIn(t, resultFailure, nil)
}

// RecordRedeemed logs the sign-in that redeeming an invitation is, when
// no second factor follows (the second-factor step logs it otherwise).
func (c *Core) RecordRedeemed(ctx context.Context, t store.Tenant, guest store.User, amr []string, up store.Upstream) {
	c.recordSignIn(ctx, attemptOutcome{tenant: t, user: guest, methods: methodsOf(amr), upstream: up.ProviderID,
		multiFactor: slices.Contains(amr, mfa.AMRMFA), result: resultSuccess})
}

// typedFailure is a failed attempt with a typed account name, against
// the user it names when there is one. method is what was tried, empty
// when nothing was (a throttled attempt).
func (c *Core) typedFailure(ctx context.Context, tx transaction, typed, method string, code int, reason string) attemptOutcome {
	o := attemptOutcome{tenant: tx.tenant, app: tx.app, user: c.typedUser(ctx, tx.tenant, typed), typed: typed,
		code: code, reason: reason, result: resultFailure}
	if method != "" {
		o.methods = []string{method}
	}
	return o
}

// typedUser is the user the typed name belongs to, or zero when none.
func (c *Core) typedUser(ctx context.Context, t store.Tenant, typed string) store.User {
	u, err := c.store.GetUserByEmail(ctx, t.ID, normalizeAccount(typed))
	if err != nil {
		return store.User{}
	}
	return u
}
