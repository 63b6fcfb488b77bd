package directory

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// IdentityProviderInput is a new upstream provider. Type is one of
// store.IdPOpenIDConnect, IdPGoogle, IdPMicrosoft, IdPGitHub (Foyer
// providers are made by PartnerProvider only).
type IdentityProviderInput struct {
	Type         string
	DisplayName  string
	ClientID     string
	ClientSecret string
	// Issuer is required for OpenIDConnect; the presets fix their own.
	Issuer        string
	Scopes        []string
	ClaimsMapping store.ClaimsMapping
	Domains       []string
	// Enabled defaults to true, MFATrusted to false.
	Enabled    *bool
	MFATrusted *bool
}

// IdentityProviderPatch changes the fields that are set.
type IdentityProviderPatch struct {
	DisplayName   *string
	ClientID      *string
	ClientSecret  *string
	Issuer        *string
	Scopes        *[]string
	ClaimsMapping *store.ClaimsMapping
	Domains       *[]string
	Enabled       *bool
	MFATrusted    *bool
}

// Limits and defaults of identity providers.
const (
	maxProviderScopes   = 50
	maxProviderDomains  = 500
	maxUpstreamClientID = 255
	maxUpstreamSecret   = 1024
	maxClaimName        = 128
)

// Issuers the presets fix.
const (
	GoogleIssuer    = "https://accounts.google.com"
	MicrosoftIssuer = "https://login.microsoftonline.com/common/v2.0"
)

// providerPresets are the types an admin may create, with what each fixes.
var providerPresets = map[string]struct {
	issuer      string // fixed issuer; "" for none (OpenIDConnect: the admin's)
	displayName string // default display name
	scopes      []string
}{
	store.IdPOpenIDConnect: {scopes: []string{"openid", "profile", "email"}},
	store.IdPGoogle:        {issuer: GoogleIssuer, displayName: "Google", scopes: []string{"openid", "profile", "email"}},
	store.IdPMicrosoft:     {issuer: MicrosoftIssuer, displayName: "Microsoft account", scopes: []string{"openid", "profile", "email"}},
	store.IdPGitHub:        {displayName: "GitHub", scopes: []string{"read:user", "user:email"}},
}

var creatableProviderTypes = []string{store.IdPOpenIDConnect, store.IdPGoogle, store.IdPMicrosoft, store.IdPGitHub}

func idpEntry(tenantID, activity string, p store.IdentityProvider) audit.Entry {
	return audit.Entry{TenantID: tenantID, Category: audit.CategoryPolicy, Activity: activity,
		Target: audit.Target{Type: audit.TargetIdP, ID: p.ID, Name: p.DisplayName}}
}

// secretAD binds a sealed client secret to its tenant and provider: a
// sealed value copied to another row does not open there.
func secretAD(tenantID, id string) []byte { return []byte("idp:" + tenantID + "/" + id) }

