package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/httpx"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Directory is what the API needs of the domain service.
type Directory interface {
	RoleSource

	User(ctx context.Context, tenantID, ref string) (store.User, error)
	CreateMember(ctx context.Context, tenantID string, in directory.NewMember) (store.User, error)
	Users(ctx context.Context, tenantID string, f store.UserFilter) ([]store.User, error)
	UpdateUser(ctx context.Context, tenantID, userID string, p directory.UserPatch) (store.User, error)
	DeleteUser(ctx context.Context, tenantID, userID string) error

	CreateGroup(ctx context.Context, tenantID string, in directory.NewGroup) (store.Group, error)
	Group(ctx context.Context, tenantID, id string) (store.Group, error)
	Groups(ctx context.Context, tenantID string) ([]store.Group, error)
	UpdateGroup(ctx context.Context, tenantID, groupID string, p directory.GroupPatch) (store.Group, error)
	DeleteGroup(ctx context.Context, tenantID, groupID string) error
	AddGroupMember(ctx context.Context, tenantID, groupID, userID string) error
	RemoveGroupMember(ctx context.Context, tenantID, groupID, userID string) error
	GroupMembers(ctx context.Context, tenantID, groupID string) ([]store.User, error)
	MemberOf(ctx context.Context, tenantID, userID string) ([]store.Group, error)
	OwnedObjects(ctx context.Context, tenantID, userID string) ([]store.Group, []store.Application, error)

	Application(ctx context.Context, tenantID, ref string) (store.Application, error)
	Applications(ctx context.Context, tenantID string) ([]store.Application, error)
	CreateApplication(ctx context.Context, tenantID string, in directory.NewApplication) (store.Application, *directory.NewSecret, error)
	UpdateApplication(ctx context.Context, tenantID, appID string, p directory.ApplicationPatch) (store.Application, error)
	DeleteApplication(ctx context.Context, tenantID, appID string) error
	AddClientSecret(ctx context.Context, tenantID, appID string, in directory.SecretInput) (*directory.NewSecret, error)
	RemoveClientSecret(ctx context.Context, tenantID, appID, secretID string) error
	ClientSecrets(ctx context.Context, tenantID, appID string) ([]store.ClientSecret, error)
	AddApplicationOwner(ctx context.Context, tenantID, appID, userID string) error
	RemoveApplicationOwner(ctx context.Context, tenantID, appID, userID string) error
	ApplicationOwners(ctx context.Context, tenantID, appID string) ([]store.User, error)
	Assign(ctx context.Context, tenantID, appID, principalType, principalID string) error
	Unassign(ctx context.Context, tenantID, appID, principalID string) error
	Assignments(ctx context.Context, tenantID, appID string) ([]store.Assignment, error)

	MayChangeUser(ctx context.Context, tenantID string, caller directory.Caller, activity string, u store.User) error
	MayInvite(ctx context.Context, tenantID string, inviter directory.Inviter, in directory.InviteInput) error
	Invite(ctx context.Context, tenantID string, in directory.InviteInput) (directory.Invitation, string, error)
	Invitations(ctx context.Context, tenantID, status string) ([]store.Invitation, error)
	RevokeInvitation(ctx context.Context, tenantID, id string) error

	Tenant(ctx context.Context, idOrSlug string) (store.Tenant, error)
	UpdateTenant(ctx context.Context, tenantID string, p directory.TenantPatch) (store.Tenant, error)
	SetInvitationPolicy(ctx context.Context, tenantID string, p store.InvitationPolicy) (store.Tenant, error)
	SetRedemptionPolicy(ctx context.Context, tenantID string, order []string, anyAccount bool) (store.Tenant, error)
	SetMFAPolicy(ctx context.Context, tenantID string, p store.MFAPolicy) (store.Tenant, error)

	IdentityProviders(ctx context.Context, tenantID string) ([]store.IdentityProvider, error)
	IdentityProvider(ctx context.Context, tenantID, id string) (store.IdentityProvider, error)
	CreateIdentityProvider(ctx context.Context, tenantID string, in directory.IdentityProviderInput) (store.IdentityProvider, error)
	UpdateIdentityProvider(ctx context.Context, tenantID, id string, p directory.IdentityProviderPatch) (store.IdentityProvider, error)
	DeleteIdentityProvider(ctx context.Context, tenantID, id string) error

	Domains(ctx context.Context, tenantID string) ([]store.Domain, error)
	AddDomain(ctx context.Context, tenantID, name string) (store.Domain, error)
	RemoveDomain(ctx context.Context, tenantID, name string) error
}

