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

// Federation: a tenant's verified domains, its upstream identity
// providers, partner providers for other tenants of this Foyer, and the
// profile a guest's upstream sign-in keeps up to date.
//
// The signatures below are the contract the admin API, the CLI, the
// bootstrap files and the sign-in pages build on.

// ErrFederationNotConfigured answers the identity provider methods of a
// directory built without a FederationConfig.
var ErrFederationNotConfigured = errors.New("directory: federation is not configured")

// FederationConfig is what the directory needs for identity providers.
type FederationConfig struct {
	// Sealer seals upstream client secrets (the master key's "idp-secrets"
	// purpose); associated data binds each to its tenant and provider.
	Sealer *secret.Sealer
	// CheckURL refuses an issuer or endpoint URL that resolves to a
	// loopback, private or link-local address unless the operator allowed
	// those (federation's guard); nil checks nothing.
	CheckURL func(ctx context.Context, rawURL string) error
	// Issuer answers a tenant's issuer URL ({external}/t/{slug}).
	Issuer func(t store.Tenant) string
	// CallbackURL answers the URL upstream providers send a tenant's
	// guests back to ({external}/t/{slug}/federation/callback).
	CallbackURL func(t store.Tenant) string
}

func (c *FederationConfig) check() error {
	var errs []error
	if c.Sealer == nil {
		errs = append(errs, errors.New("directory: Federation.Sealer is required"))
	}
	if c.Issuer == nil || c.CallbackURL == nil {
		errs = append(errs, errors.New("directory: Federation.Issuer and CallbackURL are required"))
	}
	return errors.Join(errs...)
}

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

// UpstreamProfile is what an upstream sign-in says of a guest.
type UpstreamProfile struct {
	Email string
	// EmailVerified is the upstream's email_verified (a real boolean true),
	// from the same source as Email.
	EmailVerified bool
	// ProviderID is the tenant's identity provider the guest signed in
	// with; the mail may follow only an address it serves.
	ProviderID  string
	DisplayName string
	GivenName   string
	Surname     string
}

// Limits and defaults of identity providers.
const (
	maxProviderScopes   = 50
	maxProviderDomains  = 500
	maxUpstreamClientID = 255
	maxUpstreamSecret   = 1024
	maxClaimName        = 128
	// partnerAttempts bounds the retries of PartnerProvider when a
	// concurrent first call wins the race to register the pair.
	partnerAttempts = 3
	// PartnerClientIDPrefix starts the client id of the application a
	// partner tenant holds for a tenant's guests: foyer-partner-{slug}.
	PartnerClientIDPrefix = "foyer-partner-"
	// RedemptionPolicyID names the redemption order in the audit log, as
	// Graph names it.
	RedemptionPolicyID = "invitationRedemptionIdentityProviderConfiguration"
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

var redemptionWays = []string{store.RedeemPartnerTenant, store.RedeemIdentityProvider, store.RedeemSocialProvider, store.RedeemEmailPasscode}

// normalizeDomain answers a verified domain's stored form, or a field
// error: a host name of two labels or more, no wildcard.
func normalizeDomain(field, raw string) (string, *FieldError) {
	name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
	if strings.HasPrefix(name, "*.") || !validDomainEntry(name) {
		return "", invalid(field, "%q is not a domain name like example.com", raw)
	}
	return name, nil
}

func domainEntry(tenantID, activity, name string) audit.Entry {
	return audit.Entry{TenantID: tenantID, Category: audit.CategoryDirectory, Activity: activity,
		Target: audit.Target{Type: audit.TargetDomain, ID: name, Name: name}}
}

// AddDomain records a verified email domain of the tenant (lower-cased;
// a host name of two labels or more). A domain belongs to one tenant.
// Audited as "Add verified domain".
func (d *Directory) AddDomain(ctx context.Context, tenantID, name string) (store.Domain, error) {
	dom := store.Domain{TenantID: tenantID, Name: strings.ToLower(strings.TrimSpace(name)), CreatedAt: d.clock()}
	err := d.change(ctx, domainEntry(tenantID, audit.ActivityAddVerifiedDomain, dom.Name), func(tx store.Store, e *audit.Entry) error {
		n, fe := normalizeDomain("id", name)
		if fe != nil {
			return fe
		}
		dom.Name, e.Target.ID, e.Target.Name = n, n, n
		if _, err := tx.GetTenant(ctx, tenantID); err != nil {
			return notFoundAs(err, "tenant", tenantID)
		}
		// Look first: on PostgreSQL a refused INSERT would abort the
		// transaction, and with it the audit event.
		switch _, err := tx.GetDomain(ctx, n); {
		case err == nil:
			return &FieldError{Field: "id", Message: fmt.Sprintf("%q is already verified by an organisation", n), Err: store.ErrConflict}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		return conflictAs(tx.AddDomain(ctx, dom), "id", n)
	})
	if err != nil {
		return store.Domain{}, err
	}
	return dom, nil
}

// RemoveDomain removes a verified domain. Audited as "Remove verified
// domain".
func (d *Directory) RemoveDomain(ctx context.Context, tenantID, name string) error {
	n := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	return d.change(ctx, domainEntry(tenantID, audit.ActivityRemoveVerifiedDomain, n), func(tx store.Store, _ *audit.Entry) error {
		return tx.RemoveDomain(ctx, tenantID, n)
	})
}

// Domains answers the tenant's verified domains.
func (d *Directory) Domains(ctx context.Context, tenantID string) ([]store.Domain, error) {
	return d.store.ListDomains(ctx, tenantID)
}

// DomainTenant answers the tenant that verified the domain of email, and
// false when none did.
func (d *Directory) DomainTenant(ctx context.Context, email string) (store.Tenant, bool, error) {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return store.Tenant{}, false, nil
	}
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(email[i+1:])), ".")
	if domain == "" {
		return store.Tenant{}, false, nil
	}
	dom, err := d.store.GetDomain(ctx, domain)
	if errors.Is(err, store.ErrNotFound) {
		return store.Tenant{}, false, nil
	}
	if err != nil {
		return store.Tenant{}, false, err
	}
	t, err := d.store.GetTenant(ctx, dom.TenantID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Tenant{}, false, nil // deleted since
	}
	if err != nil {
		return store.Tenant{}, false, err
	}
	return t, true, nil
}

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

