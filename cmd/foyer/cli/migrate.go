package cli

import (
	"io"

	"github.com/spf13/cobra"
)

type migrateResult struct {
	Database string `json:"database"`
	Status   string `json:"status"`
}

func newMigrateCmd(d deps) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date (serve does this too)",
		Long: "migrate applies the schema migrations this binary knows and the database lacks. " +
			"It is safe to run again and from several nodes at once; it needs no master key.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, d)
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), cfg, false)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.Migrate(cmd.Context()); err != nil {
				return err
			}
			res := migrateResult{Database: databaseName(cfg), Status: "up to date"}
			return printOut(cmd, res, func(w io.Writer) {
				row(w, "migrated "+res.Database+": schema "+res.Status)
			})
		},
	}
}
