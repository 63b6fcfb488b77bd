// Package config is Foyer's typed configuration: one Config struct, its
// defaults, and the layering defaults < YAML file < FOYER_* environment
// variables < command-line flags, with Validate reporting every problem at
// once. It never reads the process environment or parses flags itself: the
// caller hands in a lookup function and the flags it saw set, so only cmd
// touches the environment. It also holds ParseSMTPURL, the one reader of
// an SMTP URL, which internal/mail's sender uses too.
package config
