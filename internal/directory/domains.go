package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/store"
)

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
