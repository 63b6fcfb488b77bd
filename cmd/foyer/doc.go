// Command foyer is the one Foyer binary. main is the composition root of
// the process: it hands the environment, the operator's name, stdin and
// the signals to cli.Run, and is the only package that calls os.Exit.
package main
