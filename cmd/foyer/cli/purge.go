package cli

import (
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// purgeResult is what purge reports: rows per table, deleted or (dry run)
// to be deleted.
type purgeResult struct {
	DryRun bool             `json:"dryRun"`
	Tables map[string]int64 `json:"tables"`
}

func newPurgeCmd(d deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Delete expired rows, and mail and audit events past their retention, now",
		Long: "purge deletes what serve's background purge deletes every minute: state that has expired " +
			"(spent authorization codes a day after), delivered or abandoned mail older than mailRetention and " +
			"audit events older than auditRetention, in batches. --dry-run only counts.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, d)
			if err != nil {
				return err
			}
			dryRun, _ := cmd.Flags().GetBool("dry-run")
			st, err := openStore(cmd.Context(), cfg, false)
			if err != nil {
				return err
			}
			defer st.Close()
			gone, err := st.Purge(cmd.Context(), retentionAt(cfg, time.Now()), purgeBatch, dryRun)
			if err != nil {
				return err
			}
			res := purgeResult{DryRun: dryRun, Tables: gone}
			return printOut(cmd, res, func(w io.Writer) {
				verb := "DELETED"
				if dryRun {
					verb = "WOULD DELETE"
				}
				row(w, "TABLE", verb)
				for _, table := range slices.Sorted(maps.Keys(gone)) {
					row(w, table, strconv.FormatInt(gone[table], 10))
				}
			})
		},
	}
	cmd.Flags().Bool("dry-run", false, "count what would go; delete nothing")
	return cmd
}
