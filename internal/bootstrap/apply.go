package bootstrap

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// KeyEnsurer gives a tenant its signing keys when it lacks them;
// *keys.Manager satisfies it.
type KeyEnsurer interface {
	Ensure(ctx context.Context, tenantID string) error
}

// DevMinSecretLength is the shortest client secret development mode
// accepts: the dev seed's "demo-secret".
const DevMinSecretLength = len("demo-secret")

// Deps are what Apply needs. Apply builds its own directory service on the
// transaction it runs in, from the same hashers the server's uses.
type Deps struct {
	Store store.Store
	// SecretHasher and Passwords are the directory's (directory.Config).
	SecretHasher *secret.Hasher
	Passwords    *secret.PasswordHasher
	Keys         KeyEnsurer
	// Federation is the directory's configuration for identity providers
	// (directory.Config); without it a file declaring identityProviders is
	// refused.
	Federation *directory.FederationConfig
	// LookupEnv resolves passwordEnv, secretEnv and clientSecretEnv; nil
	// refuses them. The
	// package never reads the process environment itself.
	LookupEnv func(string) (string, bool)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MinSecretLength is the shortest secret or secretEnv value accepted:
	// directory.MinImportedSecretLength when 0, DevMinSecretLength for
	// the dev seed.
	MinSecretLength int
}

func (d Deps) validate() error {
	var errs []error
	if d.Store == nil {
		errs = append(errs, errors.New("bootstrap: Store is required"))
	}
	if d.SecretHasher == nil {
		errs = append(errs, errors.New("bootstrap: SecretHasher is required"))
	}
	if d.Passwords == nil {
		errs = append(errs, errors.New("bootstrap: Passwords is required"))
	}
	if d.Keys == nil {
		errs = append(errs, errors.New("bootstrap: Keys is required"))
	}
	if d.MinSecretLength < 0 {
		errs = append(errs, fmt.Errorf("bootstrap: MinSecretLength %d is negative", d.MinSecretLength))
	}
	return errors.Join(errs...)
}

// Apply brings the store in line with f: it creates what is missing and
// updates the declared fields of what exists (tenants by slug, members by
// mail, groups by display name, applications by client id), never deleting
// what f does not name, then makes sure every tenant of f has signing keys.
//
// The whole file is checked first and applied in one transaction through
// the directory service, so each change is validated and audited as an
// admin's would be. Any problem, each named by its path in the file
// (tenants[1].applications[0].redirectUris: …), rolls everything back:
// nothing is written, not even an audit event. A second run with the same
// file writes nothing.
func Apply(ctx context.Context, deps Deps, f File) (Report, error) {
	if err := deps.validate(); err != nil {
		return Report{}, err
	}
	if deps.MinSecretLength == 0 {
		deps.MinSecretLength = directory.MinImportedSecretLength
	}
	a := &applier{deps: deps, skip: map[string]bool{}, passwords: map[string]string{}, secrets: map[string]string{}}
	a.checkFile(f)
	var tenants []store.Tenant
	err := deps.Store.InTx(ctx, func(tx store.Store) error {
		dir, err := directory.New(directory.Config{
			Store: tx, SecretHasher: deps.SecretHasher, Passwords: deps.Passwords, Now: deps.Now,
			Federation: deps.Federation,
		})
		if err != nil {
			return err
		}
		a.dir = dir
		for i, t := range f.Tenants {
			if a.fatal {
				break
			}
			if tn, ok := a.tenant(ctx, i, t); ok {
				tenants = append(tenants, tn)
			}
		}
		sortByPath(a.errs)
		return errors.Join(a.errs...)
	})
	if err != nil {
		return Report{}, err
	}
	// After the commit: the key manager writes in transactions of its own.
	var errs []error
	for _, tn := range tenants {
		if err := deps.Keys.Ensure(ctx, tn.ID); err != nil {
			errs = append(errs, fmt.Errorf("signing keys of tenant %q: %w", tn.Slug, err))
		}
	}
	return a.report, errors.Join(errs...)
}

// applier is one run of Apply.
type applier struct {
	deps   Deps
	dir    *directory.Directory
	report Report
	errs   []error
	// fatal is set by an error that may have broken the transaction (a
	// conflict, the database): nothing more is tried.
	fatal bool
	// skip marks objects whose key fields are missing.
	skip map[string]bool
	// passwords and secrets hold the resolved values, by object path.
	passwords, secrets map[string]string
}

