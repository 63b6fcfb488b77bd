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
	eachDeclared(a, tenantPath+".groups", groups, func(path string, g Group) {
		if matches, ok := matchByName(a, path, "groups", g.DisplayName, existing, func(e store.Group) string { return e.DisplayName }); ok {
			a.group(ctx, tn, path, g, matches, declared)
		}
	})
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
