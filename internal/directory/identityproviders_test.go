package directory_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

func googleInput() directory.IdentityProviderInput {
	return directory.IdentityProviderInput{Type: store.IdPGoogle, ClientID: "123-abc.apps.googleusercontent.com",
		ClientSecret: "GOCSPX-google-secret"}
}

func oidcInput(name string) directory.IdentityProviderInput {
	return directory.IdentityProviderInput{
		Type: store.IdPOpenIDConnect, DisplayName: name, ClientID: name + "-client",
		ClientSecret: "secret-of-" + name, Issuer: "https://login." + name + ".example",
		Domains: []string{name + ".example"},
	}
}

func testProviderPresets(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")

	g, err := f.dir.CreateIdentityProvider(ctx, tn.ID, googleInput())
	require.NoError(t, err)
	require.Equal(t, directory.GoogleIssuer, g.Issuer)
	require.Equal(t, "Google", g.DisplayName)
	require.Equal(t, []string{"openid", "profile", "email"}, g.Scopes)
	require.True(t, g.Enabled, "enabled by default")
	require.False(t, g.MFATrusted)
	require.Equal(t, f.now, g.CreatedAt)

	ms := directory.IdentityProviderInput{Type: store.IdPMicrosoft, ClientID: "0000-1111", ClientSecret: "ms-secret",
		Issuer: directory.MicrosoftIssuer + "/", Enabled: new(false), MFATrusted: new(true)}
	m, err := f.dir.CreateIdentityProvider(ctx, tn.ID, ms)
	require.NoError(t, err)
	require.Equal(t, "https://login.microsoftonline.com/common/v2.0", m.Issuer)
	require.False(t, m.Enabled)
	require.True(t, m.MFATrusted)

	gh, err := f.dir.CreateIdentityProvider(ctx, tn.ID, directory.IdentityProviderInput{
		Type: store.IdPGitHub, ClientID: "Iv1.0123456789abcdef", ClientSecret: "gh-secret"})
	require.NoError(t, err)
	require.Empty(t, gh.Issuer, "GitHub has none")
	require.Equal(t, "GitHub", gh.DisplayName)

	got, err := f.dir.IdentityProvider(ctx, tn.ID, g.ID)
	require.NoError(t, err)
	require.Equal(t, g, got)
	list, err := f.dir.IdentityProviders(ctx, tn.ID)
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Len(t, f.events(t, tn.ID, audit.ActivityAddIdentityProvider), 3)
}

func testProviderRefusals(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	for _, c := range []struct {
		name   string
		in     func(in *directory.IdentityProviderInput)
		fields []string
	}{
		{"unknown type", func(in *directory.IdentityProviderInput) { in.Type = "SAML" }, []string{"identityProviderType"}},
		{"Foyer type", func(in *directory.IdentityProviderInput) { in.Type = store.IdPFoyer }, []string{"identityProviderType"}},
		{"everything missing", func(in *directory.IdentityProviderInput) {
			*in = directory.IdentityProviderInput{Type: store.IdPOpenIDConnect}
		}, []string{"displayName", "clientId", "clientSecret", "issuer"}},
		{"bad values", func(in *directory.IdentityProviderInput) {
			in.DisplayName = "a\nb"
			in.ClientID = "has space"
			in.ClientSecret = "with\ttab"
			in.Issuer = "http://login.northwind.example"
			in.Scopes = []string{"profile", "bad\"scope"}
			in.Domains = []string{"*.northwind.example"}
			in.ClaimsMapping.Email = "not a claim"
		}, []string{"displayName", "clientId", "clientSecret", "issuer", "scopes", "domains", "claimsMapping.email"}},
		{"issuer with fragment", func(in *directory.IdentityProviderInput) { in.Issuer = "https://x.example/#a" }, []string{"issuer"}},
		{"issuer with query", func(in *directory.IdentityProviderInput) { in.Issuer = "https://x.example/?tenant=1" }, []string{"issuer"}},
		{"Google's issuer is fixed", func(in *directory.IdentityProviderInput) {
			in.Type, in.Issuer = store.IdPGoogle, "https://evil.example"
		}, []string{"issuer"}},
		{"GitHub has no issuer", func(in *directory.IdentityProviderInput) { in.Type = store.IdPGitHub }, []string{"issuer"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := oidcInput("northwind")
			c.in(&in)
			_, err := f.dir.CreateIdentityProvider(ctx, tn.ID, in)
			requireFields(t, err, directory.ErrInvalid, c.fields...)
			require.NotContains(t, err.Error(), "secret-of-northwind", "a secret is never quoted")
		})
	}
	require.Empty(t, f.providers(t, tn.ID), "nothing written")
	for _, e := range f.events(t, tn.ID, audit.ActivityAddIdentityProvider) {
		require.Equal(t, store.ResultFailure, e.Result)
	}
}

