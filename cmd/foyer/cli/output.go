package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

const (
	flagOutput  = "output"
	outputTable = "table"
	outputJSON  = "json"
)

func checkOutputFlag(cmd *cobra.Command) error {
	switch format, _ := cmd.Flags().GetString(flagOutput); format {
	case outputTable, outputJSON:
		return nil
	default:
		return usageErrorf("--output must be table or json, got %q", format)
	}
}

// printOut is how every command answers: v as indented JSON under -o json
// (for scripts: field names are stable), otherwise the table that table
// writes, tab-separated cells aligned into columns.
func printOut(cmd *cobra.Command, v any, table func(w io.Writer)) error {
	out := cmd.OutOrStdout()
	if format, _ := cmd.Flags().GetString(flagOutput); format == outputJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// row writes one table row.
func row(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// timeCell shows a time in UTC to the second, or "-" for none.
func timeCell(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
