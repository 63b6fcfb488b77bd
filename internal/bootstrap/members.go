package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

var memberFields = map[string]string{"tenant": ""}

func (a *applier) member(ctx context.Context, tn store.Tenant, path string, m Member) {
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
