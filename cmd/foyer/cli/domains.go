package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/store"
)

// domainView is a verified domain as the commands print it.
type domainView struct {
	Name      string `json:"id"`
	CreatedAt string `json:"createdDateTime"`
}

// domainAdmin is what the domains commands do in one tenant, locally or
// through the admin API.
type domainAdmin interface {
	listDomains(ctx context.Context) ([]store.Domain, error)
	addDomain(ctx context.Context, name string) (store.Domain, error)
	// removeDomain says so when the tenant has no such domain.
	removeDomain(ctx context.Context, name string) error
}

func newDomainsCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("domains", "Add and remove a tenant's verified email domains (verified by the operator's word)")
	cmd.AddCommand(
		adminCommand(d, "add --tenant SLUG NAME", "Record a verified email domain of the tenant, e.g. fabrikam.com", exactArgs("NAME"),
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error {
				dom, err := g.addDomain(ctx, args[0])
				if err != nil {
					return err
				}
				return printDomains(cmd, []store.Domain{dom})
			}),
		adminCommand(d, "list --tenant SLUG", "List the tenant's verified domains", noArgs,
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, _ []string) error {
				domains, err := g.listDomains(ctx)
				if err != nil {
					return err
				}
				return printDomains(cmd, domains)
			}),
		adminCommand(d, "remove --tenant SLUG NAME", "Remove a verified domain", exactArgs("NAME"),
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error {
				if err := g.removeDomain(ctx, args[0]); err != nil {
					return err
				}
				return printDeleted(cmd, fmt.Sprintf("domain %q", args[0]), args[0])
			}),
	)
	return cmd
}

// noDomain is the error for a domain the tenant does not have.
func noDomain(slug, name string) error {
	return fmt.Errorf("tenant %q has no domain %q", slug, name)
}

func (a localAdmin) listDomains(ctx context.Context) ([]store.Domain, error) {
	return a.dir.Domains(ctx, a.t.ID)
}

func (a localAdmin) addDomain(ctx context.Context, name string) (store.Domain, error) {
	return a.dir.AddDomain(ctx, a.t.ID, name)
}

func (a localAdmin) removeDomain(ctx context.Context, name string) error {
	err := a.dir.RemoveDomain(ctx, a.t.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return noDomain(a.t.Slug, name)
	}
	return err
}

// printDomains prints domains by name, in byte order (the database's
// collation may order them otherwise).
func printDomains(cmd *cobra.Command, domains []store.Domain) error {
	domains = slices.SortedStableFunc(slices.Values(domains), func(a, b store.Domain) int { return cmp.Compare(a.Name, b.Name) })
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