// errPartnerRace marks a lost race to register a partner pair: the call
// is tried again and finds the winner's provider.
var errPartnerRace = errors.New("partner provider created concurrently")

// PartnerProvider answers the tenant's Foyer provider for another tenant
// of this Foyer. On first use it registers, in one transaction, a
// confidential application in the partner tenant (redirect URI:
// CallbackURL(tenant), authorization_code, a generated secret) and the
// provider in the tenant with that client, the partner's issuer and the
// secret sealed; both tenants' audit logs record it.
func (d *Directory) PartnerProvider(ctx context.Context, tenantID, partnerTenantID string) (store.IdentityProvider, error) {
	e := idpEntry(tenantID, audit.ActivityAddIdentityProvider, store.IdentityProvider{})
	if d.fed == nil {
		return store.IdentityProvider{}, ErrFederationNotConfigured
	}
	if partnerTenantID == tenantID {
		return store.IdentityProvider{}, invalid("partnerTenantId", "must be another tenant than the one it serves")
	}
	if p, ok, err := findPartnerProvider(ctx, d.store, tenantID, partnerTenantID); err != nil || ok {
		return p, err
	}
	var (
		p   store.IdentityProvider
		err error
	)
	for range partnerAttempts {
		ev := e
		err = d.store.InTx(ctx, func(tx store.Store) error {
			var created bool
			p, created, err = d.partnerProvider(ctx, tx, tenantID, partnerTenantID, &ev)
			if err != nil || !created {
				return err
			}
			return audit.Record(ctx, tx, d.clock(), ev)
		})
		e = ev
		if !errors.Is(err, errPartnerRace) {
			break
		}
	}
	if errors.Is(err, errPartnerRace) {
		err = fmt.Errorf("partner provider: %w", store.ErrConflict)
	}
	if err != nil {
		e.Err = errors.New(auditReason(err))
		_ = audit.Record(ctx, d.store, d.clock(), e)
		return store.IdentityProvider{}, err
	}
	return p, nil
}

func findPartnerProvider(ctx context.Context, st store.Store, tenantID, partnerTenantID string) (store.IdentityProvider, bool, error) {
	list, err := st.ListIdentityProviders(ctx, tenantID)
	if err != nil {
		return store.IdentityProvider{}, false, err
	}
	for _, p := range list {
		if p.Type == store.IdPFoyer && p.PartnerTenantID == partnerTenantID {
			return p, true, nil
		}
	}
	return store.IdentityProvider{}, false, nil
}

