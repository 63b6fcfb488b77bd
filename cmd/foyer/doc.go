// Command foyer is the one Foyer binary: `serve` runs the identity
// provider, the other commands are the operator's tools over the same
// configuration and database. It is the only package that reads the
// environment, sets slog's default logger and calls os.Exit (in main).
package main
