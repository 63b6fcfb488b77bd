package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// What the commands acting on Foyer's data share: the open-run-close frame,
// tenant scoping, flags read into patches, passwords from stdin and the
// wording of the directory's refusals.

const flagTenant = "tenant"

// appRun is the body of a command that works on Foyer's data.
type appRun func(ctx context.Context, a *app, cmd *cobra.Command, args []string) error

// appCommand answers a command that opens the app, runs and closes it. The
// flags were checked before (checkFlags), so a usage mistake touches
// nothing.
func appCommand(d deps, use, short string, args cobra.PositionalArgs, run appRun) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, a, err := openApp(cmd, d)
			if err != nil {
				return err
			}
			defer a.Close()
			return explain(run(ctx, a, cmd, args))
		},
	}
}

// required marks flags checkFlags insists on.
func required(cmd *cobra.Command, names ...string) {
	for _, name := range names {
		if err := cmd.MarkFlagRequired(name); err != nil {
			panic(err) // no such flag: a programming error, caught by any test
		}
	}
}

// changed answers a pointer to a flag's value when the command line set
// it, nil otherwise: what a patch wants. get is the FlagSet's getter, e.g.
// cmd.Flags().GetString.
func changed[T any](cmd *cobra.Command, name string, get func(string) (T, error)) *T {
	if !cmd.Flags().Changed(name) {
		return nil
	}
	v, err := get(name)
	if err != nil {
		panic(err) // wrong getter for the flag: a programming error
	}
	return &v
}

// listFlag answers a repeatable flag's values, leaving out empty ones.
func listFlag(cmd *cobra.Command, name string) []string {
	values, err := cmd.Flags().GetStringArray(name)
	if err != nil {
		panic(err) // not a repeatable flag: a programming error
	}
	out := []string{}
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// changedList is changed for a repeatable flag: given, it replaces the
// whole list, and an empty value ("") clears it.
func changedList(cmd *cobra.Command, name string) *[]string {
	if !cmd.Flags().Changed(name) {
		return nil
	}
	return new(listFlag(cmd, name))
}

// Password flags: --password-stdin reads one line; --password works but
// shows in the process list.
const (
	flagPassword      = "password"
	flagPasswordStdin = "password-stdin"
)

func addPasswordFlags(cmd *cobra.Command) {
	cmd.Flags().Bool(flagPasswordStdin, false, "read the password from one line of standard input")
	cmd.Flags().String(flagPassword, "", "the password (visible in the process list; prefer --password-stdin)")
	cmd.MarkFlagsMutuallyExclusive(flagPassword, flagPasswordStdin)
}

// password answers the password the command line gives, or "" for none.
func password(cmd *cobra.Command) (string, error) {
	if fromStdin, _ := cmd.Flags().GetBool(flagPasswordStdin); fromStdin {
		return stdinLine(cmd, "password", flagPasswordStdin)
	}
	pw, _ := cmd.Flags().GetString(flagPassword)
	if cmd.Flags().Changed(flagPassword) {
		fmt.Fprintf(cmd.ErrOrStderr(), "foyer: warning: --%s shows in the process list and shell history; prefer --%s\n",
			flagPassword, flagPasswordStdin)
	}
	return pw, nil
}

// stdinLine reads a secret, what, from one line of standard input, as
// the flag fromFlag asks; an empty line is a usage mistake.
func stdinLine(cmd *cobra.Command, what, fromFlag string) (string, error) {
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s from standard input: %w", what, err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", usageErrorf("--%s: standard input holds no %s", fromFlag, what)
	}
	return line, nil
}

// explain words an error for the command line. The directory's refusals
// name their fields; several are listed one a line, as configuration
// errors are.
func explain(err error) error {
	var fe *directory.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	if msg := err.Error(); strings.Contains(msg, "\n") {
		return fmt.Errorf("invalid input:\n  %s", strings.ReplaceAll(msg, "\n", "\n  "))
	}
	return err
}

// printDeleted confirms a deletion.
func printDeleted(cmd *cobra.Command, what, id string) error {
	v := struct {
		ID      string `json:"id"`
		Deleted bool   `json:"deleted"`
	}{id, true}
	return printOut(cmd, v, func(w io.Writer) { fmt.Fprintf(w, "Deleted %s.\n", what) })
}

// objectCommand is tenantCommand for a command acting on the one object
// its argument arg names: find resolves it (localAdmin.user, …), run acts
// on what it found.
func objectCommand[T any](d deps, use, short, arg string, find func(localAdmin, context.Context, string) (T, error),
	run func(ctx context.Context, a localAdmin, cmd *cobra.Command, v T) error) *cobra.Command {
	return tenantCommand(d, use, short, exactArgs(arg),
		func(ctx context.Context, a localAdmin, cmd *cobra.Command, args []string) error {
			v, err := find(a, ctx, args[0])
			if err != nil {
				return err
			}
			return run(ctx, a, cmd, v)
		})
}

