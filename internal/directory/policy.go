package directory

import (
	"strings"

	"github.com/foyer-idp/foyer/internal/store"
)

// DefaultAllowInvitesFrom is who may invite in a tenant that never said.
// Entra's default also lets guests invite; Foyer's does not, because a
// guest inviting more guests is how outsiders spread through a directory.
const DefaultAllowInvitesFrom = store.InvitesFromAdminsInvitersMembers

// AllowInvitesFrom answers the tenant's rule, the default when unset.
func AllowInvitesFrom(p store.InvitationPolicy) string {
	if p.AllowInvitesFrom == "" {
		return DefaultAllowInvitesFrom
	}
	return p.AllowInvitesFrom
}

// DomainAllowed reports whether the tenant's domain rule lets a guest with
// this (lower-cased) address in. An entry matches its domain exactly;
// "*.example.com" matches every subdomain of example.com but not
// example.com itself.
func DomainAllowed(p store.InvitationPolicy, email string) bool {
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return false
	}
	listed := false
	for _, d := range p.Domains {
		if rest, wild := strings.CutPrefix(d, "*."); wild {
			listed = strings.HasSuffix(domain, "."+rest)
		} else {
			listed = domain == d
		}
		if listed {
			break
		}
	}
	switch p.DomainRule {
	case store.InviteDomainsAllow:
		return listed
	case store.InviteDomainsDeny:
		return !listed
	default:
		return true
	}
}
