package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

var userResource = resource{
	name:       "microsoft.graph.user",
	collection: "users",
	fields: []string{"id", "displayName", "givenName", "surname", "mail", "userPrincipalName", "userType",
		"externalUserState", "externalUserStateChangeDateTime", "creationType", "accountEnabled", "identities",
		"createdDateTime"},
	// Guests' fields come with invitations. passwordProfile sets a
	// member's password (never answered).
	settable:   []string{"displayName", "givenName", "surname", "accountEnabled", "mail", "userPrincipalName", "passwordProfile"},
	filterable: []string{"userType", "externalUserState", "mail", "userPrincipalName", "signInActivity/lastSignInDateTime"},
	selectOnly: []string{"signInActivity", "passwordProfile"},
	filter: logFilterParser("microsoft.graph.user", map[string]filterKind{
		"userType": filterText, "externalUserState": filterText, "mail": filterText, "userPrincipalName": filterText,
		lastSignInFilter: filterTime,
	}),
}

const lastSignInFilter = "signInActivity/lastSignInDateTime"

// userWithActivity is a user with Graph's signInActivity and
// passwordProfile, answered only when $select asks for them.
type userWithActivity struct {
	store.User
	SignInActivity  signInActivity  `json:"signInActivity"`
	PasswordProfile passwordProfile `json:"passwordProfile"`
}

type signInActivity struct {
	LastSignInDateTime           *time.Time `json:"lastSignInDateTime"`
	LastSuccessfulSignInDateTime *time.Time `json:"lastSuccessfulSignInDateTime"`
}

// withActivity answers users with their sign-in activity when the query
// selects it (one grouped read for the page), else as they are.
func (a *API) withActivity(r *http.Request, p Principal, q query, users []store.User) ([]userWithActivity, error) {
	out := make([]userWithActivity, len(users))
	for i, u := range users {
		out[i] = userWithActivity{User: u, PasswordProfile: passwordProfileOf(u)}
	}
	if !slices.Contains(q.selects, "signInActivity") {
		return out, nil
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	activity, err := a.store.SignInActivity(r.Context(), p.TenantID, ids)
	if err != nil {
		return nil, err
	}
	for i, u := range users {
		act := activity[u.ID]
		out[i].SignInActivity = signInActivity{LastSignInDateTime: act.LastSignIn, LastSuccessfulSignInDateTime: act.LastSuccessfulSignIn}
	}
	return out, nil
}

// canonical spells a filter value as Foyer stores it, when it is one of
// the known values in another case.
func canonical(v string, known ...string) string {
	for _, k := range known {
		if strings.EqualFold(v, k) {
			return k
		}
	}
	return v
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, userResource, true)
	if err != nil {
		return err
	}
	f := store.UserFilter{
		UserType:          canonical(q.filter["userType"], store.UserTypeMember, store.UserTypeGuest),
		ExternalUserState: canonical(q.filter["externalUserState"], store.ExternalStatePending, store.ExternalStateAccepted),
	}
	f.LastSignInFrom, f.LastSignInUntil = filterTimes(q.filter, lastSignInFilter)
	mail, byMail := q.filter["mail"]
	upn, byUPN := q.filter["userPrincipalName"]
	if (byMail || byUPN) && (!f.LastSignInFrom.IsZero() || !f.LastSignInUntil.IsZero()) {
		return unsupported("signInActivity cannot be filtered together with mail or userPrincipalName.")
	}
	var users []store.User
	more := false
	if byMail || byUPN {
		// An address names at most one user: look it up, then check
		// every clause against it.
		addr := mail
		if !byMail {
			addr = upn
		}
		u, err := a.store.GetUserByEmail(r.Context(), p.TenantID, strings.ToLower(addr))
		switch {
		case err == nil:
			match := (!byMail || strings.EqualFold(u.Mail, mail)) &&
				(!byUPN || strings.EqualFold(u.UserPrincipalName, upn)) &&
				(f.UserType == "" || u.UserType == f.UserType) &&
				(f.ExternalUserState == "" || u.ExternalUserState == f.ExternalUserState) &&
				(q.skipAfter == "" || u.ID > q.skipAfter)
			if match {
				users = []store.User{u}
			}
		case !isNotFound(err):
			return err
		}
	} else {
		f.AfterID, f.Limit = q.skipAfter, q.top+1
		if users, err = a.dir.Users(r.Context(), p.TenantID, f); err != nil {
			return err
		}
		users, more = page(users, func(u store.User) string { return u.ID }, q)
	}
	items, err := a.withActivity(r, p, q, users)
	if err != nil {
		return err
	}
	return writeItems(a, w, r, q, p, userResource, items, more, func(u userWithActivity) string { return u.ID })
}

// user resolves the path's id (an object id, or a mail or user principal
// name in any case but with no white space around it) in the caller's
// tenant.
func (a *API) user(r *http.Request, p Principal) (store.User, error) {
	return byPathID(r, p, a.dir.User)
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, userResource, false)
	if err != nil {
		return err
	}
	u, err := a.user(r, p)
	if err != nil {
		return err
	}
	items, err := a.withActivity(r, p, q, []store.User{u})
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, userResource, items[0], q.selects)
}