// partnerProvider does PartnerProvider's work in tx, answering whether it
// created the provider; e is the tenant's event, the partner's is recorded
// here.
func (d *Directory) partnerProvider(ctx context.Context, tx store.Store, tenantID, partnerTenantID string, e *audit.Entry) (store.IdentityProvider, bool, error) {
	if p, ok, err := findPartnerProvider(ctx, tx, tenantID, partnerTenantID); err != nil || ok {
		return p, false, err
	}
	t, err := tx.GetTenant(ctx, tenantID)
	if err != nil {
		return store.IdentityProvider{}, false, notFoundAs(err, "tenant", tenantID)
	}
	partner, err := tx.GetTenant(ctx, partnerTenantID)
	if err != nil {
		return store.IdentityProvider{}, false, notFoundAs(err, "partnerTenantId", partnerTenantID)
	}
	app, sec, activity, err := d.partnerApplication(ctx, tx, t, partner)
	if err != nil {
		return store.IdentityProvider{}, false, err
	}
	now := d.clock()
	p := store.IdentityProvider{
		TenantID: tenantID, ID: secret.NewID(), Type: store.IdPFoyer, DisplayName: partner.DisplayName,
		ClientID: app.ClientID, Issuer: d.fed.Issuer(partner), PartnerTenantID: partnerTenantID,
		Scopes: []string{"openid", "profile", "email"}, Domains: []string{}, Enabled: true,
		CreatedAt: now, UpdatedAt: now,
	}
	p.SealedClientSecret = d.fed.Sealer.Seal([]byte(sec.Value), secretAD(tenantID, p.ID))
	e.Target.ID, e.Target.Name = p.ID, p.DisplayName
	if err := tx.CreateIdentityProvider(ctx, p); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.IdentityProvider{}, false, errPartnerRace
		}
		return store.IdentityProvider{}, false, err
	}
	pe := appEntry(partnerTenantID, activity, app)
	if err := audit.Record(ctx, tx, now, pe); err != nil {
		return store.IdentityProvider{}, false, err
	}
	return p, true, nil
}

// partnerApplication registers, in the partner tenant, the client the
// tenant's guests sign in through, with a fresh secret. An application
// left from an earlier pair (its provider was deleted) is brought back
// to the pair's settings and its old secrets, which nobody holds any
// more, are replaced.
func (d *Directory) partnerApplication(ctx context.Context, tx store.Store, t, partner store.Tenant) (store.Application, *NewSecret, string, error) {
	now := d.clock()
	want := store.Application{
		TenantID: partner.ID, ID: secret.NewID(), ClientID: PartnerClientIDPrefix + t.Slug,
		DisplayName: t.DisplayName + " (guest access)", ClientType: store.ClientConfidential,
		RedirectURIs: []string{d.fed.CallbackURL(t)}, PostLogoutRedirectURIs: []string{},
		GrantTypes: []string{GrantAuthorizationCode}, AccessTokenFormat: "jwt", APIPermissions: []string{},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := checkApplication(want); err != nil {
		return store.Application{}, nil, "", err
	}
	app, err := tx.GetApplicationByClientID(ctx, partner.ID, want.ClientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := tx.CreateApplication(ctx, want); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return store.Application{}, nil, "", errPartnerRace
			}
			return store.Application{}, nil, "", err
		}
		sec, err := d.addSecret(ctx, tx, want, nil)
		return want, sec, audit.ActivityAddApplication, err
	case err != nil:
		return store.Application{}, nil, "", err
	case app.ClientType != store.ClientConfidential:
		return store.Application{}, nil, "", &FieldError{Field: "partnerTenantId", Err: store.ErrConflict,
			Message: fmt.Sprintf("the partner tenant has a %s application with client id %q", app.ClientType, app.ClientID)}
	}
	app.DisplayName, app.RedirectURIs, app.PostLogoutRedirectURIs = want.DisplayName, want.RedirectURIs, want.PostLogoutRedirectURIs
	app.GrantTypes, app.FirstParty, app.APIPermissions = want.GrantTypes, false, want.APIPermissions
	app.UpdatedAt = now
	if err := tx.UpdateApplication(ctx, app); err != nil {
		return store.Application{}, nil, "", err
	}
	old, err := tx.ListClientSecrets(ctx, partner.ID, app.ID)
	if err != nil {
		return store.Application{}, nil, "", err
	}
	for _, s := range old {
		if err := tx.DeleteClientSecret(ctx, partner.ID, app.ID, s.ID); err != nil {
			return store.Application{}, nil, "", err
		}
	}
	sec, err := d.addSecret(ctx, tx, app, nil)
	return app, sec, audit.ActivityUpdateApplication, err
}