// CreateIdentityProvider validates in, seals the client secret and stores
// the provider. Audited as "Add identity provider".
func (d *Directory) CreateIdentityProvider(ctx context.Context, tenantID string, in IdentityProviderInput) (store.IdentityProvider, error) {
	now := d.clock()
	p := store.IdentityProvider{
		TenantID: tenantID, ID: secret.NewID(), Type: in.Type, DisplayName: in.DisplayName, ClientID: in.ClientID,
		Issuer: in.Issuer, Scopes: slices.Clone(in.Scopes), ClaimsMapping: in.ClaimsMapping,
		Domains: slices.Clone(in.Domains), Enabled: in.Enabled == nil || *in.Enabled,
		MFATrusted: in.MFATrusted != nil && *in.MFATrusted, CreatedAt: now, UpdatedAt: now,
	}
	e := idpEntry(tenantID, audit.ActivityAddIdentityProvider, p)
	if d.fed == nil {
		return store.IdentityProvider{}, ErrFederationNotConfigured
	}
	var probs problems
	preset, ok := providerPresets[in.Type]
	switch {
	case in.Type == store.IdPFoyer:
		probs.add(invalid("identityProviderType", "Foyer providers are made for partner tenants by Foyer itself"))
	case !ok:
		probs.add(invalid("identityProviderType", "must be one of %s", strings.Join(creatableProviderTypes, ", ")))
	default:
		if strings.TrimSpace(p.DisplayName) == "" {
			p.DisplayName = preset.displayName
		}
		if p.Issuer == "" {
			p.Issuer = preset.issuer
		}
		if len(p.Scopes) == 0 {
			p.Scopes = slices.Clone(preset.scopes)
		}
	}
	probs.add(checkSecretValue(in.ClientSecret))
	if err := errors.Join(probs.Err(), normalizeProvider(&p)); err != nil {
		return store.IdentityProvider{}, d.refused(ctx, e, err)
	}
	e.Target.Name = p.DisplayName
	if err := d.checkIssuer(ctx, p); err != nil {
		return store.IdentityProvider{}, d.refused(ctx, e, err)
	}
	p.SealedClientSecret = d.fed.Sealer.Seal([]byte(in.ClientSecret), secretAD(tenantID, p.ID))
	err := d.change(ctx, e, func(tx store.Store, _ *audit.Entry) error {
		if _, err := tx.GetTenant(ctx, tenantID); err != nil {
			return notFoundAs(err, "tenant", tenantID)
		}
		if err := checkDomainsFree(ctx, tx, p); err != nil {
			return err
		}
		return tx.CreateIdentityProvider(ctx, p)
	})
	if err != nil {
		return store.IdentityProvider{}, err
	}
	return p, nil
}

// normalizeProvider checks and normalises the fields an admin sets of an
// OpenIDConnect, Google, Microsoft or GitHub provider (its type known
// good or reported already), answering every problem at once.
func normalizeProvider(p *store.IdentityProvider) error {
	var probs problems
	probs.add(checkName("displayName", p.DisplayName, 256))
	probs.add(checkUpstreamClientID(p.ClientID))
	preset, known := providerPresets[p.Type]
	switch {
	case !known:
	case p.Type == store.IdPOpenIDConnect:
		probs.add(checkIssuerURL(p.Issuer))
	case preset.issuer != "":
		if strings.TrimSuffix(p.Issuer, "/") != preset.issuer {
			probs.add(invalid("issuer", "is fixed for %s: %s", p.Type, preset.issuer))
		}
		p.Issuer = preset.issuer
	default:
		if p.Issuer != "" {
			probs.add(invalid("issuer", "%s has no OpenID issuer; leave it empty", p.Type))
		}
	}
	scopes := dedupe(p.Scopes)
	for _, sc := range scopes {
		if !scopeToken.MatchString(sc) {
			probs.add(invalid("scopes", "%q is not a scope token", sc))
		}
	}
	if len(scopes) > maxProviderScopes {
		probs.add(invalid("scopes", "must be at most %d scopes", maxProviderScopes))
	}
	if p.Type != store.IdPGitHub && !slices.Contains(scopes, "openid") {
		probs.add(invalid("scopes", "must include openid"))
	}
	p.Scopes = scopes
	for field, claim := range map[string]string{
		"claimsMapping.userId": p.ClaimsMapping.UserID, "claimsMapping.displayName": p.ClaimsMapping.DisplayName,
		"claimsMapping.givenName": p.ClaimsMapping.GivenName, "claimsMapping.surname": p.ClaimsMapping.Surname,
		"claimsMapping.email": p.ClaimsMapping.Email,
	} {
		if claim != "" && !claimName.MatchString(claim) {
			probs.add(invalid(field, "must be a claim name of at most %d letters, digits or . _ : / -", maxClaimName))
		}
	}
	domains := []string{}
	for _, raw := range p.Domains {
		n, fe := normalizeDomain("domains", raw)
		probs.add(fe)
		if fe == nil && !slices.Contains(domains, n) {
			domains = append(domains, n)
		}
	}
	if len(domains) > maxProviderDomains {
		probs.add(invalid("domains", "must be at most %d domains", maxProviderDomains))
	}
	p.Domains = domains
	return probs.Err()
}