func testProviderSecretSealed(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "contoso")
	const plain = "very-secret-upstream-value"
	in := oidcInput("northwind")
	in.ClientSecret = plain
	p, err := f.dir.CreateIdentityProvider(ctx, tn.ID, in)
	require.NoError(t, err)

	row, err := f.store.GetIdentityProvider(ctx, tn.ID, p.ID)
	require.NoError(t, err)
	require.NotEmpty(t, row.SealedClientSecret)
	require.False(t, bytes.Contains(row.SealedClientSecret, []byte(plain)), "sealed, not stored")
	require.NotContains(t, fmt.Sprintf("%+v", row), plain, "no column holds it")
	opened, err := f.dir.ClientSecret(row)
	require.NoError(t, err)
	require.Equal(t, plain, opened)

	// A sealed secret opens in its own row only.
	twin, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("contoso"))
	require.NoError(t, err)
	moved := twin
	moved.SealedClientSecret = row.SealedClientSecret
	_, err = f.dir.ClientSecret(moved)
	require.ErrorIs(t, err, secret.ErrUnseal, "another provider's row")
	moved = row
	moved.TenantID = other.ID
	_, err = f.dir.ClientSecret(moved)
	require.ErrorIs(t, err, secret.ErrUnseal, "another tenant's row")

	// A new secret replaces the old, sealed afresh.
	next := "rotated-upstream-value"
	_, err = f.dir.UpdateIdentityProvider(ctx, tn.ID, p.ID, directory.IdentityProviderPatch{ClientSecret: &next})
	require.NoError(t, err)
	row, err = f.store.GetIdentityProvider(ctx, tn.ID, p.ID)
	require.NoError(t, err)
	require.False(t, bytes.Contains(row.SealedClientSecret, []byte(next)))
	opened, err = f.dir.ClientSecret(row)
	require.NoError(t, err)
	require.Equal(t, next, opened)
	for _, e := range f.events(t, tn.ID, "") {
		require.NotContains(t, fmt.Sprintf("%+v", e), plain)
		require.NotContains(t, fmt.Sprintf("%+v", e), next)
	}
}

func testProviderCheckURL(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	var checked []string
	f.checkURL = func(_ context.Context, rawURL string) error {
		checked = append(checked, rawURL)
		if strings.Contains(rawURL, "internal") {
			return errors.New("resolves to a private address")
		}
		return nil
	}
	in := oidcInput("northwind")
	in.Issuer = "https://idp.internal.example"
	_, err := f.dir.CreateIdentityProvider(ctx, tn.ID, in)
	requireFields(t, err, directory.ErrInvalid, "issuer")
	require.ErrorContains(t, err, "resolves to a private address")
	require.Equal(t, []string{"https://idp.internal.example"}, checked)
	require.Empty(t, f.providers(t, tn.ID))

	p, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("northwind"))
	require.NoError(t, err)
	require.Equal(t, "https://login.northwind.example", checked[len(checked)-1])

	bad := "https://sso.internal.example"
	_, err = f.dir.UpdateIdentityProvider(ctx, tn.ID, p.ID, directory.IdentityProviderPatch{Issuer: &bad})
	requireFields(t, err, directory.ErrInvalid, "issuer")
	got, err := f.dir.IdentityProvider(ctx, tn.ID, p.ID)
	require.NoError(t, err)
	require.Equal(t, p.Issuer, got.Issuer, "a refused update changes nothing")
	require.Contains(t, f.auditActivities(t, tn.ID), audit.ActivityUpdateIdentityProvider+"/failure")

	// Presets fix their issuers: nothing of the admin's to check.
	n := len(checked)
	_, err = f.dir.CreateIdentityProvider(ctx, tn.ID, googleInput())
	require.NoError(t, err)
	require.Len(t, checked, n)
}

