package bootstrap

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// checkFile finds what is wrong with f before anything is looked up: keys
// that are missing or declared twice, roles that do not exist, secrets and
// passwords (resolving the environment variables named). The directory
// checks the rest (addresses, URIs, algorithms …) as Apply goes.
func (a *applier) checkFile(f File) {
	slugs := map[string]int{}
	for i, t := range f.Tenants {
		path := fmt.Sprintf("tenants[%d]", i)
		a.required(path, "slug", t.Slug)
		a.required(path, "displayName", t.DisplayName)
		a.declaredOnce(slugs, "tenants", i, "slug", t.Slug, t.Slug)
		if p := t.InvitationPolicy; p != nil && p.AllowDomains != nil && p.DenyDomains != nil {
			a.problem(path+".invitationPolicy", "declares both allowDomains and denyDomains; a tenant has one domain rule")
			a.skip[path] = true
		}
		a.checkDomains(path, t.Domains)
		a.checkMembers(path, t.Members)
		a.checkGroups(path, t.Groups)
		a.checkApplications(path, t.Applications)
		a.checkIdentityProviders(path, t.IdentityProviders)
		if p := t.InvitationPolicy; p != nil {
			a.checkRedemptionOrder(path+".invitationPolicy.redemptionOrder", p.RedemptionOrder)
		}
	}
}

// checkRedemptionOrder refuses a way to redeem that does not exist, or
// one named twice.
func (a *applier) checkRedemptionOrder(path string, order []string) {
	seen := map[string]bool{}
	for k, w := range order {
		switch {
		case !slices.Contains(store.DefaultRedemptionOrder, w):
			a.problem(fmt.Sprintf("%s[%d]", path, k), "%q is not one of %q", w, store.DefaultRedemptionOrder)
		case seen[w]:
			a.problem(fmt.Sprintf("%s[%d]", path, k), "%q is declared twice", w)
		}
		seen[w] = true
	}
}

// idpTypes are the identity provider types a file may declare.
var idpTypes = []string{store.IdPOpenIDConnect, store.IdPGoogle, store.IdPMicrosoft, store.IdPGitHub}

func (a *applier) checkIdentityProviders(tenantPath string, providers []IdentityProvider) {
	if len(providers) > 0 && a.deps.Federation == nil {
		a.problem(tenantPath+".identityProviders", "cannot be applied here: no key seals their client secrets")
		a.skip[tenantPath] = true
		return
	}
	names := map[string]int{}
	for j, p := range providers {
		path := fmt.Sprintf("%s.identityProviders[%d]", tenantPath, j)
		a.required(path, "displayName", p.DisplayName)
		a.required(path, "type", p.Type)
		a.required(path, "clientId", p.ClientID)
		a.declaredOnce(names, tenantPath+".identityProviders", j, "displayName", p.DisplayName, p.DisplayName)
		switch {
		case p.Type == store.IdPFoyer:
			a.problem(path+".type", "Foyer providers are managed by Foyer and cannot be declared")
			a.skip[path] = true
		case p.Type != "" && !slices.Contains(idpTypes, p.Type):
			a.problem(path+".type", "%q is not one of %q", p.Type, idpTypes)
			a.skip[path] = true
		}
		// The value is a credential: no message quotes it.
		if value, ok := a.resolve(path, "clientSecret", p.ClientSecret, "clientSecretEnv", p.ClientSecretEnv); ok {
			a.secrets[path] = value
		} else if p.ClientSecret != "" || p.ClientSecretEnv != "" {
			a.skip[path] = true // reported; the directory would say it is missing
		}
	}
}

// checkDomains refuses an empty domain and one declared twice; the
// directory checks the rest.
func (a *applier) checkDomains(tenantPath string, domains []string) {
	seen := map[string]int{}
	for j, d := range domains {
		path := fmt.Sprintf("%s.domains[%d]", tenantPath, j)
		key := strings.ToLower(strings.TrimSpace(d))
		switch first, dup := seen[key]; {
		case key == "":
			a.problem(path, "is empty")
		case dup:
			a.problem(path, "%q is declared twice (first at %s.domains[%d])", d, tenantPath, first)
		default:
			seen[key] = j
		}
	}
}

