// Package cli is the foyer command line: `serve` runs the identity
// provider, the other commands are the operator's tools over the same
// configuration and database. It takes the environment, the operator's
// name and stdin from its caller (Run's Process) and answers an exit code;
// it never reads the process's environment or exits. Every command group
// reaches the directory through one seam (admin.go): a local side, and
// the admin API with --server for the commands that have one.
package cli
