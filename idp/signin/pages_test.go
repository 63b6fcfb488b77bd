package signin

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

func TestEveryAPIPermissionHasPlainWords(t *testing.T) {
	t.Parallel()
	for _, perm := range directory.APIPermissions {
		assert.NotEmpty(t, permissionDescriptions[perm], perm)
	}
}

func TestDescribeScopes(t *testing.T) {
	t.Parallel()
	got := describeScopes("https://id.example", []string{
		"openid", "https://id.example/User.Invite.All", "https://elsewhere.example/User.Invite.All", "unknown",
	})
	assert.Equal(t, []string{"Sign you in", "Invite guest users on your behalf"}, got)
}

func TestPersonNeverShowsAGuestsUPN(t *testing.T) {
	t.Parallel()
	upn := "sam_fabrikam.test#EXT#@woodgrove.localhost"
	for _, tc := range []struct {
		user store.User
		want string
	}{
		{store.User{DisplayName: "Sam", Mail: "sam@fabrikam.test", UserPrincipalName: upn}, "Sam (sam@fabrikam.test)"},
		{store.User{Mail: "sam@fabrikam.test", UserPrincipalName: upn}, "sam@fabrikam.test"},
		{store.User{DisplayName: "sam@fabrikam.test", Mail: "sam@fabrikam.test", UserPrincipalName: upn}, "sam@fabrikam.test"},
		{store.User{DisplayName: " Sam ", UserPrincipalName: upn}, "Sam"},
		{store.User{UserPrincipalName: "svc@woodgrove.test"}, "svc@woodgrove.test"},
	} {
		assert.Equal(t, tc.want, person(tc.user))
	}
}
