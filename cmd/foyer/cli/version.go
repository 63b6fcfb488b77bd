package cli

import (
	"io"
	"runtime"

	"github.com/spf13/cobra"
)

// Set at build time, with PKG=github.com/foyer-idp/foyer/cmd/foyer/cli:
// go build -ldflags "-X $PKG.version=v1.2.3 -X $PKG.commit=abc123".
// Package variables because -X can set nothing else.
var (
	version = "dev"
	commit  = "dev"
)

type versionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := versionInfo{Version: version, Commit: commit, Go: runtime.Version()}
			return printOut(cmd, v, func(w io.Writer) {
				row(w, "foyer "+v.Version, "commit "+v.Commit, v.Go)
			})
		},
	}
}