var _ Directory = (*directory.Directory)(nil)

// Store is the reads the directory service does not offer: an exact
// lookup by address, for $filter on mail and userPrincipalName, the MFA
// registration report's one query, and the audit and sign-in logs.
type Store interface {
	GetUserByEmail(ctx context.Context, tenantID, email string) (store.User, error)
	ListMFARegistrations(ctx context.Context, tenantID string) ([]store.MFARegistration, error)
	ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error)
	ListSignIns(ctx context.Context, f store.SignInFilter) ([]store.SignIn, error)
	SignInActivity(ctx context.Context, tenantID string, userIDs []string) (map[string]store.SignInActivity, error)
}

var _ Store = (store.Store)(nil)

// Config carries the API's dependencies.
type Config struct {
	Directory Directory
	Store     Store
	// MFA resets and unlocks users' second factors; *mfa.Service is one.
	MFA MFA
	// PagingKey signs $skiptoken values. Every node must share it (derive
	// it from the master key), or a next link fails on another node.
	PagingKey *secret.Hasher
	// BaseURL, e.g. https://foyer.example, makes @odata.nextLink and
	// @odata.context absolute. Empty: they are relative paths. The Host
	// header is never used: a client must not be able to point a link
	// that it will follow with its token at another server.
	BaseURL string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger logs internal errors; slog.Default() when nil.
	Logger *slog.Logger
	// Verify checks bearer tokens. Nil: the API authenticates nothing and
	// expects a middleware in front that calls WithPrincipal (tests).
	Verify VerifyToken
}

// API is the admin API's handlers.
type API struct {
	dir     Directory
	store   Store
	mfa     MFA
	paging  *secret.Hasher
	baseURL string
	now     func() time.Time
	logger  *slog.Logger
	verify  VerifyToken
}