// SetRedemptionPolicy sets the tenant's redemption order (store.Redeem…
// values, each at most once; empty for the default) and whether any
// account may redeem. Audited as "Update policy".
func (d *Directory) SetRedemptionPolicy(ctx context.Context, tenantID string, order []string, anyAccount bool) (store.Tenant, error) {
	var t store.Tenant
	e := audit.Entry{TenantID: tenantID, Category: audit.CategoryPolicy, Activity: audit.ActivityUpdatePolicy,
		Target: audit.Target{Type: audit.TargetPolicy, ID: RedemptionPolicyID, Name: RedemptionPolicyID}}
	err := d.change(ctx, e, func(tx store.Store, _ *audit.Entry) error {
		if fe := checkRedemptionOrder(order); fe != nil {
			return fe
		}
		var err error
		if t, err = tx.GetTenant(ctx, tenantID); err != nil {
			return err
		}
		t.Invitations.RedemptionOrder = append([]string{}, order...)
		t.Invitations.RedeemWithAnyAccount = anyAccount
		t.UpdatedAt = d.clock()
		return tx.UpdateTenant(ctx, t)
	})
	if err != nil {
		return store.Tenant{}, err
	}
	return t, nil
}

func checkRedemptionOrder(order []string) *FieldError {
	for i, way := range order {
		if !slices.Contains(redemptionWays, way) {
			return invalid("redemptionOrder", "%q is not one of %s", way, strings.Join(redemptionWays, ", "))
		}
		if slices.Contains(order[:i], way) {
			return invalid("redemptionOrder", "%q is listed twice", way)
		}
	}
	return nil
}

// RedemptionOrder answers the tenant's order, the default when unset.
func RedemptionOrder(p store.InvitationPolicy) []string {
	if len(p.RedemptionOrder) == 0 {
		return slices.Clone(store.DefaultRedemptionOrder)
	}
	return slices.Clone(p.RedemptionOrder)
}

// RefreshGuestProfile updates a guest's displayName, givenName, surname
// and mail from an upstream sign-in, when they changed. Audited as
// "Update user" with the guest as actor.
//
// The upstream's word is taken where it is a valid value: an empty or
// invalid field keeps what the guest has. The mail is Foyer's to guard:
// it follows the upstream only to an address the provider verified, in a
// domain the provider serves (see mailRefusal), and the address becomes
// verified (email_verified in tokens). A refused mail change keeps the old
// mail and is audited as a failed "Update user" with the reason. Nothing
// changed, nothing is written.
func (d *Directory) RefreshGuestProfile(ctx context.Context, tenantID, userID string, p UpstreamProfile) error {
	u, err := d.store.GetUser(ctx, tenantID, userID)
	if err != nil {
		return err
	}
	if u.UserType != store.UserTypeGuest {
		return invalid("userType", "only a guest's profile follows its upstream")
	}
	if _, changed := refreshedProfile(u, p); !changed {
		return nil
	}
	ctx = audit.WithActor(ctx, guestActor(u))
	e := userEntry(tenantID, audit.ActivityUpdateUser, u)
	var refusal string
	err = d.store.InTx(ctx, func(tx store.Store) error {
		u, err := tx.GetUser(ctx, tenantID, userID)
		if err != nil {
			return err
		}
		next, _ := refreshedProfile(u, p)
		if next.Mail != u.Mail || next.MailVerified != u.MailVerified {
			// Look first: on PostgreSQL a refused UPDATE would abort the
			// transaction.
			reason, err := mailRefusal(ctx, tx, u, next.Mail, p)
			switch {
			case err != nil:
				return err
			case reason != "" && next.Mail != u.Mail:
				refusal = fmt.Sprintf("mail not changed to %q: %s", next.Mail, reason)
				fallthrough
			case reason != "":
				next.Mail, next.MailVerified = u.Mail, u.MailVerified
			}
		}
		if !profileDiffers(u, next) {
			return nil // changed back meanwhile, or only a refused mail
		}
		next.UpdatedAt = d.clock()
		if err := tx.UpdateUser(ctx, next); err != nil {
			return err
		}
		return audit.Record(ctx, tx, d.clock(), e)
	})
	if err != nil {
		e.Err = errors.New(auditReason(err))
		_ = audit.Record(ctx, d.store, d.clock(), e)
		return err
	}
	if refusal != "" {
		e.Err = errors.New(refusal)
		return audit.Record(ctx, d.store, d.clock(), e)
	}
	return nil
}

