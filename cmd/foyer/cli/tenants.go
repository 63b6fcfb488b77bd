package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

func newTenantsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("tenants", "Create and manage tenants (organisations with their own issuer)")
	cmd.AddCommand(
		newTenantsCreateCmd(d),
		appCommand(d, "list", "List tenants", noArgs,
			func(ctx context.Context, a *app, cmd *cobra.Command, _ []string) error {
				tenants, err := a.dir.Tenants(ctx)
				if err != nil {
					return err
				}
				return printList(cmd, tenants, []string{"SLUG", "NAME", "ALG", "ID", "CREATED"}, func(t store.Tenant) []string {
					return []string{t.Slug, t.DisplayName, t.SigningAlg, t.ID, timeCell(&t.CreatedAt)}
				})
			}),
		tenantArgCommand(d, "show SLUG", "Show a tenant",
			func(_ context.Context, _ *app, cmd *cobra.Command, t store.Tenant) error {
				return printTenant(cmd, t)
			}),
		newTenantsUpdateCmd(d),
		newTenantsPolicyCmd(d),
		tenantArgCommand(d, "delete SLUG", "Delete a tenant with everything it holds (its audit events stay)",
			func(ctx context.Context, a *app, cmd *cobra.Command, t store.Tenant) error {
				if err := a.dir.DeleteTenant(ctx, t.ID); err != nil {
					return err
				}
				return printDeleted(cmd, fmt.Sprintf("tenant %q", t.Slug), t.ID)
			}),
	)
	return cmd
}

// tenantArgCommand is appCommand for a command acting on the tenant its
// SLUG argument names.
func tenantArgCommand(d deps, use, short string, run func(ctx context.Context, a *app, cmd *cobra.Command, t store.Tenant) error) *cobra.Command {
	return appCommand(d, use, short, exactArgs("SLUG"), func(ctx context.Context, a *app, cmd *cobra.Command, args []string) error {
		t, err := a.tenantBySlug(ctx, args[0])
		if err != nil {
			return err
		}
		return run(ctx, a, cmd, t)
	})
}

// Tenant flags, shared by create and update.
const (
	flagName        = "name"
	flagLogoURL     = "logo-url"
	flagAccentColor = "accent-color"
	flagSenderName  = "sender-name"
	flagSigningAlg  = "signing-alg"
)

func addTenantFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String(flagName, "", "display name")
	f.String(flagLogoURL, "", "logo on the tenant's pages and emails (https URL)")
	f.String(flagAccentColor, "", "accent colour of the tenant's pages, like #1f6feb")
	f.String(flagSenderName, "", "sender name of the tenant's emails")
	f.String(flagSigningAlg, "", "algorithm of new signing keys: RS256 (default), ES256 or EdDSA")
}

func newTenantsCreateCmd(d deps) *cobra.Command {
	cmd := appCommand(d, "create --slug SLUG --name NAME", "Create a tenant and its signing keys", noArgs,
		func(ctx context.Context, a *app, cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			var in directory.NewTenant
			in.Slug, _ = f.GetString("slug")
			in.DisplayName, _ = f.GetString(flagName)
			in.Branding.LogoURL, _ = f.GetString(flagLogoURL)
			in.Branding.AccentColor, _ = f.GetString(flagAccentColor)
			in.Branding.SenderName, _ = f.GetString(flagSenderName)
			in.SigningAlg, _ = f.GetString(flagSigningAlg)
			t, err := a.dir.CreateTenant(ctx, in)
			if err != nil {
				return err
			}
			// At once, so the tenant can sign tokens before serve next starts.
			if err := a.keys.Ensure(ctx, t.ID); err != nil {
				return fmt.Errorf("created tenant %q, but not its signing keys (serve makes them when it starts): %w", t.Slug, err)
			}
			return printTenant(cmd, t)
		})
	cmd.Flags().String("slug", "", "the tenant's name in URLs (/t/SLUG): lower-case letters, digits, hyphens; never changes")
	addTenantFlags(cmd)
	required(cmd, "slug", flagName)
	return cmd
}

func newTenantsUpdateCmd(d deps) *cobra.Command {
	cmd := tenantArgCommand(d, "update SLUG", "Change a tenant's name, branding or signing algorithm",
		func(ctx context.Context, a *app, cmd *cobra.Command, t store.Tenant) error {
			f := cmd.Flags()
			p := directory.TenantPatch{
				DisplayName: changed(cmd, flagName, f.GetString),
				LogoURL:     changed(cmd, flagLogoURL, f.GetString),
				AccentColor: changed(cmd, flagAccentColor, f.GetString),
				SenderName:  changed(cmd, flagSenderName, f.GetString),
				SigningAlg:  changed(cmd, flagSigningAlg, f.GetString),
			}
			before := t.SigningAlg
			t, err := a.dir.UpdateTenant(ctx, t.ID, p)
			if err != nil {
				return err
			}
			if t.SigningAlg != before {
				fmt.Fprintf(cmd.ErrOrStderr(), "foyer: new signing keys use %s; tokens are signed with it two rotations from now (foyer keys rotate)\n", t.SigningAlg)
			}
			return printTenant(cmd, t)
		})
	addTenantFlags(cmd)
	cmd.MarkFlagsOneRequired(flagName, flagLogoURL, flagAccentColor, flagSenderName, flagSigningAlg)
	return cmd
}

func printTenant(cmd *cobra.Command, t store.Tenant) error {
	return printOut(cmd, t, func(w io.Writer) {
		field(w, "ID", t.ID)
		field(w, "Slug", t.Slug)
		field(w, "Name", t.DisplayName)
		field(w, "Signing algorithm", t.SigningAlg)
		field(w, "Logo URL", t.Branding.LogoURL)
		field(w, "Accent colour", t.Branding.AccentColor)
		field(w, "Sender name", t.Branding.SenderName)
		field(w, "Created", timeCell(&t.CreatedAt))
		field(w, "Updated", timeCell(&t.UpdatedAt))
	})
}
