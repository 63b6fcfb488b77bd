package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/keys"
)

const flagTenant = "tenant"

func newKeysCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("keys", "Inspect and rotate a tenant's signing keys")
	cmd.AddCommand(newKeysListCmd(d), newKeysRotateCmd(d))
	return cmd
}

func newKeysListCmd(d deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list --tenant SLUG",
		Short: "List a tenant's signing keys, newest first",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			slug, err := requiredString(cmd, flagTenant)
			if err != nil {
				return err
			}
			ctx, a, err := openApp(cmd, d)
			if err != nil {
				return err
			}
			defer a.Close()
			t, err := a.tenantBySlug(ctx, slug)
			if err != nil {
				return err
			}
			infos, err := a.keys.List(ctx, t.ID)
			if err != nil {
				return err
			}
			return printOut(cmd, infos, func(w io.Writer) { keyTable(w, infos...) })
		},
	}
	cmd.Flags().String(flagTenant, "", "tenant slug (required)")
	return cmd
}

func newKeysRotateCmd(d deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate --tenant SLUG",
		Short: "Rotate a tenant's signing keys now: next becomes active, active retires",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			slug, err := requiredString(cmd, flagTenant)
			if err != nil {
				return err
			}
			ctx, a, err := openApp(cmd, d)
			if err != nil {
				return err
			}
			defer a.Close()
			t, err := a.tenantBySlug(ctx, slug)
			if err != nil {
				return err
			}
			state, err := a.keys.Rotate(ctx, t.ID)
			if err != nil {
				return err
			}
			return printOut(cmd, state, func(w io.Writer) {
				keyTable(w, append([]keys.KeyInfo{state.Next, state.Active}, state.Retired...)...)
			})
		},
	}
	cmd.Flags().String(flagTenant, "", "tenant slug (required)")
	return cmd
}

func keyTable(w io.Writer, infos ...keys.KeyInfo) {
	row(w, "KID", "ALG", "STATE", "CREATED", "ACTIVATED", "RETIRED", "PUBLISHED UNTIL")
	for _, k := range infos {
		row(w, k.ID, k.Algorithm, k.State, timeCell(&k.CreatedAt), timeCell(k.ActivatedAt), timeCell(k.RetiredAt), timeCell(k.PublishUntil))
	}
}
