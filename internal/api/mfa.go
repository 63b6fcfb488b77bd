package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/store"
)

// MFA is what the API needs of the multi-factor service.
type MFA interface {
	Status(ctx context.Context, tenantID, userID string) (mfa.Status, error)
	Reset(ctx context.Context, t store.Tenant, userID string) error
	Unlock(ctx context.Context, t store.Tenant, userID string) error
}

var _ MFA = (*mfa.Service)(nil)

// The tenant's multi-factor policy (GET and PATCH /v1.0/policies/mfaPolicy)
// is Foyer's own shape: Graph has no single object saying who must use
// MFA (Entra spreads it over Conditional Access policies and security
// defaults). Its properties:
//
//   - id: always "mfaPolicy";
//   - required: "nobody", "guests" (the default for new tenants) or
//     "everyone" must prove a second factor at sign-in; an application's
//     requiresMfa asks it of everyone signing in to that application;
//   - periodSeconds: the TOTP time step, 30 by default, from 15 to 120.
//     Every registered authenticator app makes codes at the step it was
//     set up with, so a PATCH changing it is refused while any user of
//     the tenant has one registered: reset them first.
var mfaPolicyResource = resource{
	name:       "foyer.mfaPolicy",
	collection: "policies/mfaPolicy",
	fields:     []string{"id", "required", "periodSeconds"},
	settable:   []string{"required", "periodSeconds"},
}

type mfaPolicyView struct {
	ID            string `json:"id"`
	Required      string `json:"required"`
	PeriodSeconds int    `json:"periodSeconds"`
}

func mfaView(p store.MFAPolicy) mfaPolicyView {
	return mfaPolicyView{ID: directory.MFAPolicyID, Required: directory.MFARequired(p),
		PeriodSeconds: directory.MFAPeriodSeconds(p)}
}

func (a *API) getMFAPolicy(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, mfaPolicyResource, false)
	if err != nil {
		return err
	}
	t, err := a.dir.Tenant(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, mfaPolicyResource, mfaView(t.MFA), q.selects)
}

