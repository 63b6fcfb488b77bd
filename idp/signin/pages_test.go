package signin

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/foyer-idp/foyer/internal/directory"
)

func TestEveryAPIPermissionHasPlainWords(t *testing.T) {
	for _, perm := range directory.APIPermissions {
		assert.NotEmpty(t, permissionDescriptions[perm], perm)
	}
}

func TestDescribeScopes(t *testing.T) {
	got := describeScopes("https://id.example", []string{
		"openid", "https://id.example/User.Invite.All", "https://elsewhere.example/User.Invite.All", "unknown",
	})
	assert.Equal(t, []string{"Sign you in", "Invite guest users on your behalf"}, got)
}

func TestMaskEmailShowsAtMostOneCharacter(t *testing.T) {
	for in, want := range map[string]string{
		"samuel@fabrikam.test":  "s***@fabrikam.test",
		"s@fabrikam.test":       "s***@fabrikam.test",
		"@fabrikam.test":        "***@fabrikam.test",
		"élodie@fabrikam.test":  "é***@fabrikam.test",
		`"a@b"@fabrikam.test`:   `"***@fabrikam.test`,
		"no-at-sign":            "",
		"\xffbad@fabrikam.test": "***@fabrikam.test",
	} {
		assert.Equal(t, want, maskEmail(in), in)
	}
}
