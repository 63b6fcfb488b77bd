package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EnvConfigFile names the YAML file when no --config flag is given.
const EnvConfigFile = "FOYER_CONFIG"

// Sources are the layers Load merges over the defaults, weakest first.
type Sources struct {
	// File is the YAML file from --config; when empty, FOYER_CONFIG names
	// it; when both are empty there is no file.
	File string
	// LookupEnv reads one environment variable (os.LookupEnv in cmd). Nil
	// means an empty environment.
	LookupEnv func(string) (string, bool)
	// Flags holds the flags the user set explicitly, by flag name. Flags
	// left at their defaults must not be here, or they would mask the
	// file and the environment.
	Flags map[string]string
}

// Load merges defaults < YAML file < environment < flags and fills in the
// derived defaults. It reports every value it could not parse, but does not
// validate: call Validate.
func Load(src Sources) (Config, error) {
	lookup := src.LookupEnv
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	cfg := Default()
	var errs []error
	if err := cfg.applyFile(configFile(src.File, lookup)); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, cfg.applyEnv(lookup)...)
	errs = append(errs, cfg.applyFlags(src.Flags)...)
	cfg.fillDerived()
	return cfg, errors.Join(errs...)
}

func configFile(flag string, lookup func(string) (string, bool)) string {
	if flag != "" {
		return flag
	}
	path, _ := lookup(EnvConfigFile)
	return path
}

// applyFile decodes the YAML file over c. Keys it does not know are an
// error: a misspelt setting silently ignored is worse than a refusal.
func (c *Config) applyFile(path string) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: %s", path, yamlMessage(err))
	}
	return nil
}

// yamlMessage makes yaml's "field x not found in type config.Config" say
// which key is unknown, without Go type names.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	for _, typ := range []string{"config.Config", "config.Log", "config.Keys", "config.Tokens"} {
		msg = strings.ReplaceAll(msg, " not found in type "+typ, "")
	}
	return strings.ReplaceAll(msg, ": field ", ": unknown key ")
}

// applyEnv sets what FOYER_* variables say. An empty variable counts as
// unset, so `FOYER_X=` in a compose file does not blank a setting.
func (c *Config) applyEnv(lookup func(string) (string, bool)) []error {
	var errs []error
	for _, s := range Settings() {
		v, ok := lookup(s.Env)
		if !ok || v == "" {
			continue
		}
		if err := s.set(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Env, err))
		}
	}
	return errs
}

func (c *Config) applyFlags(flags map[string]string) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		v := flags[name]
		s, ok := FlagSetting(name)
		if !ok {
			errs = append(errs, fmt.Errorf("--%s is not a configuration flag", name))
			continue
		}
		if err := s.set(c, v); err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", name, err))
		}
	}
	return errs
}