// adminObjectCommand is objectCommand for a command that runs locally or
// remotely (adminCommand).
func adminObjectCommand[T any](d deps, use, short, arg string, find func(directoryAdmin, context.Context, string) (T, error),
	run func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, v T) error) *cobra.Command {
	return adminCommand(d, use, short, exactArgs(arg),
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error {
			v, err := find(g, ctx, args[0])
			if err != nil {
				return err
			}
			return run(ctx, g, cmd, v)
		})
}

// printList answers a list: as JSON, or as a table with header and one
// row of cells an item.
func printList[T any](cmd *cobra.Command, items []T, header []string, cells func(T) []string) error {
	items = nonNil(items)
	return printOut(cmd, items, func(w io.Writer) {
		row(w, header...)
		for _, v := range items {
			row(w, cells(v)...)
		}
	})
}

// field writes one "Name:  value" line of a record shown on its own.
func field(w io.Writer, name, value string) {
	row(w, name+":", firstOf(value))
}

func boolCell(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func listCell(values []string) string {
	return firstOf(strings.Join(values, ", "))
}

// userTable lists users, e.g. a group's members.
func userTable(w io.Writer, users []store.User) {
	row(w, "ID", "USER PRINCIPAL NAME", "NAME", "TYPE", "ENABLED")
	for _, u := range users {
		row(w, u.ID, u.UserPrincipalName, u.DisplayName, u.UserType, boolCell(u.AccountEnabled))
	}
}

// userSet is a set of users hanging off a directory object: a group's
// members or owners, an application's owners. newUserSetCmd makes its add,
// remove and list commands, which run locally or remotely, from the
// directoryAdmin methods for it.
type userSet struct {
	name   string // the command group: "members" or "owners"
	noun   string // one of the users: "member" or "owner"
	parent parentRef

	add, remove func(_ directoryAdmin, _ context.Context, parentID, userID string) error
	list        func(_ directoryAdmin, _ context.Context, parentID string) ([]store.User, error)
}

// parentRef is how a command line names the object a userSet hangs off.
type parentRef struct {
	use   string   // in the usage line: "--group ID" or "APP"
	args  []string // positional arguments it takes
	flags func(*cobra.Command)
	// resolve finds the object and answers its id.
	resolve func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) (string, error)
}

func newUserSetCmd(d deps, s userSet, of string) *cobra.Command {
	cmd := newGroupCmd(s.name, fmt.Sprintf("Manage the %ss of %s", s.noun, of))
	edit := func(verb, short string, apply func(directoryAdmin, context.Context, string, string) error) *cobra.Command {
		c := adminCommand(d, verb+" --tenant SLUG "+s.parent.use+" --user USER", short, exactArgs(s.parent.args...),
			func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error {
				parentID, err := s.parent.resolve(ctx, g, cmd, args)
				if err != nil {
					return err
				}
				ref, _ := cmd.Flags().GetString(flagUser)
				u, err := g.user(ctx, ref)
				if err != nil {
					return err
				}
				if err := apply(g, ctx, parentID, u.ID); err != nil {
					return err
				}
				return s.print(ctx, cmd, g, parentID)
			})
		s.parent.addFlags(c)
		c.Flags().String(flagUser, "", "the user: id, mail or user principal name (required)")
		required(c, flagUser)
		return c
	}
	list := adminCommand(d, "list --tenant SLUG "+s.parent.use, fmt.Sprintf("List the %ss of %s", s.noun, of), exactArgs(s.parent.args...),
		func(ctx context.Context, g directoryAdmin, cmd *cobra.Command, args []string) error {
			parentID, err := s.parent.resolve(ctx, g, cmd, args)
			if err != nil {
				return err
			}
			return s.print(ctx, cmd, g, parentID)
		})
	s.parent.addFlags(list)
	cmd.AddCommand(
		edit("add", fmt.Sprintf("Add a %s to %s", s.noun, of), s.add),
		edit("remove", fmt.Sprintf("Remove a %s from %s", s.noun, of), s.remove),
		list,
	)
	return cmd
}

// print lists the set; add and remove answer it too, as it is after them.
func (s userSet) print(ctx context.Context, cmd *cobra.Command, g directoryAdmin, parentID string) error {
	users, err := s.list(g, ctx, parentID)
	if err != nil {
		return err
	}
	users = nonNil(users)
	return printOut(cmd, users, func(w io.Writer) { userTable(w, users) })
}

func (p parentRef) addFlags(cmd *cobra.Command) {
	if p.flags != nil {
		p.flags(cmd)
	}
}