// patchMFAPolicy changes the properties the body holds; the other keeps
// its value.
func (a *API) patchMFAPolicy(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, mfaPolicyResource)
	if err != nil {
		return err
	}
	d := fieldDecoder{obj: obj}
	var required *string
	var period *int
	d.str("required", &required)
	d.integer("periodSeconds", &period)
	if err := d.err(); err != nil {
		return err
	}
	t, err := a.dir.Tenant(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	next := store.MFAPolicy{Required: directory.MFARequired(t.MFA), PeriodSeconds: t.MFA.PeriodSeconds}
	if required != nil {
		next.Required = *required
	}
	if period != nil {
		next.PeriodSeconds = *period
	}
	if _, err := a.dir.SetMFAPolicy(r.Context(), p.TenantID, next); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// The registration report, shaped like Graph's userRegistrationDetails
// (/v1.0/reports/authenticationMethods/userRegistrationDetails): one line
// per user of the tenant, oldest first by id. Of Graph's properties Foyer
// has id, userPrincipalName, userDisplayName, userType ("member" or
// "guest"), isMfaRegistered, isMfaCapable (the same: an authenticator app
// is always allowed), methodsRegistered (["softwareOneTimePasscode"] or
// []) and defaultMfaMethod ("softwareOneTimePasscode" or "none"). Foyer's
// extensions:
//
//   - isMfaRequired: the tenant's mfaPolicy makes the user prove a second
//     factor at every sign-in. An application's own requiresMfa is not
//     counted: it asks MFA only of those who sign in to that application.
//   - lockedUntil: when too many wrong codes locked the user's second
//     factor, until when; null otherwise.
//
// $filter takes userType; $top, $select and $skiptoken work as on /users.
// GET …/userRegistrationDetails/{id} answers one user's line.
var registrationDetailsResource = resource{
	name:       "microsoft.graph.userRegistrationDetails",
	collection: "reports/authenticationMethods/userRegistrationDetails",
	fields: []string{"id", "userPrincipalName", "userDisplayName", "userType", "isMfaRegistered", "isMfaCapable",
		"methodsRegistered", "defaultMfaMethod", "isMfaRequired", "lockedUntil"},
	filterable: []string{"userType"},
}

// Graph's names of the one method Foyer has.
const (
	methodSoftwareOTP = "softwareOneTimePasscode"
	methodNone        = "none"
)

type registrationView struct {
	ID                string     `json:"id"`
	UserPrincipalName string     `json:"userPrincipalName"`
	UserDisplayName   string     `json:"userDisplayName"`
	UserType          string     `json:"userType"`
	IsMfaRegistered   bool       `json:"isMfaRegistered"`
	IsMfaCapable      bool       `json:"isMfaCapable"`
	MethodsRegistered []string   `json:"methodsRegistered"`
	DefaultMfaMethod  string     `json:"defaultMfaMethod"`
	IsMfaRequired     bool       `json:"isMfaRequired"`
	LockedUntil       *time.Time `json:"lockedUntil"`
}

// lockedAt answers until when a factor is locked, nil when it is not at now.
func lockedAt(until *time.Time, now time.Time) *time.Time {
	if until == nil || !until.After(now) {
		return nil
	}
	return new(until.UTC())
}

func (a *API) listRegistrationDetails(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, registrationDetailsResource, true)
	if err != nil {
		return err
	}
	userType, byType := q.filter["userType"]
	if byType && !strings.EqualFold(userType, store.UserTypeMember) && !strings.EqualFold(userType, store.UserTypeGuest) {
		return badRequest("Invalid filter clause: userType must be 'member' or 'guest'.")
	}
	t, err := a.dir.Tenant(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	regs, err := a.store.ListMFARegistrations(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	now := a.now()
	views := make([]registrationView, 0, len(regs))
	for _, reg := range regs {
		if byType && !strings.EqualFold(reg.User.UserType, userType) {
			continue
		}
		views = append(views, registration(t, reg, now))
	}
	return writePage(a, w, r, q, p, registrationDetailsResource, views, func(v registrationView) string { return v.ID })
}

// registration is one user's line of the report at now.
func registration(t store.Tenant, reg store.MFARegistration, now time.Time) registrationView {
	u := reg.User
	v := registrationView{ID: u.ID, UserPrincipalName: u.UserPrincipalName, UserDisplayName: u.DisplayName,
		UserType: strings.ToLower(u.UserType), IsMfaRegistered: reg.Registered, IsMfaCapable: reg.Registered,
		MethodsRegistered: []string{}, DefaultMfaMethod: methodNone,
		// An empty application: its own flag is not the tenant's rule.
		IsMfaRequired: mfa.Required(t, store.Application{}, u), LockedUntil: lockedAt(reg.LockedUntil, now)}
	if reg.Registered {
		v.MethodsRegistered, v.DefaultMfaMethod = []string{methodSoftwareOTP}, methodSoftwareOTP
	}
	return v
}

// getRegistrationDetails answers one user's line of the report (Graph's
// GET …/userRegistrationDetails/{id}); the path names the user by id or
// user principal name.
func (a *API) getRegistrationDetails(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, registrationDetailsResource, false)
	if err != nil {
		return err
	}
	u, err := a.user(r, p)
	if err != nil {
		return err
	}
	t, err := a.dir.Tenant(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	st, err := a.mfa.Status(r.Context(), p.TenantID, u.ID)
	if err != nil {
		return err
	}
	reg := store.MFARegistration{User: u, Registered: st.Registered, LockedUntil: st.LockedUntil}
	return a.writeEntity(w, http.StatusOK, registrationDetailsResource, registration(t, reg, a.now()), q.selects)
}

// A user's methods (GET /v1.0/users/{id}/authentication/methods) list the
// authenticator app, when registered, as Graph's
// #microsoft.graph.softwareOathAuthenticationMethod: its id is the user's
// id (a user has at most one) and secretKey is always null, as in Graph.
// Foyer's extensions on it: recoveryCodesRemaining and lockedUntil (null
// unless locked). Foyer lists no password method.
//
// DELETE /v1.0/users/{id}/authentication/softwareOathMethods/{methodId}
// resets the user's MFA: the authenticator and recovery codes are removed
// and the user enrols again at the next sign-in. POST
// /v1.0/users/{id}/authentication/unlock (Foyer's own) clears failed
// attempts and a lock. Both answer 204; a Tenant Administrator's second
// factor is reset or unlocked only by another Tenant Administrator or an
// application holding UserAuthenticationMethod.ReadWrite.All.
const odataSoftwareOath = "#microsoft.graph.softwareOathAuthenticationMethod"

// authMethodResource names the methods' type in messages; it has no
// fields to $select, so a $select is refused rather than ignored.
var authMethodResource = resource{name: "microsoft.graph.authenticationMethod"}

func (a *API) listAuthMethods(w http.ResponseWriter, r *http.Request, p Principal) error {
	if _, err := a.parseQuery(r, p, authMethodResource, false); err != nil {
		return err
	}
	u, err := a.user(r, p)
	if err != nil {
		return err
	}
	st, err := a.mfa.Status(r.Context(), p.TenantID, u.ID)
	if err != nil {
		return err
	}
	items := []map[string]any{}
	if st.Registered {
		items = append(items, map[string]any{"@odata.type": odataSoftwareOath, "id": u.ID, "secretKey": nil,
			"recoveryCodesRemaining": st.RecoveryCodes, "lockedUntil": lockedAt(st.LockedUntil, a.now())})
	}
	a.writeCollection(w, resource{collection: "users('" + u.ID + "')/authentication/methods"}, items, "")
	return nil
}

func (a *API) deleteSoftwareOathMethod(w http.ResponseWriter, r *http.Request, p Principal) error {
	u, t, err := a.methodsTarget(r, p)
	if err != nil {
		return err
	}
	methodID := r.PathValue("methodId")
	st, err := a.mfa.Status(r.Context(), p.TenantID, u.ID)
	if err != nil {
		return err
	}
	if !st.Registered || methodID != u.ID {
		return notFound(methodID)
	}
	if err := a.mfa.Reset(r.Context(), t, u.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) unlockAuthMethods(w http.ResponseWriter, r *http.Request, p Principal) error {
	u, t, err := a.methodsTarget(r, p)
	if err != nil {
		return err
	}
	err = a.mfa.Unlock(r.Context(), t, u.ID)
	if errors.Is(err, mfa.ErrNotEnrolled) || isNotFound(err) {
		return &apiError{http.StatusNotFound, codeNotFound, "The user has no authenticator app registered."}
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// methodsTarget answers the path's user and the tenant, refusing a
// delegated caller who is not a Tenant Administrator when the user is
// one: a User Administrator must not weaken the sign-in of someone who
// can do more than they can.
func (a *API) methodsTarget(r *http.Request, p Principal) (store.User, store.Tenant, error) {
	ctx := r.Context()
	u, err := a.user(r, p)
	if err != nil {
		return store.User{}, store.Tenant{}, err
	}
	if !hasAny(p.Roles, manageAuthMethods.grants) {
		held, err := a.dir.UserRoles(ctx, p.TenantID, u.ID)
		if err != nil {
			return store.User{}, store.Tenant{}, err
		}
		if slices.Contains(held, directory.RoleTenantAdministrator) {
			mine, err := a.dir.UserRoles(ctx, p.TenantID, p.UserID)
			if err != nil {
				return store.User{}, store.Tenant{}, err
			}
			if !slices.Contains(mine, directory.RoleTenantAdministrator) {
				return store.User{}, store.Tenant{}, &apiError{http.StatusForbidden, codeDenied,
					"Only a Tenant Administrator may reset or unlock a Tenant Administrator's second factor."}
			}
		}
	}
	t, err := a.dir.Tenant(ctx, p.TenantID)
	if err != nil {
		return store.User{}, store.Tenant{}, err
	}
	return u, t, nil
}
