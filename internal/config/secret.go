package config

import "log/slog"

// Secret is a string that does not show itself: printing, logging or
// marshalling a Config never reveals it. Reveal is the one way out.
type Secret string

const redacted = "[redacted]"

// Reveal answers the secret itself.
func (s Secret) Reveal() string { return string(s) }

// String answers a placeholder, or "" when unset so "is it set?" stays
// visible.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps JSON and YAML encoders from printing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
