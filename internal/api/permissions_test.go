package api

import (
	"slices"
	"testing"

	"github.com/foyer-idp/foyer/internal/directory"
)

// Every grant names a permission the directory can give an application,
// so no rule waits on a name nobody can hold.
func TestGrantsAreDirectoryPermissions(t *testing.T) {
	t.Parallel()
	for _, p := range []permission{readUsers, writeUsers, readGroups, writeGroups, readMembers, writeMembers, readApps, inviteGuests,
		sendInvitations, readPolicy, writePolicy, manageIdentityProviders, manageDomains, writeApps, manageMFAPolicy,
		readMFAReport, manageAuthMethods, manageAppSecrets, readOrganization, writeBranding} {
		for _, g := range p.grants {
			if !slices.Contains(directory.APIPermissions, g) {
				t.Errorf("grant %q is not in directory.APIPermissions", g)
			}
		}
	}
	for role := range roleAreas {
		if !slices.Contains(directory.Roles, role) {
			t.Errorf("role %q is not a directory role", role)
		}
	}
}