// New checks cfg, reporting every problem at once, and answers an API.
func New(cfg Config) (*API, error) {
	var errs []error
	if cfg.Directory == nil {
		errs = append(errs, errors.New("api: Directory is required"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("api: Store is required"))
	}
	if cfg.MFA == nil {
		errs = append(errs, errors.New("api: MFA is required"))
	}
	if cfg.PagingKey == nil {
		errs = append(errs, errors.New("api: PagingKey is required"))
	}
	if cfg.BaseURL != "" && !strings.HasPrefix(cfg.BaseURL, "https://") && !strings.HasPrefix(cfg.BaseURL, "http://") {
		errs = append(errs, errors.New("api: BaseURL must be an http(s) URL"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &API{dir: cfg.Directory, store: cfg.Store, mfa: cfg.MFA, paging: cfg.PagingKey,
		baseURL: strings.TrimSuffix(cfg.BaseURL, "/"), now: cfg.Now, logger: cfg.Logger, verify: cfg.Verify}, nil
}

// handlerFunc is a handler that answers an error for writeError to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p Principal) error

// Handler answers the API's routes under /v1.0/. With Config.Verify the
// bearer token of each request names the principal; without it a
// middleware in front must call WithPrincipal. Without a principal every
// route answers 401.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, perm permission, h handlerFunc) {
		mux.Handle(pattern, a.guard(perm, h))
	}
	route("GET /v1.0/users", readUsers, a.listUsers)
	route("POST /v1.0/users", writeUsers, a.createUser)
	route("GET /v1.0/users/{id}", readUsers, a.getUser)
	route("PATCH /v1.0/users/{id}", writeUsers, a.patchUser)
	route("DELETE /v1.0/users/{id}", writeUsers, a.deleteUser)

	route("GET /v1.0/groups", readGroups, a.listGroups)
	route("POST /v1.0/groups", writeGroups, a.createGroup)
	route("GET /v1.0/groups/{id}", readGroups, a.getGroup)
	route("PATCH /v1.0/groups/{id}", writeGroups, a.patchGroup)
	route("DELETE /v1.0/groups/{id}", writeGroups, a.deleteGroup)
	route("GET /v1.0/groups/{id}/members", readMembers, a.listMembers)
	route("POST /v1.0/groups/{id}/members/$ref", writeMembers, a.addMember)
	route("DELETE /v1.0/groups/{id}/members/{userId}/$ref", writeMembers, a.removeMember)

	route("GET /v1.0/applications", readApps, a.listApplications)
	route("POST /v1.0/applications", writeApps, a.createApplication)
	route("GET /v1.0/applications/{id}", readApps, a.getApplication)
	route("PATCH /v1.0/applications/{id}", writeApps, a.patchApplication)
	route("DELETE /v1.0/applications/{id}", writeApps, a.deleteApplication)
	route("POST /v1.0/applications/{id}/addPassword", manageAppSecrets, a.addPassword)
	route("POST /v1.0/applications/{id}/removePassword", manageAppSecrets, a.removePassword)
	route("GET /v1.0/applications/{id}/owners", readApps, a.listApplicationOwners(false))
	route("GET /v1.0/applications/{id}/owners/$ref", readApps, a.listApplicationOwners(true))
	route("POST /v1.0/applications/{id}/owners/$ref", writeApps, a.addApplicationOwner)
	route("DELETE /v1.0/applications/{id}/owners/{userId}/$ref", writeApps, a.removeApplicationOwner)
	route("GET /v1.0/applications/{id}/appRoleAssignedTo", readApps, a.listAssignments)
	route("POST /v1.0/applications/{id}/appRoleAssignedTo", writeApps, a.addAssignment)
	route("DELETE /v1.0/applications/{id}/appRoleAssignedTo/{assignmentId}", writeApps, a.removeAssignment)

	route("POST /v1.0/invitations", sendInvitations, a.createInvitation)
	route("GET /v1.0/invitations", inviteGuests, a.listInvitations)
	route("DELETE /v1.0/invitations/{id}", inviteGuests, a.deleteInvitation)

	route("GET /v1.0/policies/authorizationPolicy", readPolicy, a.getAuthorizationPolicy)
	route("PATCH /v1.0/policies/authorizationPolicy", writePolicy, a.patchAuthorizationPolicy)
	route("GET /v1.0/policies/mfaPolicy", manageMFAPolicy, a.getMFAPolicy)
	route("PATCH /v1.0/policies/mfaPolicy", manageMFAPolicy, a.patchMFAPolicy)

	route("GET /v1.0/reports/authenticationMethods/userRegistrationDetails", readMFAReport, a.listRegistrationDetails)
	route("GET /v1.0/reports/authenticationMethods/userRegistrationDetails/{id}", readMFAReport, a.getRegistrationDetails)
	route("GET /v1.0/users/{id}/authentication/methods", manageAuthMethods, a.listAuthMethods)
	route("DELETE /v1.0/users/{id}/authentication/softwareOathMethods/{methodId}", manageAuthMethods, a.deleteSoftwareOathMethod)
	route("POST /v1.0/users/{id}/authentication/unlock", manageAuthMethods, a.unlockAuthMethods)

	route("GET /v1.0/auditLogs/directoryAudits", readAuditLogs, a.listDirectoryAudits)
	route("GET /v1.0/auditLogs/signIns", readAuditLogs, a.listSignIns)

	route("GET /v1.0/identity/identityProviders", manageIdentityProviders, a.listIdentityProviders)
	route("POST /v1.0/identity/identityProviders", manageIdentityProviders, a.createIdentityProvider)
	route("GET /v1.0/identity/identityProviders/{id}", manageIdentityProviders, a.getIdentityProvider)
	route("PATCH /v1.0/identity/identityProviders/{id}", manageIdentityProviders, a.patchIdentityProvider)
	route("DELETE /v1.0/identity/identityProviders/{id}", manageIdentityProviders, a.deleteIdentityProvider)

	me := func(pattern string, h handlerFunc) { mux.Handle(pattern, a.authenticated(signedIn(h))) }
	me("GET /v1.0/me", a.getMe)
	me("GET /v1.0/me/memberOf", a.listMyMemberOf)
	me("GET /v1.0/me/ownedObjects", a.listMyOwnedObjects)

	route("GET /v1.0/organization", readOrganization, a.listOrganization)
	route("GET /v1.0/organization/{id}", readOrganization, a.getOrganization)
	route("GET /v1.0/organization/{id}/branding", readOrganization, a.getBranding)
	route("PATCH /v1.0/organization/{id}/branding", writeBranding, a.patchBranding)

	route("GET /v1.0/domains", manageDomains, a.listDomains)
	route("POST /v1.0/domains", manageDomains, a.createDomain)
	route("GET /v1.0/domains/{id}", manageDomains, a.getDomain)
	route("DELETE /v1.0/domains/{id}", manageDomains, a.deleteDomain)

	// Anything else under /v1.0/, including a known path with another
	// method, still asks for a principal first, then answers as Graph
	// does for a segment it does not know.
	mux.Handle("/v1.0/", a.authenticated(func(w http.ResponseWriter, r *http.Request, _ Principal) error {
		return badRequest("Resource not found for the segment or method '%s %s'.", r.Method, r.URL.Path)
	}))
	if a.verify == nil {
		return withRequestID(mux)
	}
	return withRequestID(a.bearer(mux))
}

// withRequestID runs httpx.RequestID unless an outer middleware already
// did, so every error body carries a request id.
func withRequestID(next http.Handler) http.Handler {
	wrapped := httpx.RequestID(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if httpx.RequestIDFrom(r.Context()) != "" {
			next.ServeHTTP(w, r)
			return
		}
		wrapped.ServeHTTP(w, r)
	})
}

// authenticated refuses a request without a principal, and runs h with
// the principal as the audit actor.
func (a *API) authenticated(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			a.writeError(w, r, &apiError{http.StatusUnauthorized, codeInvalidToken, "Access token is empty."})
			return
		}
		r = r.WithContext(audit.WithActor(r.Context(), p.actor()))
		if !plainText(r.URL.Path) {
			// An id or name in the path is looked up as is: refuse what
			// no stored object can be named, before the database does.
			a.writeError(w, r, badRequest("The request path holds a control character or invalid UTF-8."))
			return
		}
		if err := h(w, r, p); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// guard is authenticated plus the permission check.
func (a *API) guard(perm permission, h handlerFunc) http.Handler {
	return a.authenticated(func(w http.ResponseWriter, r *http.Request, p Principal) error {
		ok, err := allowed(r.Context(), a.dir, p, perm)
		if err != nil {
			return err
		}
		if !ok {
			return &apiError{http.StatusForbidden, codeDenied, msgDenied}
		}
		return h(w, r, p)
	})
}

// contextURL is @odata.context for a set or one of its entities.
func (a *API) contextURL(set string, entity bool) string {
	u := a.baseURL + "/v1.0/$metadata#" + set
	if entity {
		u += "/$entity"
	}
	return u
}

// writeCollection answers a page of items as Graph does.
func (a *API) writeCollection(w http.ResponseWriter, rs resource, items []map[string]any, next string) {
	body := map[string]any{"@odata.context": a.contextURL(rs.collection, false), "value": items}
	if items == nil {
		body["value"] = []map[string]any{}
	}
	if next != "" {
		body["@odata.nextLink"] = next
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, body)
}

func (a *API) writeEntity(w http.ResponseWriter, status int, rs resource, v any, selects []string) error {
	obj, err := project(v, rs, selects)
	if err != nil {
		return err
	}
	obj["@odata.context"] = a.contextURL(rs.collection, true)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, obj)
	return nil
}