func testUpdateDeleteProvider(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	p, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("northwind"))
	require.NoError(t, err)

	f.now = f.now.Add(time.Hour)
	name, issuer := "Northwind SSO", "https://sso.northwind.example/v2"
	mapping := store.ClaimsMapping{UserID: "oid", Email: "upn"}
	got, err := f.dir.UpdateIdentityProvider(ctx, tn.ID, p.ID, directory.IdentityProviderPatch{
		DisplayName: &name, Issuer: &issuer, ClaimsMapping: &mapping, Domains: &[]string{"NW.example", "nw.example"},
		Enabled: new(false), MFATrusted: new(true),
	})
	require.NoError(t, err)
	require.Equal(t, name, got.DisplayName)
	require.Equal(t, issuer, got.Issuer)
	require.Equal(t, mapping, got.ClaimsMapping)
	require.Equal(t, []string{"nw.example"}, got.Domains)
	require.False(t, got.Enabled)
	require.True(t, got.MFATrusted)
	require.Equal(t, f.now, got.UpdatedAt)
	require.Equal(t, p.CreatedAt, got.CreatedAt)
	require.Equal(t, p.SealedClientSecret, got.SealedClientSecret, "the secret stays")
	stored, err := f.dir.IdentityProvider(ctx, tn.ID, p.ID)
	require.NoError(t, err)
	require.Equal(t, got, stored)

	empty := ""
	_, err = f.dir.UpdateIdentityProvider(ctx, tn.ID, p.ID, directory.IdentityProviderPatch{ClientSecret: &empty, DisplayName: &empty})
	requireFields(t, err, directory.ErrInvalid, "clientSecret", "displayName")

	_, err = f.dir.UpdateIdentityProvider(ctx, tn.ID, "nope", directory.IdentityProviderPatch{DisplayName: &name})
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, f.dir.DeleteIdentityProvider(ctx, tn.ID, p.ID))
	require.ErrorIs(t, f.dir.DeleteIdentityProvider(ctx, tn.ID, p.ID), store.ErrNotFound)
	require.Empty(t, f.providers(t, tn.ID))
	activities := f.auditActivities(t, tn.ID)
	require.Contains(t, activities, audit.ActivityUpdateIdentityProvider+"/success")
	require.Contains(t, activities, audit.ActivityDeleteIdentityProvider+"/success")
	require.Contains(t, activities, audit.ActivityDeleteIdentityProvider+"/failure")
}

func testProviderDomainsServedOnce(t *testing.T, f *fixture) {
	ctx := t.Context()
	tn := f.tenant(t, "woodgrove")
	other := f.tenant(t, "contoso")
	_, err := f.dir.CreateIdentityProvider(ctx, tn.ID, oidcInput("northwind"))
	require.NoError(t, err)
	in := oidcInput("tailspin")
	in.Domains = []string{"tailspin.example", "northwind.example"}
	_, err = f.dir.CreateIdentityProvider(ctx, tn.ID, in)
	requireFields(t, err, store.ErrConflict, "domains")
	require.Len(t, f.providers(t, tn.ID), 1)

	// Another tenant's providers are its own business.
	_, err = f.dir.CreateIdentityProvider(ctx, other.ID, in)
	require.NoError(t, err)

	in.Domains = nil
	p, err := f.dir.CreateIdentityProvider(ctx, tn.ID, in)
	require.NoError(t, err)
	_, err = f.dir.UpdateIdentityProvider(ctx, tn.ID, p.ID, directory.IdentityProviderPatch{Domains: &[]string{"northwind.example"}})
	requireFields(t, err, store.ErrConflict, "domains")
}
