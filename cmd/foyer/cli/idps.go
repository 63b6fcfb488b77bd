package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// Identity providers are named on the command line by id. Their client
// secret is read from standard input only, and never printed.

// Identity provider flags, shared by add and update. The repeatable ones
// replace the whole list on update.
const (
	flagIdPType           = "type"
	flagClientSecretStdin = "client-secret-stdin"
	// flagIssuer and flagScope are bench's too.
	flagDomain     = "domain"
	flagMFATrusted = "mfa-trusted"
	flagDisabled   = "disabled"
	flagEnabled    = "enabled"
	flagClaim      = "claim"
)

// identityProviderView is a provider as the commands print it: every
// field but the sealed secret, of which only its presence shows.
type identityProviderView struct {
	ID              string              `json:"id"`
	DisplayName     string              `json:"displayName"`
	Type            string              `json:"type"`
	ClientID        string              `json:"clientId"`
	HasClientSecret bool                `json:"hasClientSecret"`
	Issuer          string              `json:"issuer,omitempty"`
	PartnerTenantID string              `json:"partnerTenantId,omitempty"`
	Scopes          []string            `json:"scopes"`
	ClaimsMapping   store.ClaimsMapping `json:"claimsMapping"`
	Domains         []string            `json:"domains"`
	Enabled         bool                `json:"enabled"`
	MFATrusted      bool                `json:"mfaTrusted"`
	CreatedAt       time.Time           `json:"createdDateTime"`
	UpdatedAt       time.Time           `json:"updatedDateTime"`
}

func idpView(p store.IdentityProvider) identityProviderView {
	return identityProviderView{
		ID: p.ID, DisplayName: p.DisplayName, Type: p.Type, ClientID: p.ClientID,
		HasClientSecret: len(p.SealedClientSecret) > 0, Issuer: p.Issuer, PartnerTenantID: p.PartnerTenantID,
		Scopes: nonNil(p.Scopes), ClaimsMapping: p.ClaimsMapping, Domains: nonNil(p.Domains),
		Enabled: p.Enabled, MFATrusted: p.MFATrusted, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

// identityProviderAdmin is what the idps commands do in one tenant,
// locally or through the admin API. Providers are named by id.
type identityProviderAdmin interface {
	// listIdPs answers the tenant's providers, oldest first.
	listIdPs(ctx context.Context) ([]identityProviderView, error)
	getIdP(ctx context.Context, id string) (identityProviderView, error)
	createIdP(ctx context.Context, in directory.IdentityProviderInput) (identityProviderView, error)
	updateIdP(ctx context.Context, id string, p directory.IdentityProviderPatch) (identityProviderView, error)
	deleteIdP(ctx context.Context, id string) error
}

func newIdPsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("idps", "Add and manage the identity providers a tenant's guests sign in with")
	cmd.AddCommand(
		newIdPsAddCmd(d),
		adminCommand(d, "list --tenant SLUG", "List a tenant's identity providers, Foyer partner providers included", noArgs,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
				views, err := g.listIdPs(ctx)
				if err != nil {
					return err
				}
				return printList(cmd, views, []string{"ID", "NAME", "TYPE", "CLIENT ID", "ENABLED", "DOMAINS"},
					func(v identityProviderView) []string {
						return []string{v.ID, v.DisplayName, v.Type, firstOf(v.ClientID), boolCell(v.Enabled), listCell(v.Domains)}
					})
			}),
		adminObjectCommand(d, "show --tenant SLUG ID", "Show an identity provider (never its client secret)", "ID", directoryAdmin.getIdP,
			func(_ context.Context, _ directoryAdmin, cmd *cobra.Command, v identityProviderView) error {
				return printIdP(cmd, v)
			}),
		newIdPsUpdateCmd(d),
		adminObjectCommand(d, "delete --tenant SLUG ID", "Delete an identity provider (its guests keep their accounts)", "ID", managedIdP,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, v identityProviderView) error {
				if err := g.deleteIdP(ctx, v.ID); err != nil {
					return err
				}
				return printDeleted(cmd, fmt.Sprintf("identity provider %q", v.DisplayName), v.ID)
			}),
	)
	return cmd
}

