package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// deps are what the commands take from the process (Run's Process). Tests
// substitute them; nothing here reads the environment any other way.
type deps struct {
	lookupEnv func(string) (string, bool)
	// osUser names the operator in the audit log ("cli:" + name).
	osUser func() string
	// listening, when set, is told the address serve listens on, so a test
	// can use a port the kernel chose.
	listening func(net.Addr)
	// stdin is where --password-stdin reads; nil: the process's.
	stdin io.Reader
	// configDir answers the user's configuration directory, where foyer
	// login keeps its sign-in (os.UserConfigDir).
	configDir func() (string, error)
	// cacheFor, when set, is how long serve keeps tenants, clients and
	// signing keys in memory, instead of their few seconds: a test sets it
	// long to show that a change reaches every node through the database.
	cacheFor time.Duration
}

// Process is what main hands the commands from the process.
type Process struct {
	LookupEnv func(string) (string, bool)
	// OSUser names the operator in the audit log ("cli:" + name).
	OSUser func() string
	// Stdin is where --password-stdin reads.
	Stdin io.Reader
	// ConfigDir answers the user's configuration directory.
	ConfigDir func() (string, error)
}

// Run executes one command line and answers the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, p Process) int {
	return run(ctx, args, stdout, stderr, deps{lookupEnv: p.LookupEnv, osUser: p.OSUser, stdin: p.Stdin, configDir: p.ConfigDir})
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
	if d.stdin != nil {
		root.SetIn(d.stdin)
	}
	cmd, err := unknownCommand(root, args)
	if err == nil {
		cmd, err = root.ExecuteContextC(ctx)
	}
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
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return checkFlags(cmd) }
	root.Version = version
	root.SetVersionTemplate("foyer {{.Version}} commit " + commit + " " + runtime.Version() + "\n")

	flags := root.PersistentFlags()
	flags.String(flagConfig, "", "YAML configuration file (env FOYER_CONFIG)")
	addConfigFlags(flags, "data-dir", "database", "env", "log-level", "log-format")
	flags.StringP(flagOutput, "o", outputTable, "output format: table or json")

	root.AddCommand(
		newVersionCmd(),
		newMigrateCmd(d),
		newServeCmd(d),
		newTenantsCmd(d),
		newUsersCmd(d),
		newInviteCmd(d),
		newInvitationsCmd(d),
		newGuestsCmd(d),
		newRolesCmd(d),
		newGroupsCmd(d),
		newAppsCmd(d),
		newIdPsCmd(d),
		newDomainsCmd(d),
		newMFACmd(d),
		newKeysCmd(d),
		newAuditCmd(d),
		newSignInsCmd(d),
		newBootstrapCmd(d),
		newBenchCmd(d),
		newDoctorCmd(d),
		newPurgeCmd(d),
		newLoginCmd(d),
		newLogoutCmd(d),
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
				return unknownCommandError(cmd, args[0])
			}
			return cmd.Help()
		},
	}
}

// unknownCommand finds the command args name before any flag is parsed:
// when they stop at a group command (one that only holds subcommands)
// followed by a word that is none of them, the mistake is that word, not
// the flags after it, which the group does not know (foyer invte --tenant
// x). Cobra would report the flag first.
func unknownCommand(root *cobra.Command, args []string) (*cobra.Command, error) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	cmd, rest, err := root.Find(args)
	if err != nil || !cmd.HasSubCommands() {
		return root, nil
	}
	if word := firstWord(cmd, rest); word != "" {
		return cmd, unknownCommandError(cmd, word)
	}
	return root, nil
}

// firstWord answers the first argument of rest that is not a flag or a
// flag's value, or "" when there is none. A flag the command does not know
// is taken to have a value, as cobra does when it looks for subcommands.
func firstWord(cmd *cobra.Command, rest []string) string {
	flags := cmd.Flags()
	flags.AddFlagSet(cmd.InheritedFlags())
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			return ""
		case strings.HasPrefix(a, "--"):
			if !strings.Contains(a, "=") && !isBoolFlag(flags.Lookup(a[2:])) {
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			if len(a) == 2 && !isBoolFlag(flags.ShorthandLookup(a[1:])) {
				i++
			}
		default:
			return a
		}
	}
	return ""
}

func isBoolFlag(f *pflag.Flag) bool { return f != nil && f.NoOptDefVal != "" }

// unknownCommandError is a usage error naming word and, when cobra finds
// commands spelt like it, suggesting them.
func unknownCommandError(cmd *cobra.Command, word string) error {
	msg := fmt.Sprintf("unknown command %q for %q", word, cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, set only when it suggests itself
	}
	if s := cmd.SuggestionsFor(word); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"
	}
	return usageError{errors.New(msg)}
}

// noArgs is cobra.NoArgs as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%q takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// exactArgs is cobra.ExactArgs as a usage error; names says what the
// arguments are, e.g. "SLUG".
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usageErrorf("%q takes %s, got %q", cmd.CommandPath(), strings.Join(names, " "), args)
		}
		return nil
	}
}

// checkFlags runs before every command, after the flags are parsed and
// before anything is opened. Cobra's own checks of required flags and flag
// groups would come later and count as failures (exit 1); here they are
// usage mistakes (exit 2). A required string flag must also not be empty.
func checkFlags(cmd *cobra.Command) error {
	var missing []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if req := f.Annotations[cobra.BashCompOneRequiredFlag]; len(req) == 0 || req[0] != "true" {
			return
		}
		if !f.Changed || (f.Value.Type() == "string" && f.Value.String() == "") {
			missing = append(missing, "--"+f.Name)
		}
	})
	switch len(missing) {
	case 0:
	case 1:
		return usageErrorf("%s is required", missing[0])
	default:
		return usageErrorf("%s are required", strings.Join(missing, ", "))
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		return usageError{err}
	}
	return checkOutputFlag(cmd)
}