func (a *API) patchUser(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, userResource)
	if err != nil {
		return err
	}
	var patch directory.UserPatch
	d := fieldDecoder{obj: obj}
	d.str("displayName", &patch.DisplayName)
	d.str("givenName", &patch.GivenName)
	d.str("surname", &patch.Surname)
	d.str("mail", &patch.Mail)
	d.str("userPrincipalName", &patch.UserPrincipalName)
	d.boolean("accountEnabled", &patch.AccountEnabled)
	profile := d.passwordProfile(userResource)
	if err := d.err(); err != nil {
		return err
	}
	if profile != nil {
		patch.Password, patch.ForceChangePassword = profile.Password, profile.ForceChangePasswordNextSignIn
		if patch.Password != nil && patch.ForceChangePassword == nil {
			// As in Graph: a password an admin set is one the user must
			// change, unless the admin says otherwise.
			patch.ForceChangePassword = new(true)
		}
	}
	u, err := a.user(r, p)
	if err != nil {
		return err
	}
	activity := audit.ActivityUpdateUser
	if patch.Password != nil {
		activity = audit.ActivityResetPassword
		if p.caller().App {
			// As in Graph, where an app needs a directory role to reset a
			// password: an app's token would otherwise take over any
			// member's account. Foyer's apps hold no roles.
			return &apiError{http.StatusForbidden, codeDenied,
				"An application may not reset a user's password; a signed-in administrator must."}
		}
		if err := directory.MayHavePassword(u); err != nil {
			return renameFields(err, map[string]string{"password": "passwordProfile.password"})
		}
	}
	if err := a.dir.MayChangeUser(r.Context(), p.TenantID, p.caller(), activity, u); err != nil {
		return err
	}
	// One transaction: a bad password refuses the whole body.
	if _, err := a.dir.UpdateUser(r.Context(), p.TenantID, u.ID, patch); err != nil {
		return renameFields(err, map[string]string{"password": "passwordProfile.password"})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, p Principal) error {
	u, err := a.user(r, p)
	if err != nil {
		return err
	}
	activity := audit.ActivityDeleteUser
	if u.UserType == store.UserTypeGuest {
		activity = audit.ActivityDeleteExternalUser
	}
	if err := a.dir.MayChangeUser(r.Context(), p.TenantID, p.caller(), activity, u); err != nil {
		return err
	}
	if err := a.dir.DeleteUser(r.Context(), p.TenantID, u.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// newUserResource is what POST /users may set: a member's profile, its
// user principal name (the mail address when absent), and
// passwordProfile. mailNickname, which Graph requires, is accepted as
// text and not kept: Foyer has no mail aliases. Guests come with
// invitations, not here.
var newUserResource = func() resource {
	rs := userResource
	rs.settable = append(slices.Clone(rs.settable), "mailNickname")
	return rs
}()

// passwordProfile is Graph's passwordProfile, as a request body.
type passwordProfile struct {
	Password                      *string `json:"password"`
	ForceChangePasswordNextSignIn *bool   `json:"forceChangePasswordNextSignIn"`
}

// passwordProfileOf is a user's passwordProfile as GET answers it: the
// flag, and the password always null, as in Graph.
func passwordProfileOf(u store.User) passwordProfile {
	return passwordProfile{ForceChangePasswordNextSignIn: &u.ForceChangePassword}
}

// passwordProfile reads the body's passwordProfile, strictly; nil when
// there is none.
func (d *fieldDecoder) passwordProfile(rs resource) *passwordProfile {
	raw, ok := d.obj["passwordProfile"]
	if !ok {
		return nil
	}
	var profile *passwordProfile
	errs := strict(raw, &profile, rs, "passwordProfile", "must be an object with password and forceChangePasswordNextSignIn")
	if len(errs) == 0 && (profile == nil || profile.Password == nil && profile.ForceChangePasswordNextSignIn == nil) {
		// A profile that changes nothing is a mistake, not a no-op.
		d.errs = append(d.errs, "Invalid value specified for property 'passwordProfile.password': required.")
		return nil
	}
	d.errs = append(d.errs, errs...)
	return profile
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, newUserResource)
	if err != nil {
		return err
	}
	var in directory.NewMember
	var displayName, givenName, surname, mail, upn, nickname *string
	d := fieldDecoder{obj: obj}
	d.str("displayName", &displayName)
	d.str("givenName", &givenName)
	d.str("surname", &surname)
	d.str("mail", &mail)
	d.str("userPrincipalName", &upn)
	d.str("mailNickname", &nickname)
	d.boolean("accountEnabled", &in.AccountEnabled)
	profile := d.passwordProfile(newUserResource)
	if err := d.err(); err != nil {
		return err
	}
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&in.DisplayName, displayName}, {&in.GivenName, givenName}, {&in.Surname, surname}, {&in.Mail, mail}, {&in.UserPrincipalName, upn}} {
		setFrom(f.dst, f.v)
	}
	if nickname != nil && !plainText(*nickname) {
		return badRequest("Invalid value specified for property 'mailNickname': must be text without control characters.")
	}
	if profile != nil {
		setFrom(&in.Password, profile.Password)
		if profile.ForceChangePasswordNextSignIn != nil {
			in.ForceChangePassword = *profile.ForceChangePasswordNextSignIn
		}
	}
	u, err := a.dir.CreateMember(r.Context(), p.TenantID, in)
	if err != nil {
		return renameFields(err, map[string]string{"password": "passwordProfile.password",
			"userPrincipalName or mail": "userPrincipalName"})
	}
	w.Header().Set("Location", a.baseURL+"/v1.0/users/"+u.ID)
	return a.writeEntity(w, http.StatusCreated, userResource, u, nil)
}