// managedIdP finds a provider the tenant's admins manage, refusing a
// Foyer partner provider, which Foyer manages. Checked before anything is
// read from standard input or sent.
func managedIdP(g directoryAdmin, ctx context.Context, id string) (identityProviderView, error) {
	v, err := g.getIdP(ctx, id)
	if err == nil && v.Type == store.IdPFoyer {
		return v, fmt.Errorf("identity provider %q is managed by Foyer (a partner tenant of this Foyer) and cannot be changed or deleted", v.ID)
	}
	return v, err
}

func (a localAdmin) listIdPs(ctx context.Context) ([]identityProviderView, error) {
	providers, err := a.dir.IdentityProviders(ctx, a.t.ID)
	if err != nil {
		return nil, err
	}
	views := make([]identityProviderView, len(providers))
	for i, p := range providers {
		views[i] = idpView(p)
	}
	return views, nil
}

func (a localAdmin) getIdP(ctx context.Context, id string) (identityProviderView, error) {
	p, err := a.identityProvider(ctx, id)
	return idpView(p), err
}

func (a localAdmin) createIdP(ctx context.Context, in directory.IdentityProviderInput) (identityProviderView, error) {
	p, err := a.dir.CreateIdentityProvider(ctx, a.t.ID, in)
	return idpView(p), err
}

func (a localAdmin) updateIdP(ctx context.Context, id string, patch directory.IdentityProviderPatch) (identityProviderView, error) {
	p, err := a.dir.UpdateIdentityProvider(ctx, a.t.ID, id, patch)
	return idpView(p), err
}

func (a localAdmin) deleteIdP(ctx context.Context, id string) error {
	return a.dir.DeleteIdentityProvider(ctx, a.t.ID, id)
}

func addIdPFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String(flagName, "", "display name")
	f.String(flagClientID, "", "client id registered with the provider")
	f.Bool(flagClientSecretStdin, false, "read the client secret from one line of standard input")
	f.String(flagIssuer, "", "OpenID issuer URL (required for OpenIDConnect; discovery at ISSUER/.well-known/openid-configuration)")
	f.StringArray(flagScope, nil, "scope to ask for (repeatable; default openid profile email)")
	f.StringArray(flagDomain, nil, "email domain the provider serves, for home realm discovery and redemption (repeatable)")
	f.StringArray(flagClaim, nil, "claims mapping, PROFILE=CLAIM with PROFILE one of userId, displayName, givenName, surname, email (repeatable)")
}

func newIdPsAddCmd(d deps) *cobra.Command {
	// Its --client-id is the provider's: remotely, the app's credentials
	// come from the environment only.
	cmd := adminCommandEnvCredentials(d, "add --tenant SLUG --type TYPE --name NAME --client-id ID [--client-secret-stdin]",
		"Add an identity provider for the tenant's guests", noArgs,
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			claims, err := claimsFlag(cmd)
			if err != nil {
				return err
			}
			secret, err := clientSecret(cmd)
			if err != nil {
				return err
			}
			var in directory.IdentityProviderInput
			in.Type, _ = f.GetString(flagIdPType)
			in.DisplayName, _ = f.GetString(flagName)
			in.ClientID, _ = f.GetString(flagClientID)
			in.ClientSecret = secret
			in.Issuer, _ = f.GetString(flagIssuer)
			in.Scopes = listFlag(cmd, flagScope)
			in.Domains = listFlag(cmd, flagDomain)
			in.ClaimsMapping = deref(claims)
			if disabled, _ := f.GetBool(flagDisabled); disabled {
				in.Enabled = new(false)
			}
			in.MFATrusted = changed(cmd, flagMFATrusted, f.GetBool)
			v, err := g.createIdP(ctx, in)
			if err != nil {
				return err
			}
			return printIdP(cmd, v)
		})
	cmd.Flags().String(flagIdPType, "", "provider type: "+strings.Join([]string{store.IdPOpenIDConnect, store.IdPGoogle, store.IdPMicrosoft, store.IdPGitHub}, ", "))
	addIdPFlags(cmd)
	cmd.Flags().Bool(flagMFATrusted, false, "an upstream sign-in with multi-factor satisfies the tenant's MFA policy")
	cmd.Flags().Bool(flagDisabled, false, "add it disabled: guests cannot sign in with it yet")
	required(cmd, flagIdPType, flagName, flagClientID)
	return cmd
}

