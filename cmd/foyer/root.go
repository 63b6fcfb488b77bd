package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"

	"github.com/spf13/cobra"
)

// deps are what the commands take from the process. Tests substitute them;
// nothing below main reads the environment any other way.
type deps struct {
	lookupEnv func(string) (string, bool)
	// osUser names the operator in the audit log ("cli:" + name).
	osUser func() string
	// listening, when set, is told the address serve listens on, so a test
	// can use a port the kernel chose.
	listening func(net.Addr)
}

func processDeps() deps {
	return deps{lookupEnv: os.LookupEnv, osUser: currentUser}
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run executes one command line and answers the exit code; errors are
// printed here, once, as "foyer: <message>".
func run(ctx context.Context, args []string, stdout, stderr io.Writer, d deps) int {
	root := newRootCmd(d)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "foyer: %v\n", err)
	var usage usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	}
	return exitError
}

func newRootCmd(d deps) *cobra.Command {
	root := newGroupCmd("foyer", "Foyer, an OpenID Connect identity provider for working with guests")
	root.SilenceErrors = true // run prints them, once
	root.SilenceUsage = true  // a failed command is not a usage mistake
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return checkOutputFlag(cmd) }

	flags := root.PersistentFlags()
	flags.String(flagConfig, "", "YAML configuration file (env FOYER_CONFIG)")
	addConfigFlags(flags, "data-dir", "database", "env", "log-level", "log-format")
	flags.StringP(flagOutput, "o", outputTable, "output format: table or json")

	root.AddCommand(
		newVersionCmd(),
		newMigrateCmd(d),
		newServeCmd(d),
		newKeysCmd(d),
		newAuditCmd(d),
	)
	return root
}

// usageError marks a mistake in the command line: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// newGroupCmd answers a command that only holds subcommands. Cobra would
// print help and succeed for an unknown subcommand; this refuses it.
func newGroupCmd(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
}

// noArgs is cobra.NoArgs as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%q takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// requiredString answers a string flag that must be given.
func requiredString(cmd *cobra.Command, name string) (string, error) {
	v, err := cmd.Flags().GetString(name)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", usageErrorf("--%s is required", name)
	}
	return v, nil
}