// scopeToken is RFC 6749's scope-token; claimName a JSON claim name as
// upstreams use them (including URI-shaped ones).
var (
	scopeToken = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,128}$`)
	claimName  = regexp.MustCompile(`^[A-Za-z0-9._:/-]{1,128}$`)
)

// checkUpstreamClientID accepts the client id an upstream issued: printable
// ASCII without spaces.
func checkUpstreamClientID(s string) *FieldError {
	if s == "" {
		return invalid("clientId", "is required")
	}
	if len(s) > maxUpstreamClientID || strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return invalid("clientId", "must be at most %d printable characters without spaces", maxUpstreamClientID)
	}
	return nil
}

// checkSecretValue never quotes the value: it is a credential.
func checkSecretValue(s string) *FieldError {
	switch {
	case s == "":
		return invalid("clientSecret", "is required")
	case !utf8.ValidString(s) || len(s) > maxUpstreamSecret:
		return invalid("clientSecret", "must be valid text of at most %d bytes", maxUpstreamSecret)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return invalid("clientSecret", "must not contain spaces or control characters")
	}
	return nil
}

// checkIssuerURL: an absolute https URL (http only on a loopback host)
// without query, fragment or credentials; discovery is at issuer +
// /.well-known/openid-configuration.
func checkIssuerURL(s string) *FieldError {
	if s == "" {
		return invalid("issuer", "is required for an OpenID Connect provider")
	}
	u, fe := parseAbsolute("issuer", s)
	if fe != nil {
		return fe
	}
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())):
		return invalid("issuer", "must use https (http only for localhost)")
	case u.RawQuery != "" || strings.Contains(s, "?"):
		return invalid("issuer", "%q must not have a query", s)
	}
	return nil
}

// checkIssuer asks the operator's guard about an OpenIDConnect provider's
// issuer, the one URL Foyer fetches that an admin chose.
func (d *Directory) checkIssuer(ctx context.Context, p store.IdentityProvider) error {
	if d.fed.CheckURL == nil || p.Type != store.IdPOpenIDConnect {
		return nil
	}
	if err := d.fed.CheckURL(ctx, p.Issuer); err != nil {
		return invalid("issuer", "%q cannot be used: %v", p.Issuer, err)
	}
	return nil
}

// checkDomainsFree refuses a domain another provider of the tenant
// serves: home realm discovery must lead one way.
func checkDomainsFree(ctx context.Context, tx store.Store, p store.IdentityProvider) error {
	if len(p.Domains) == 0 {
		return nil
	}
	others, err := tx.ListIdentityProviders(ctx, p.TenantID)
	if err != nil {
		return err
	}
	var probs problems
	for _, o := range others {
		if o.ID == p.ID {
			continue
		}
		for _, dom := range p.Domains {
			if slices.Contains(o.Domains, dom) {
				probs.add(&FieldError{Field: "domains", Err: store.ErrConflict,
					Message: fmt.Sprintf("%q is served by identity provider %q already", dom, o.DisplayName)})
			}
		}
	}
	return probs.Err()
}

// UpdateIdentityProvider applies p. Audited as "Update identity provider".
func (d *Directory) UpdateIdentityProvider(ctx context.Context, tenantID, id string, p IdentityProviderPatch) (store.IdentityProvider, error) {
	e := idpEntry(tenantID, audit.ActivityUpdateIdentityProvider, store.IdentityProvider{ID: id})
	if d.fed == nil {
		return store.IdentityProvider{}, ErrFederationNotConfigured
	}
	current, err := d.store.GetIdentityProvider(ctx, tenantID, id)
	if err != nil {
		return store.IdentityProvider{}, err
	}
	e.Target.Name = current.DisplayName
	// Check what can be checked before the transaction: the guard may
	// resolve names, which should not hold a write lock.
	next, err := applyProviderPatch(current, p)
	if err != nil {
		return store.IdentityProvider{}, d.refused(ctx, e, err)
	}
	if p.Issuer != nil {
		if err := d.checkIssuer(ctx, next); err != nil {
			return store.IdentityProvider{}, d.refused(ctx, e, err)
		}
	}
	err = d.change(ctx, e, func(tx store.Store, e *audit.Entry) error {
		current, err := tx.GetIdentityProvider(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if next, err = applyProviderPatch(current, p); err != nil {
			return err
		}
		e.Target.Name = next.DisplayName
		if p.ClientSecret != nil {
			next.SealedClientSecret = d.fed.Sealer.Seal([]byte(*p.ClientSecret), secretAD(tenantID, id))
		}
		if p.Domains != nil {
			if err := checkDomainsFree(ctx, tx, next); err != nil {
				return err
			}
		}
		next.UpdatedAt = d.clock()
		return tx.UpdateIdentityProvider(ctx, next)
	})
	if err != nil {
		return store.IdentityProvider{}, err
	}
	return next, nil
}

// applyProviderPatch answers cur with p applied and checked. A Foyer
// provider's connection (client, secret, issuer, scopes, claims,
// domains) is Foyer's: only its name and switches change.
func applyProviderPatch(cur store.IdentityProvider, p IdentityProviderPatch) (store.IdentityProvider, error) {
	next := cur
	next.Scopes, next.Domains = slices.Clone(cur.Scopes), slices.Clone(cur.Domains)
	setIf(&next.DisplayName, p.DisplayName)
	setIf(&next.Enabled, p.Enabled)
	setIf(&next.MFATrusted, p.MFATrusted)
	if cur.Type == store.IdPFoyer {
		var probs problems
		for field, set := range map[string]bool{
			"clientId": p.ClientID != nil, "clientSecret": p.ClientSecret != nil, "issuer": p.Issuer != nil,
			"scopes": p.Scopes != nil, "claimsMapping": p.ClaimsMapping != nil, "domains": p.Domains != nil,
		} {
			if set {
				probs.add(invalid(field, "is managed by Foyer for a partner tenant's provider"))
			}
		}
		probs.add(checkName("displayName", next.DisplayName, 256))
		return next, probs.Err()
	}
	setIf(&next.ClientID, p.ClientID)
	setIf(&next.Issuer, p.Issuer)
	setIf(&next.Scopes, p.Scopes)
	setIf(&next.ClaimsMapping, p.ClaimsMapping)
	setIf(&next.Domains, p.Domains)
	var probs problems
	if p.ClientSecret != nil {
		probs.add(checkSecretValue(*p.ClientSecret))
	}
	if len(next.Scopes) == 0 && p.Scopes != nil {
		next.Scopes = slices.Clone(providerPresets[next.Type].scopes)
	}
	return next, errors.Join(probs.Err(), normalizeProvider(&next))
}

// DeleteIdentityProvider removes a provider; guests linked through it keep
// their identities but cannot sign in with it. Audited as "Delete
// identity provider".
func (d *Directory) DeleteIdentityProvider(ctx context.Context, tenantID, id string) error {
	e := idpEntry(tenantID, audit.ActivityDeleteIdentityProvider, store.IdentityProvider{ID: id})
	return d.change(ctx, e, func(tx store.Store, e *audit.Entry) error {
		p, err := tx.GetIdentityProvider(ctx, tenantID, id)
		if err != nil {
			return err
		}
		e.Target.Name = p.DisplayName
		return tx.DeleteIdentityProvider(ctx, tenantID, id)
	})
}

// IdentityProviders answers the tenant's providers, Foyer partners
// included.
func (d *Directory) IdentityProviders(ctx context.Context, tenantID string) ([]store.IdentityProvider, error) {
	return d.store.ListIdentityProviders(ctx, tenantID)
}

// IdentityProvider answers one provider.
func (d *Directory) IdentityProvider(ctx context.Context, tenantID, id string) (store.IdentityProvider, error) {
	p, err := d.store.GetIdentityProvider(ctx, tenantID, id)
	if err != nil {
		return store.IdentityProvider{}, fmt.Errorf("identity provider %q: %w", id, err)
	}
	return p, nil
}

// ClientSecret opens a provider's sealed client secret ("" when it has
// none).
func (d *Directory) ClientSecret(p store.IdentityProvider) (string, error) {
	if len(p.SealedClientSecret) == 0 {
		return "", nil
	}
	if d.fed == nil {
		return "", ErrFederationNotConfigured
	}
	plain, err := d.fed.Sealer.Open(p.SealedClientSecret, secretAD(p.TenantID, p.ID))
	if err != nil {
		return "", fmt.Errorf("client secret of identity provider %q: %w", p.ID, err)
	}
	return string(plain), nil
}