func newIdPsUpdateCmd(d deps) *cobra.Command {
	// Its --client-id is the provider's: remotely, the app's credentials
	// come from the environment only.
	cmd := adminCommandEnvCredentials(d, "update --tenant SLUG ID", "Change an identity provider (repeatable flags replace the whole list; \"\" clears it)", exactArgs("ID"),
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error {
			v, err := managedIdP(g, ctx, args[0])
			if err != nil {
				return err
			}
			f := cmd.Flags()
			patch := directory.IdentityProviderPatch{
				DisplayName: changed(cmd, flagName, f.GetString),
				ClientID:    changed(cmd, flagClientID, f.GetString),
				Issuer:      changed(cmd, flagIssuer, f.GetString),
				Scopes:      changedList(cmd, flagScope),
				Domains:     changedList(cmd, flagDomain),
				Enabled:     changed(cmd, flagEnabled, f.GetBool),
				MFATrusted:  changed(cmd, flagMFATrusted, f.GetBool),
			}
			if patch.ClaimsMapping, err = claimsFlag(cmd); err != nil {
				return err
			}
			if fromStdin, _ := f.GetBool(flagClientSecretStdin); fromStdin {
				secret, err := clientSecret(cmd)
				if err != nil {
					return err
				}
				patch.ClientSecret = &secret
			}
			if v, err = g.updateIdP(ctx, v.ID, patch); err != nil {
				return err
			}
			return printIdP(cmd, v)
		})
	addIdPFlags(cmd)
	cmd.Flags().Bool(flagMFATrusted, false, "an upstream sign-in with multi-factor satisfies the tenant's MFA policy (true|false)")
	cmd.Flags().Bool(flagEnabled, true, "guests may sign in with it (true|false)")
	cmd.MarkFlagsOneRequired(flagName, flagClientID, flagClientSecretStdin, flagIssuer, flagScope, flagDomain,
		flagClaim, flagEnabled, flagMFATrusted)
	return cmd
}

// claimsFlag answers the mapping the --claim flags give (nil when none
// is given; --claim "" clears the mapping).
func claimsFlag(cmd *cobra.Command) (*store.ClaimsMapping, error) {
	if !cmd.Flags().Changed(flagClaim) {
		return nil, nil
	}
	var m store.ClaimsMapping
	dst := map[string]*string{"userId": &m.UserID, "displayName": &m.DisplayName, "givenName": &m.GivenName,
		"surname": &m.Surname, "email": &m.Email}
	for _, kv := range listFlag(cmd, flagClaim) {
		k, v, ok := strings.Cut(kv, "=")
		p, known := dst[strings.TrimSpace(k)]
		if !ok || !known || strings.TrimSpace(v) == "" {
			return nil, usageErrorf("--%s %q: want PROFILE=CLAIM with PROFILE one of userId, displayName, givenName, surname, email", flagClaim, kv)
		}
		*p = strings.TrimSpace(v)
	}
	return &m, nil
}

// clientSecret answers the client secret on one line of standard input
// when --client-secret-stdin is given, "" otherwise. There is no flag
// taking the secret itself: it would show in the process list.
func clientSecret(cmd *cobra.Command) (string, error) {
	if fromStdin, _ := cmd.Flags().GetBool(flagClientSecretStdin); !fromStdin {
		return "", nil
	}
	return stdinLine(cmd, "client secret", flagClientSecretStdin)
}

func printIdP(cmd *cobra.Command, v identityProviderView) error {
	return printOut(cmd, v, func(w io.Writer) {
		field(w, "ID", v.ID)
		field(w, "Name", v.DisplayName)
		field(w, "Type", v.Type)
		field(w, "Client ID", v.ClientID)
		field(w, "Client secret", map[bool]string{true: "set (never shown)", false: "none"}[v.HasClientSecret])
		field(w, "Issuer", v.Issuer)
		if v.PartnerTenantID != "" {
			field(w, "Partner tenant", v.PartnerTenantID)
		}
		field(w, "Scopes", strings.Join(v.Scopes, " "))
		field(w, "Claims", claimsCell(v.ClaimsMapping))
		field(w, "Domains", listCell(v.Domains))
		field(w, "Enabled", boolCell(v.Enabled))
		field(w, "MFA trusted", boolCell(v.MFATrusted))
		field(w, "Created", timeCell(&v.CreatedAt))
		field(w, "Updated", timeCell(&v.UpdatedAt))
	})
}

func claimsCell(m store.ClaimsMapping) string {
	var parts []string
	for _, kv := range [][2]string{{"userId", m.UserID}, {"displayName", m.DisplayName}, {"givenName", m.GivenName},
		{"surname", m.Surname}, {"email", m.Email}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return listCell(parts)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
