package provider

import (
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/directory"
)

// The admin API is a resource whose identifier is the external URL, as
// Graph's is https://graph.microsoft.com: apps name its permissions as
// scopes under it. {external}/.default asks, by client credentials, for
// the application permissions the app holds (in roles);
// {external}/User.Invite.All and the like ask, in a user's sign-in, for
// delegated permissions (in scp). A token is for one resource: an API
// token's aud is the external URL, any other's the client id.

// defaultScope is the suffix of the scope asking for every application
// permission an app holds.
const defaultScope = ".default"

// apiPermission answers the permission a scope names on the admin API,
// and whether it names one at all.
func (tk *tokens) apiPermission(scope string) (string, bool) {
	return strings.CutPrefix(scope, tk.external+"/")
}

// delegated answers the short names of the admin-API permissions among
// scopes, in order, as scp carries them.
func (tk *tokens) delegated(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if perm, ok := tk.apiPermission(s); ok && slices.Contains(directory.APIPermissions, perm) {
			out = append(out, perm)
		}
	}
	return out
}
