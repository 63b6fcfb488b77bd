package main

import (
	"context"
	"os"
	"os/signal"
	"os/user"
	"syscall"

	"github.com/foyer-idp/foyer/cmd/foyer/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, cli.Process{
		LookupEnv: os.LookupEnv, OSUser: currentUser, Stdin: os.Stdin, ConfigDir: os.UserConfigDir})
	stop()
	os.Exit(code)
}

// currentUser names the operator in the audit log ("cli:" + name).
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}
