package bootstrap

import "github.com/foyer-idp/foyer/internal/directory"

// Results of an object.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
)

// Kinds of object a file declares.
const (
	KindTenant      = "tenant"
	KindMember      = "member"
	KindGroup       = "group"
	KindApplication = "application"
	KindIdP         = "identityProvider"
)

// Report says what Apply did to each object the file names, in the file's
// order.
type Report struct {
	Objects []Object `json:"objects"`
}

// Object is one tenant, member, group or application of the file.
type Object struct {
	Kind   string `json:"kind"`
	Tenant string `json:"tenant"` // the tenant's slug
	// Name is what the object is matched by: slug, mail, display name or
	// client id.
	Name   string `json:"name"`
	ID     string `json:"id"`
	Result string `json:"result"`
	// Changed names what an update changed, by the file's keys
	// (displayName, redirectUris, password, roles, members, secret …).
	Changed []string `json:"changed,omitempty"`
	// Secret is the generated secret of a new confidential application
	// whose file declares none: shown here once, never stored.
	Secret *directory.NewSecret `json:"passwordCredential,omitempty"`
}

// Count answers how many objects had the result.
func (r Report) Count(result string) int {
	n := 0
	for _, o := range r.Objects {
		if o.Result == result {
			n++
		}
	}
	return n
}

// Changed reports whether anything was created or updated.
func (r Report) Changed() bool { return r.Count(Unchanged) != len(r.Objects) }