// problem records an invalid value of the file at path.
func (a *applier) problem(path, format string, args ...any) {
	a.errs = append(a.errs, &directory.FieldError{Field: path, Message: fmt.Sprintf(format, args...), Err: directory.ErrInvalid})
}

// failed records err, the directory's answer about the object at path,
// with each field it names renamed to the file's key (rename maps "" to
// drop the field) and put under path.
func (a *applier) failed(path string, rename map[string]string, err error) {
	for _, e := range flatten(err) {
		var fe *directory.FieldError
		if !errors.As(e, &fe) {
			a.errs = append(a.errs, fmt.Errorf("%s: %w", path, e))
			a.fatal = true
			continue
		}
		field, ok := rename[fe.Field]
		if !ok {
			field = fe.Field
		}
		full := path
		if field != "" {
			full += "." + field
		}
		a.errs = append(a.errs, &directory.FieldError{Field: full, Message: fe.Message, Err: fe.Err})
		if !errors.Is(fe.Err, directory.ErrInvalid) {
			a.fatal = true
		}
	}
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func (a *applier) add(o Object) { a.report.Objects = append(a.report.Objects, o) }

// result answers created, updated or unchanged.
func result(created bool, changed []string) string {
	switch {
	case created:
		return Created
	case len(changed) > 0:
		return Updated
	default:
		return Unchanged
	}
}

// patchOf answers want when the file declares it and it differs from
// have, noting field as changed; nil otherwise.
func patchOf[T comparable](want *T, have T, field string, changed *[]string) *T {
	if want == nil || *want == have {
		return nil
	}
	*changed = append(*changed, field)
	return want
}

// listPatch is patchOf for a list, compared as a set.
func listPatch(want, have []string, field string, changed *[]string) *[]string {
	if want == nil || sameSet(want, have) {
		return nil
	}
	*changed = append(*changed, field)
	return &want
}

func sameSet(a, b []string) bool {
	norm := func(s []string) []string {
		out := slices.Clone(s)
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (a *applier) tenant(ctx context.Context, i int, t Tenant) (store.Tenant, bool) {
	path := fmt.Sprintf("tenants[%d]", i)
	if a.skip[path] {
		// Refused already; its children are still checked, in the tenant
		// itself when it exists (the transaction rolls back either way).
		if t.Slug != "" {
			if tn, err := a.dir.Tenant(ctx, t.Slug); err == nil {
				a.children(ctx, tn, path, t)
				return store.Tenant{}, false
			}
		}
		a.standIn(ctx, path, t)
		return store.Tenant{}, false
	}
	tn, err := a.dir.Tenant(ctx, t.Slug)
	var changed []string
	created := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		tn, err = a.dir.CreateTenant(ctx, directory.NewTenant{
			Slug: t.Slug, DisplayName: t.DisplayName, SigningAlg: deref(t.SigningAlgorithm),
			Branding: store.Branding{
				LogoURL: deref(t.Branding.LogoURL), AccentColor: deref(t.Branding.AccentColor), SenderName: deref(t.Branding.SenderName),
			},
		})
		if err != nil {
			a.failed(path, nil, err)
			a.standIn(ctx, path, t)
			return store.Tenant{}, false
		}
		created = true
	case err != nil:
		a.failed(path, nil, err)
		return store.Tenant{}, false
	default:
		p := directory.TenantPatch{
			DisplayName: patchOf(&t.DisplayName, tn.DisplayName, "displayName", &changed),
			LogoURL:     patchOf(t.Branding.LogoURL, tn.Branding.LogoURL, "branding.logoUrl", &changed),
			AccentColor: patchOf(t.Branding.AccentColor, tn.Branding.AccentColor, "branding.accentColor", &changed),
			SenderName:  patchOf(t.Branding.SenderName, tn.Branding.SenderName, "branding.senderName", &changed),
			SigningAlg:  patchOf(t.SigningAlgorithm, tn.SigningAlg, "signingAlgorithm", &changed),
		}
		if len(changed) > 0 {
			if tn, err = a.dir.UpdateTenant(ctx, tn.ID, p); err != nil {
				a.failed(path, nil, err)
				return store.Tenant{}, false
			}
		}
	}
	if t.InvitationPolicy != nil && !a.invitationPolicy(ctx, path, &tn, *t.InvitationPolicy, created, &changed) {
		return store.Tenant{}, false
	}
	if t.MFAPolicy != nil && !a.mfaPolicy(ctx, path, &tn, *t.MFAPolicy, created, &changed) {
		return store.Tenant{}, false
	}
	if len(t.Domains) > 0 && !a.domains(ctx, path, tn, t.Domains, created, &changed) {
		return store.Tenant{}, false
	}
	a.add(Object{Kind: KindTenant, Tenant: tn.Slug, Name: tn.Slug, ID: tn.ID, Result: result(created, changed), Changed: changed})
	a.children(ctx, tn, path, t)
	return tn, true
}

// invitationPolicy brings the tenant's invitation policy in line with
// the fields want declares, noting them as changed unless the tenant is
// new. It answers false when the directory refused.
func (a *applier) invitationPolicy(ctx context.Context, path string, tn *store.Tenant, want InvitationPolicy, created bool, changed *[]string) bool {
	path += ".invitationPolicy"
	next := tn.Invitations
	next.AllowInvitesFrom = directory.AllowInvitesFrom(next)
	var fields []string
	if want.AllowInvitesFrom != nil && *want.AllowInvitesFrom != next.AllowInvitesFrom {
		next.AllowInvitesFrom = *want.AllowInvitesFrom
		fields = append(fields, "invitationPolicy.allowInvitesFrom")
	}
	rename := map[string]string{"allowInvitesFrom": "allowInvitesFrom"}
	var rule, key string
	var domains []string
	switch {
	case want.AllowDomains != nil:
		rule, key, domains = store.InviteDomainsAllow, "allowDomains", want.AllowDomains
	case want.DenyDomains != nil:
		rule, key, domains = store.InviteDomainsDeny, "denyDomains", want.DenyDomains
	}
	if key != "" {
		rename["invitationDomains"], rename["invitationDomainRule"] = key, key
		// The directory keeps domains lower-cased, and a deny rule with
		// none as no rule.
		lower := make([]string, len(domains))
		for i, d := range domains {
			lower[i] = strings.ToLower(strings.TrimSpace(d))
		}
		if rule == store.InviteDomainsDeny && len(lower) == 0 {
			rule = ""
		}
		if rule != tn.Invitations.DomainRule || !sameSet(lower, tn.Invitations.Domains) {
			next.DomainRule, next.Domains = rule, domains
			fields = append(fields, "invitationPolicy."+key)
		}
	}
	if len(fields) > 0 {
		updated, err := a.dir.SetInvitationPolicy(ctx, tn.ID, next)
		if err != nil {
			a.failed(path, rename, err)
			return false
		}
		*tn = updated
	}
	redemption := a.redemptionPolicy(ctx, path, tn, want)
	if redemption == nil {
		return false
	}
	fields = append(fields, redemption...)
	if !created {
		*changed = append(*changed, fields...)
	}
	return true
}

// mfaPolicy brings the tenant's MFA policy in line with the fields want
// declares, compared by their effective values (an unset period is 30),
// noting them as changed unless the tenant is new. It answers false when
// the directory refused.
func (a *applier) mfaPolicy(ctx context.Context, path string, tn *store.Tenant, want MFAPolicy, created bool, changed *[]string) bool {
	next := store.MFAPolicy{Required: directory.MFARequired(tn.MFA), PeriodSeconds: tn.MFA.PeriodSeconds}
	var fields []string
	if want.Required != nil && *want.Required != next.Required {
		next.Required = *want.Required
		fields = append(fields, "mfaPolicy.required")
	}
	if want.PeriodSeconds != nil && directory.MFAPeriodSeconds(store.MFAPolicy{PeriodSeconds: *want.PeriodSeconds}) != directory.MFAPeriodSeconds(tn.MFA) {
		next.PeriodSeconds = *want.PeriodSeconds
		fields = append(fields, "mfaPolicy.periodSeconds")
	}
	if len(fields) == 0 {
		return true
	}
	updated, err := a.dir.SetMFAPolicy(ctx, tn.ID, next)
	if err != nil {
		a.failed(path+".mfaPolicy", nil, err)
		return false
	}
	*tn = updated
	if !created {
		*changed = append(*changed, fields...)
	}
	return true
}

// redemptionPolicy brings the tenant's redemption order and rule in line
// with want, answering the fields it changed, or nil when the directory
// refused.
func (a *applier) redemptionPolicy(ctx context.Context, path string, tn *store.Tenant, want InvitationPolicy) []string {
	effective := func(order []string) []string {
		if len(order) == 0 {
			return store.DefaultRedemptionOrder
		}
		return order
	}
	order, anyAccount := tn.Invitations.RedemptionOrder, tn.Invitations.RedeemWithAnyAccount
	fields := []string{}
	if want.RedemptionOrder != nil && !slices.Equal(effective(want.RedemptionOrder), effective(order)) {
		order = want.RedemptionOrder
		fields = append(fields, "invitationPolicy.redemptionOrder")
	}
	if want.RedeemWithAnyAccount != nil && *want.RedeemWithAnyAccount != anyAccount {
		anyAccount = *want.RedeemWithAnyAccount
		fields = append(fields, "invitationPolicy.redeemWithAnyAccount")
	}
	if len(fields) == 0 {
		return fields
	}
	updated, err := a.dir.SetRedemptionPolicy(ctx, tn.ID, order, anyAccount)
	if err != nil {
		a.failed(path, nil, err)
		return nil
	}
	*tn = updated
	return fields
}

// domains verifies the declared domains the tenant lacks, noting
// "domains" as changed unless the tenant is new. It answers false when
// the directory refused one.
func (a *applier) domains(ctx context.Context, path string, tn store.Tenant, want []string, created bool, changed *[]string) bool {
	have, err := a.dir.Domains(ctx, tn.ID)
	if err != nil {
		a.failed(path, nil, err)
		return false
	}
	added := false
	for j, d := range want {
		name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if name == "" || slices.ContainsFunc(have, func(h store.Domain) bool { return h.Name == name }) {
			continue
		}
		dom, err := a.dir.AddDomain(ctx, tn.ID, d)
		if err != nil {
			a.failed(fmt.Sprintf("%s.domains[%d]", path, j), map[string]string{"id": "", "tenant": ""}, err)
			if a.fatal {
				return false
			}
			continue
		}
		have, added = append(have, dom), true
	}
	if added && !created {
		*changed = append(*changed, "domains")
	}
	return true
}

// standIn checks the members, groups and applications of a tenant that
// could not be made, in a stand-in tenant, so one run names every problem
// of the file. The stand-in never commits: Apply rolls back whenever a
// problem was found, and one was.
func (a *applier) standIn(ctx context.Context, path string, t Tenant) {
	if a.fatal || len(t.Members)+len(t.Groups)+len(t.Applications)+len(t.IdentityProviders) == 0 {
		return
	}
	tn, err := a.dir.CreateTenant(ctx, directory.NewTenant{Slug: "check-" + secret.NewID(), DisplayName: "bootstrap check"})
	if err != nil {
		a.failed(path, nil, err)
		return
	}
	tn.Slug = t.Slug // for messages
	a.children(ctx, tn, path, t)
}

func (a *applier) children(ctx context.Context, tn store.Tenant, path string, t Tenant) {
	for j, m := range t.Members {
		if !a.fatal {
			a.member(ctx, tn, fmt.Sprintf("%s.members[%d]", path, j), m)
		}
	}
	if len(t.Groups) > 0 && !a.fatal {
		a.groups(ctx, tn, path, t.Groups, t.Members)
	}
	for j, app := range t.Applications {
		if !a.fatal {
			a.application(ctx, tn, fmt.Sprintf("%s.applications[%d]", path, j), app)
		}
	}
	if len(t.IdentityProviders) > 0 && !a.fatal {
		a.identityProviders(ctx, tn, path, t.IdentityProviders)
	}
}

var memberFields = map[string]string{"tenant": ""}

func (a *applier) member(ctx context.Context, tn store.Tenant, path string, m Member) {
	if a.skip[path] {
		return
	}
	password, hasPassword := a.passwords[path]
	// A file may pad an address; directory.User takes none padded.
	u, err := a.dir.User(ctx, tn.ID, strings.TrimSpace(m.Mail))
	var changed []string
	created := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		u, err = a.dir.CreateMember(ctx, tn.ID, directory.NewMember{
			DisplayName: m.DisplayName, GivenName: deref(m.GivenName), Surname: deref(m.Surname), Mail: m.Mail,
			UserPrincipalName: deref(m.UserPrincipalName), Password: password, AccountEnabled: m.AccountEnabled,
		})
		if err != nil {
			a.failed(path, memberFields, err)
			return
		}
		created = true
	case err != nil:
		a.failed(path, memberFields, err)
		return
	case u.UserType != store.UserTypeMember:
		a.problem(path+".mail", "%q is a %s; a bootstrap file manages members only", m.Mail, strings.ToLower(u.UserType))
		return
	default:
		// The directory keeps addresses lower-cased.
		mail := strings.ToLower(strings.TrimSpace(m.Mail))
		var upn *string
		if m.UserPrincipalName != nil {
			upn = new(strings.ToLower(strings.TrimSpace(*m.UserPrincipalName)))
		}
		p := directory.UserPatch{
			DisplayName:       patchOf(&m.DisplayName, u.DisplayName, "displayName", &changed),
			GivenName:         patchOf(m.GivenName, u.GivenName, "givenName", &changed),
			Surname:           patchOf(m.Surname, u.Surname, "surname", &changed),
			Mail:              patchOf(&mail, u.Mail, "mail", &changed),
			UserPrincipalName: patchOf(upn, u.UserPrincipalName, "userPrincipalName", &changed),
			AccountEnabled:    patchOf(m.AccountEnabled, u.AccountEnabled, "accountEnabled", &changed),
		}
		if len(changed) > 0 {
			if u, err = a.dir.UpdateUser(ctx, tn.ID, u.ID, p); err != nil {
				a.failed(path, memberFields, err)
				return
			}
		}
		if hasPassword && !a.fatal {
			switch _, err := a.dir.VerifyPassword(ctx, tn.ID, u.UserPrincipalName, password); {
			case err == nil, errors.Is(err, directory.ErrAccountDisabled):
			case errors.Is(err, directory.ErrBadCredentials):
				if err := a.dir.SetPassword(ctx, tn.ID, u.ID, password); err != nil {
					a.failed(path, memberFields, err)
					return
				}
				changed = append(changed, "password")
			default:
				a.failed(path, nil, err)
				return
			}
		}
	}
	if len(m.Roles) > 0 && !a.fatal {
		have, err := a.dir.UserRoles(ctx, tn.ID, u.ID)
		if err != nil {
			a.failed(path, nil, err)
			return
		}
		assigned := false
		for k, role := range m.Roles {
			if slices.Contains(have, role) {
				continue
			}
			if err := a.dir.AssignRole(ctx, tn.ID, u.ID, role); err != nil {
				a.failed(fmt.Sprintf("%s.roles[%d]", path, k), map[string]string{"role": "", "user": ""}, err)
				return
			}
			have, assigned = append(have, role), true
		}
		if assigned && !created {
			changed = append(changed, "roles")
		}
	}
	a.add(Object{Kind: KindMember, Tenant: tn.Slug, Name: u.Mail, ID: u.ID, Result: result(created, changed), Changed: changed})
}

func (a *applier) groups(ctx context.Context, tn store.Tenant, tenantPath string, groups []Group, members []Member) {
	// Members the file declares: a group naming one that was refused
	// does not report it again.
	declared := map[string]bool{}
	for _, m := range members {
		declared[strings.ToLower(strings.TrimSpace(m.Mail))] = true
	}
	existing, err := a.dir.Groups(ctx, tn.ID)
	if err != nil {
		a.failed(tenantPath+".groups", nil, err)
		return
	}
	for j, g := range groups {
		if a.fatal {
			return
		}
		path := fmt.Sprintf("%s.groups[%d]", tenantPath, j)
		if a.skip[path] {
			continue
		}
		var matches []store.Group
		for _, e := range existing {
			if e.DisplayName == g.DisplayName {
				matches = append(matches, e)
			}
		}
		if len(matches) > 1 {
			a.problem(path+".displayName", "%q names %d groups of the tenant; rename all but one first", g.DisplayName, len(matches))
			continue
		}
		a.group(ctx, tn, path, g, matches, declared)
	}
}

func (a *applier) group(ctx context.Context, tn store.Tenant, path string, g Group, matches []store.Group, declared map[string]bool) {
	var grp store.Group
	var changed []string
	created := len(matches) == 0
	var err error
	if created {
		grp, err = a.dir.CreateGroup(ctx, tn.ID, directory.NewGroup{
			DisplayName: g.DisplayName, Description: deref(g.Description), OwnersCanInviteGuests: deref(g.OwnersCanInviteGuests),
		})
		if err != nil {
			a.failed(path, nil, err)
			return
		}
	} else {
		grp = matches[0]
		p := directory.GroupPatch{
			Description:           patchOf(g.Description, grp.Description, "description", &changed),
			OwnersCanInviteGuests: patchOf(g.OwnersCanInviteGuests, grp.OwnersCanInviteGuests, "ownersCanInviteGuests", &changed),
		}
		if len(changed) > 0 {
			if grp, err = a.dir.UpdateGroup(ctx, tn.ID, grp.ID, p); err != nil {
				a.failed(path, nil, err)
				return
			}
		}
	}
	sets := []struct {
		key  string
		refs []string
		list func(*directory.Directory, context.Context, string, string) ([]store.User, error)
		add  func(*directory.Directory, context.Context, string, string, string) error
	}{
		{"members", g.Members, (*directory.Directory).GroupMembers, (*directory.Directory).AddGroupMember},
		{"owners", g.Owners, (*directory.Directory).GroupOwners, (*directory.Directory).AddGroupOwner},
	}
	for _, set := range sets {
		if len(set.refs) == 0 || a.fatal {
			continue
		}
		have, err := set.list(a.dir, ctx, tn.ID, grp.ID)
		if err != nil {
			a.failed(path, nil, err)
			return
		}
		added := false
		for k, ref := range set.refs {
			refPath := fmt.Sprintf("%s.%s[%d]", path, set.key, k)
			u, err := a.dir.User(ctx, tn.ID, strings.TrimSpace(ref))
			if errors.Is(err, store.ErrNotFound) && declared[strings.ToLower(strings.TrimSpace(ref))] {
				continue // the member was refused, and that is reported
			}
			if errors.Is(err, store.ErrNotFound) {
				a.problem(refPath, "%q is no user of tenant %q (declare it under members)", ref, tn.Slug)
				continue
			}
			if err != nil {
				a.failed(refPath, nil, err)
				return
			}
			if slices.ContainsFunc(have, func(h store.User) bool { return h.ID == u.ID }) {
				continue
			}
			if err := set.add(a.dir, ctx, tn.ID, grp.ID, u.ID); err != nil {
				a.failed(refPath, map[string]string{"user": "", "group": ""}, err)
				return
			}
			have, added = append(have, u), true
		}
		if added && !created {
			changed = append(changed, set.key)
		}
	}
	a.add(Object{Kind: KindGroup, Tenant: tn.Slug, Name: grp.DisplayName, ID: grp.ID, Result: result(created, changed), Changed: changed})
}

// appFields renames the directory's application fields to the file's keys.
var appFields = map[string]string{"appId": "clientId", "tenant": "", "endDateTime": "secret"}

func (a *applier) application(ctx context.Context, tn store.Tenant, path string, in Application) {
	if a.skip[path] {
		return
	}
	value, hasSecret := a.secrets[path]
	app, err := a.dir.Application(ctx, tn.ID, in.ClientID)
	if err == nil && app.ClientID != in.ClientID {
		err = store.ErrNotFound // matched an object id, not the client id
	}
	var changed []string
	var generated *directory.NewSecret
	created := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		app, generated, err = a.dir.CreateApplication(ctx, tn.ID, directory.NewApplication{
			DisplayName: in.DisplayName, ClientID: in.ClientID, ClientType: deref(in.ClientType),
			RedirectURIs: in.RedirectURIs, PostLogoutRedirectURIs: in.PostLogoutRedirectURIs,
			GrantTypes: in.GrantTypes, HomePageURL: deref(in.HomePageURL), FirstParty: deref(in.FirstParty),
			AssignmentRequired: deref(in.AssignmentRequired), RequiresMFA: deref(in.RequiresMFA),
			AccessTokenFormat: deref(in.AccessTokenFormat), APIPermissions: in.APIPermissions,
		})
		if err != nil {
			a.failed(path, appFields, err)
			return
		}
		created = true
		if hasSecret && generated != nil {
			// The operator's secret replaces the generated one, which
			// nobody would ever see.
			if err := a.dir.RemoveClientSecret(ctx, tn.ID, app.ID, generated.ID); err != nil {
				a.failed(path, appFields, err)
				return
			}
			generated = nil
		}
	case err != nil:
		a.failed(path, appFields, err)
		return
	default:
		if in.ClientType != nil && *in.ClientType != app.ClientType {
			a.problem(path+".clientType", "is %s and cannot change: register a new application", app.ClientType)
			return
		}
		p := directory.ApplicationPatch{
			DisplayName:            patchOf(&in.DisplayName, app.DisplayName, "displayName", &changed),
			RedirectURIs:           listPatch(in.RedirectURIs, app.RedirectURIs, "redirectUris", &changed),
			PostLogoutRedirectURIs: listPatch(in.PostLogoutRedirectURIs, app.PostLogoutRedirectURIs, "postLogoutRedirectUris", &changed),
			GrantTypes:             listPatch(in.GrantTypes, app.GrantTypes, "grantTypes", &changed),
			HomePageURL:            patchOf(in.HomePageURL, app.HomePageURL, "homePageUrl", &changed),
			FirstParty:             patchOf(in.FirstParty, app.FirstParty, "firstParty", &changed),
			AssignmentRequired:     patchOf(in.AssignmentRequired, app.AssignmentRequired, "assignmentRequired", &changed),
			RequiresMFA:            patchOf(in.RequiresMFA, app.RequiresMFA, "requiresMfa", &changed),
			AccessTokenFormat:      patchOf(in.AccessTokenFormat, app.AccessTokenFormat, "accessTokenFormat", &changed),
			APIPermissions:         listPatch(in.APIPermissions, app.APIPermissions, "apiPermissions", &changed),
		}
		if len(changed) > 0 {
			if app, err = a.dir.UpdateApplication(ctx, tn.ID, app.ID, p); err != nil {
				a.failed(path, appFields, err)
				return
			}
		}
		if hasSecret {
			switch _, err := a.dir.VerifyClientSecret(ctx, tn.ID, app.ClientID, value); {
			case err == nil:
				hasSecret = false // already one of its secrets
			case errors.Is(err, directory.ErrBadCredentials):
				changed = append(changed, "secret")
			default:
				a.failed(path, nil, err)
				return
			}
		}
	}
	if hasSecret && !a.fatal {
		if _, err := a.dir.ImportClientSecret(ctx, tn.ID, app.ID, value, nil, a.deps.MinSecretLength); err != nil {
			a.failed(path, appFields, err)
			return
		}
	}
	a.add(Object{Kind: KindApplication, Tenant: tn.Slug, Name: app.ClientID, ID: app.ID,
		Result: result(created, changed), Changed: changed, Secret: generated})
}

// sortByPath orders problems as the file is: tenants[2] before tenants[10].
// Problems at one path keep their order.
func sortByPath(errs []error) {
	path := func(err error) string {
		var fe *directory.FieldError
		if errors.As(err, &fe) {
			return fe.Field
		}
		before, _, _ := strings.Cut(err.Error(), ":")
		return before
	}
	slices.SortStableFunc(errs, func(x, y error) int { return naturalCompare(path(x), path(y)) })
}

// naturalCompare compares strings with runs of digits as numbers.
func naturalCompare(x, y string) int {
	for x != "" && y != "" {
		dx, dy := digits(x), digits(y)
		if dx > 0 && dy > 0 {
			nx, ny := strings.TrimLeft(x[:dx], "0"), strings.TrimLeft(y[:dy], "0")
			if c := cmp.Compare(len(nx), len(ny)); c != 0 {
				return c
			}
			if c := strings.Compare(nx, ny); c != 0 {
				return c
			}
			x, y = x[dx:], y[dy:]
			continue
		}
		if x[0] != y[0] {
			return cmp.Compare(x[0], y[0])
		}
		x, y = x[1:], y[1:]
	}
	return cmp.Compare(len(x), len(y))
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
