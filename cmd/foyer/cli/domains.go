package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/store"
)

// domainView is a verified domain as the commands print it.
type domainView struct {
	Name      string `json:"id"`
	CreatedAt string `json:"createdDateTime"`
}

func newDomainsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("domains", "Add and remove a tenant's verified email domains (verified by the operator's word)")
	cmd.AddCommand(
		tenantCommand(d, "add --tenant SLUG NAME", "Record a verified email domain of the tenant, e.g. fabrikam.com", exactArgs("NAME"),
			func(ctx context.Context, a localAdmin, cmd *cobra.Command, args []string) error {
				dom, err := a.dir.AddDomain(ctx, a.t.ID, args[0])
				if err != nil {
					return err
				}
				return printDomains(cmd, []store.Domain{dom})
			}),
		tenantCommand(d, "list --tenant SLUG", "List the tenant's verified domains", noArgs,
			func(ctx context.Context, a localAdmin, cmd *cobra.Command, _ []string) error {
				domains, err := a.dir.Domains(ctx, a.t.ID)
				if err != nil {
					return err
				}
				return printDomains(cmd, domains)
			}),
		tenantCommand(d, "remove --tenant SLUG NAME", "Remove a verified domain", exactArgs("NAME"),
			func(ctx context.Context, a localAdmin, cmd *cobra.Command, args []string) error {
				err := a.dir.RemoveDomain(ctx, a.t.ID, args[0])
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("tenant %q has no domain %q", a.t.Slug, args[0])
				}
				if err != nil {
					return err
				}
				return printDeleted(cmd, fmt.Sprintf("domain %q", args[0]), args[0])
			}),
	)
	return cmd
}

func printDomains(cmd *cobra.Command, domains []store.Domain) error {
	views := make([]domainView, len(domains))
	for i, d := range domains {
		views[i] = domainView{Name: d.Name, CreatedAt: timeCell(&d.CreatedAt)}
	}
	return printOut(cmd, views, func(w io.Writer) {
		row(w, "DOMAIN", "CREATED")
		for _, v := range views {
			row(w, v.Name, v.CreatedAt)
		}
	})
}