// writePage answers the page of list the query asks for (in id order,
// after its skip token, at most $top) as a collection of rs.
func writePage[T any](a *API, w http.ResponseWriter, r *http.Request, q query, p Principal, rs resource, list []T, id func(T) string) error {
	list, more := page(list, id, q)
	return writeItems(a, w, r, q, p, rs, list, more, id)
}

// writeItems answers list, one page of rs's collection, projected as the
// query selects; when more follow, the next link starts after its last
// item.
func writeItems[T any](a *API, w http.ResponseWriter, r *http.Request, q query, p Principal, rs resource, list []T, more bool, id func(T) string) error {
	items, err := projectAll(list, rs, q.selects)
	if err != nil {
		return err
	}
	next := ""
	if more {
		next = a.nextLink(r, q, p, rs, id(list[len(list)-1]))
	}
	a.writeCollection(w, rs, items, next)
	return nil
}

// byPathID finds the object the path's id names in the caller's tenant
// with get; a missing one is Graph's not found, naming the id.
func byPathID[T any](r *http.Request, p Principal, get func(ctx context.Context, tenantID, id string) (T, error)) (T, error) {
	id := r.PathValue("id")
	v, err := get(r.Context(), p.TenantID, id)
	if isNotFound(err) {
		var zero T
		return zero, notFound(id)
	}
	return v, err
}

// projectAll projects each item.
func projectAll[T any](items []T, rs resource, selects []string) ([]map[string]any, error) {
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		obj, err := project(it, rs, selects)
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}
