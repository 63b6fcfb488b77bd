package cli

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// The mfa commands through the admin API: Foyer's /policies/mfaPolicy,
// Graph's userRegistrationDetails report and a user's authentication
// methods.

const (
	mfaPolicyPath           = "/v1.0/policies/mfaPolicy"
	registrationDetailsPath = "/v1.0/reports/authenticationMethods/userRegistrationDetails"
)

// remoteMFAPolicy is the API's mfaPolicy.
type remoteMFAPolicy struct {
	Required      string `json:"required"`
	PeriodSeconds int    `json:"periodSeconds"`
}

func (r remoteAdmin) mfaPolicy(ctx context.Context) (store.MFAPolicy, error) {
	var p remoteMFAPolicy
	err := r.c.call(ctx, http.MethodGet, mfaPolicyPath, nil, &p)
	return store.MFAPolicy{Required: p.Required, PeriodSeconds: p.PeriodSeconds}, err
}

func (r remoteAdmin) setMFAPolicy(ctx context.Context, required *string, periodSeconds *int) (store.MFAPolicy, error) {
	body := map[string]any{}
	if required != nil {
		body["required"] = *required
	}
	if periodSeconds != nil {
		body["periodSeconds"] = *periodSeconds
	}
	if err := r.c.call(ctx, http.MethodPatch, mfaPolicyPath, body, nil); err != nil {
		return store.MFAPolicy{}, err
	}
	return r.mfaPolicy(ctx)
}

// A line of the registration report has the names of mfaReportLine.

func authenticationPath(userID string) string {
	return "/v1.0/users/" + url.PathEscape(userID) + "/authentication"
}

// remoteAuthMethod is the part of a user's authentication method the
// commands read: the authenticator app, Foyer's one method.
type remoteAuthMethod struct {
	RecoveryCodesRemaining int `json:"recoveryCodesRemaining"`
}

func (r remoteAdmin) mfaStatus(ctx context.Context, u store.User) (mfaStatusView, error) {
	var line mfaReportLine
	if err := r.c.call(ctx, http.MethodGet, registrationDetailsPath+"/"+url.PathEscape(u.ID), nil, &line); err != nil {
		return mfaStatusView{}, err
	}
	methods, err := listAll[remoteAuthMethod](ctx, r.c, authenticationPath(u.ID)+"/methods")
	if err != nil {
		return mfaStatusView{}, err
	}
	v := mfaStatusView{ID: u.ID, UserPrincipalName: u.UserPrincipalName, Registered: len(methods) > 0,
		Required: line.IsMfaRequired, LockedUntil: line.LockedUntil}
	if v.Registered {
		v.RecoveryCodes = methods[0].RecoveryCodesRemaining
	}
	return v, nil
}

func (r remoteAdmin) resetMFA(ctx context.Context, userID string) error {
	// The authenticator app's method id is the user's.
	return r.c.call(ctx, http.MethodDelete, authenticationPath(userID)+"/softwareOathMethods/"+url.PathEscape(userID), nil, nil)
}

func (r remoteAdmin) unlockMFA(ctx context.Context, userID string) error {
	return r.c.call(ctx, http.MethodPost, authenticationPath(userID)+"/unlock", nil, nil)
}

// mfaReport reads the report, and the users' creation times to list them
// oldest first as the local report does (the API pages in id order).
func (r remoteAdmin) mfaReport(ctx context.Context) ([]mfaReportLine, error) {
	lines, err := listAll[mfaReportLine](ctx, r.c, registrationDetailsPath)
	if err != nil {
		return nil, err
	}
	users, err := listAll[struct {
		ID              string    `json:"id"`
		CreatedDateTime time.Time `json:"createdDateTime"`
	}](ctx, r.c, "/v1.0/users?$select=id,createdDateTime")
	if err != nil {
		return nil, err
	}
	created := make(map[string]time.Time, len(users))
	for _, u := range users {
		created[u.ID] = u.CreatedDateTime
	}
	slices.SortStableFunc(lines, func(a, b mfaReportLine) int {
		return cmp.Or(created[a.ID].Compare(created[b.ID]), cmp.Compare(a.ID, b.ID))
	})
	return lines, nil
}