// mailRefusal answers why a guest's mail must not become addr on the word
// of the upstream sign-in p, or "" when it may (the address is then
// verified):
//   - the provider asserted addr as verified (a real boolean true);
//   - addr is in a domain the provider serves: its configured domains, a
//     Foyer partner's verified domains, or when it has none, the domain of
//     an address the guest was invited with and accepted;
//   - addr is not in a verified domain of this tenant, nor of another
//     tenant of this Foyer unless the provider is that tenant's partner
//     provider;
//   - no other user holds addr and no pending invitation is for it.
func mailRefusal(ctx context.Context, tx store.Store, u store.User, addr string, p UpstreamProfile) (string, error) {
	if !p.EmailVerified {
		return "the identity provider did not verify it", nil
	}
	if p.ProviderID == "" {
		return "no identity provider of the organisation vouches for it", nil
	}
	prov, err := tx.GetIdentityProvider(ctx, u.TenantID, p.ProviderID)
	if errors.Is(err, store.ErrNotFound) {
		return "no identity provider of the organisation vouches for it", nil
	}
	if err != nil {
		return "", err
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	switch owner, err := tx.GetDomain(ctx, domain); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return "", err
	case owner.TenantID == u.TenantID:
		return "it is in a verified domain of this organisation", nil
	case prov.Type != store.IdPFoyer || prov.PartnerTenantID != owner.TenantID:
		return "it is in a domain another organisation verified, which the identity provider does not represent", nil
	}
	served, err := servedDomains(ctx, tx, u, prov)
	if err != nil {
		return "", err
	}
	if !slices.Contains(served, domain) {
		return "it is not in a domain the identity provider serves", nil
	}
	if addr == u.Mail {
		return "", nil
	}
	switch other, err := tx.GetUserByEmail(ctx, u.TenantID, addr); {
	case err == nil && other.ID != u.ID:
		return "another user of the organisation holds it", nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	pending, err := tx.ListInvitations(ctx, u.TenantID, store.InvitationFilter{Status: store.InvitationPending})
	if err != nil {
		return "", err
	}
	if slices.ContainsFunc(pending, func(inv store.Invitation) bool { return inv.Email == addr && inv.InvitedUserID != u.ID }) {
		return "an invitation to it is pending", nil
	}
	return "", nil
}

// servedDomains answers the email domains prov speaks for about guest u:
// its configured domains; a Foyer partner's, its partner tenant's verified
// domains; otherwise the domains of the addresses u accepted invitations
// at.
func servedDomains(ctx context.Context, tx store.Store, u store.User, prov store.IdentityProvider) ([]string, error) {
	if len(prov.Domains) > 0 {
		return prov.Domains, nil
	}
	var served []string
	if prov.Type == store.IdPFoyer && prov.PartnerTenantID != "" {
		doms, err := tx.ListDomains(ctx, prov.PartnerTenantID)
		if err != nil {
			return nil, err
		}
		for _, d := range doms {
			served = append(served, d.Name)
		}
		if len(served) > 0 {
			return served, nil
		}
	}
	invs, err := tx.ListInvitations(ctx, u.TenantID, store.InvitationFilter{Status: store.InvitationAccepted, InvitedUserID: u.ID})
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		served = append(served, inv.Email[strings.LastIndexByte(inv.Email, '@')+1:])
	}
	return served, nil
}

// refreshedProfile answers u with the valid, non-empty fields of p, and
// whether that differs from u. A mail the upstream verified is proposed
// as verified (the same address included: a later sign-in may verify it);
// the rules of mailRefusal decide.
func refreshedProfile(u store.User, p UpstreamProfile) (store.User, bool) {
	next := u
	if v := strings.TrimSpace(p.DisplayName); v != "" && checkName("displayName", v, 256) == nil {
		next.DisplayName = v
	}
	if v := strings.TrimSpace(p.GivenName); v != "" && checkText("givenName", v, 64) == nil {
		next.GivenName = v
	}
	if v := strings.TrimSpace(p.Surname); v != "" && checkText("surname", v, 64) == nil {
		next.Surname = v
	}
	if p.Email != "" {
		if mail, fe := normalizeEmail("mail", p.Email); fe == nil && (mail != u.Mail || p.EmailVerified) {
			next.Mail, next.MailVerified = mail, true
		}
	}
	return next, profileDiffers(u, next)
}

func profileDiffers(a, b store.User) bool {
	return a.DisplayName != b.DisplayName || a.GivenName != b.GivenName || a.Surname != b.Surname ||
		a.Mail != b.Mail || a.MailVerified != b.MailVerified
}
