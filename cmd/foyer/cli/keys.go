package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/keys"
)

func newKeysCmd(d deps) *cobra.Command {
	cmd := newGroupCmd("keys", "Inspect and rotate a tenant's signing keys")
	cmd.AddCommand(
		tenantCommand(d, "list --tenant SLUG", "List a tenant's signing keys, newest first", noArgs,
			func(ctx context.Context, a localAdmin, cmd *cobra.Command, _ []string) error {
				infos, err := a.keys.List(ctx, a.t.ID)
				if err != nil {
					return err
				}
				return printOut(cmd, infos, func(w io.Writer) { keyTable(w, infos...) })
			}),
		tenantCommand(d, "rotate --tenant SLUG", "Rotate a tenant's signing keys now: next becomes active, active retires", noArgs,
			func(ctx context.Context, a localAdmin, cmd *cobra.Command, _ []string) error {
				state, err := a.keys.Rotate(ctx, a.t.ID)
				if err != nil {
					return err
				}
				return printOut(cmd, state, func(w io.Writer) {
					keyTable(w, append([]keys.KeyInfo{state.Next, state.Active}, state.Retired...)...)
				})
			}),
	)
	return cmd
}

func keyTable(w io.Writer, infos ...keys.KeyInfo) {
	row(w, "KID", "ALG", "STATE", "CREATED", "ACTIVATED", "RETIRED", "PUBLISHED UNTIL")
	for _, k := range infos {
		row(w, k.ID, k.Algorithm, k.State, timeCell(&k.CreatedAt), timeCell(k.ActivatedAt), timeCell(k.RetiredAt), timeCell(k.PublishUntil))
	}
}