// declaredOnce refuses the object at listPath[j] when its key (field,
// declared as value) was declared before in the list, naming where first,
// and skips it; seen remembers where each key was first. An empty key is
// required's to report.
func (a *applier) declaredOnce(seen map[string]int, listPath string, j int, field, key, value string) {
	path := fmt.Sprintf("%s[%d]", listPath, j)
	if first, dup := seen[key]; dup && key != "" {
		a.problem(path+"."+field, "%q is declared twice (first at %s[%d])", value, listPath, first)
		a.skip[path] = true
	} else {
		seen[key] = j
	}
}

// required notes a missing key field and skips its object.
func (a *applier) required(path, key, value string) {
	if strings.TrimSpace(value) == "" {
		a.problem(path+"."+key, "is required")
		a.skip[path] = true
	}
}

func (a *applier) checkMembers(tenantPath string, members []Member) {
	mails := map[string]int{}
	for j, m := range members {
		path := fmt.Sprintf("%s.members[%d]", tenantPath, j)
		a.required(path, "mail", m.Mail)
		a.required(path, "displayName", m.DisplayName)
		a.declaredOnce(mails, tenantPath+".members", j, "mail", strings.ToLower(strings.TrimSpace(m.Mail)), m.Mail)
		if pw, ok := a.resolve(path, "password", m.Password, "passwordEnv", m.PasswordEnv); ok {
			a.passwords[path] = pw
		}
		for k, role := range m.Roles {
			if !slices.Contains(directory.Roles, role) {
				a.problem(fmt.Sprintf("%s.roles[%d]", path, k), "%q is not one of %q", role, directory.Roles)
			}
		}
	}
}

func (a *applier) checkGroups(tenantPath string, groups []Group) {
	names := map[string]int{}
	for j, g := range groups {
		path := fmt.Sprintf("%s.groups[%d]", tenantPath, j)
		a.required(path, "displayName", g.DisplayName)
		a.declaredOnce(names, tenantPath+".groups", j, "displayName", g.DisplayName, g.DisplayName)
	}
}

func (a *applier) checkApplications(tenantPath string, apps []Application) {
	ids := map[string]int{}
	for j, app := range apps {
		path := fmt.Sprintf("%s.applications[%d]", tenantPath, j)
		a.required(path, "clientId", app.ClientID)
		a.required(path, "displayName", app.DisplayName)
		a.declaredOnce(ids, tenantPath+".applications", j, "clientId", app.ClientID, app.ClientID)
		value, ok := a.resolve(path, "secret", app.Secret, "secretEnv", app.SecretEnv)
		if !ok {
			continue
		}
		key := "secret"
		if app.SecretEnv != "" {
			key = "secretEnv"
		}
		// The value is a credential: no message quotes it.
		switch n := utf8.RuneCountInString(value); {
		case app.ClientType != nil && *app.ClientType != store.ClientConfidential:
			a.problem(path+"."+key, "only a confidential application has a secret; this one is %s", *app.ClientType)
		case n < a.deps.MinSecretLength:
			a.problem(path+"."+key, "is too short: at least %d characters (openssl rand -base64 32 makes one)", a.deps.MinSecretLength)
		default:
			a.secrets[path] = value
		}
	}
}

// resolve answers the value a pair of keys gives (literal, or the named
// environment variable); ok is false when neither is given or the pair is
// wrong.
func (a *applier) resolve(path, key, literal, envKey, envName string) (string, bool) {
	switch {
	case literal != "" && envName != "":
		a.problem(path+"."+envKey, "give %s or %s, not both", key, envKey)
	case literal != "":
		return literal, true
	case envName != "":
		if a.deps.LookupEnv == nil {
			a.problem(path+"."+envKey, "environment variables cannot be read here")
			break
		}
		value, set := a.deps.LookupEnv(envName)
		if !set || value == "" {
			a.problem(path+"."+envKey, "environment variable %s is not set", envName)
			break
		}
		return value, true
	}
	return "", false
}
