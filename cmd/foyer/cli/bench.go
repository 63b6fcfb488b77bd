package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/loadtest"
)

// Bench flags.
const (
	flagIssuer       = "issuer"
	flagClientSecret = "client-secret"
	flagUsername     = "username"
	flagScenario     = "scenario"
	flagScope        = "scope"
	flagWorkers      = "workers"
	flagDuration     = "duration"
	flagAllowRemote  = "allow-remote"

	// Environment variables bench reads its secrets from when the flags
	// do not give them.
	envBenchClientSecret = "FOYER_BENCH_CLIENT_SECRET"
	envBenchPassword     = "FOYER_BENCH_PASSWORD"
)

func newBenchCmd(d deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench --issuer URL [--client-id ID --client-secret S] [--redirect-uri URI --username U --password P]",
		Short: "Load-test an OpenID provider on this machine and print throughput and latency per scenario",
		Long: "bench drives any OpenID provider over HTTP as its clients would, with --workers concurrent clients " +
			"for --duration per scenario, and prints operations and requests per second, p50/p90/p99 latency and " +
			"errors. Scenarios: " + strings.Join(loadtest.Scenarios, ", ") + " (default: every one the flags allow). " +
			"Discovery is fetched once at the start. It refuses targets other than loopback addresses " +
			"(127.0.0.0/8, ::1, localhost) unless --allow-remote is given, and stops by itself. " +
			"The client secret and password may come from " + envBenchClientSecret + " and " + envBenchPassword + ".",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := benchConfig(cmd, d)
			if err != nil {
				return err
			}
			cfg.Progress = func(s string, workers int, dur time.Duration) {
				fmt.Fprintf(cmd.ErrOrStderr(), "foyer: bench %s: %d workers for %v\n", s, workers, dur)
			}
			report, err := loadtest.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if report.Results == nil {
				report.Results = []loadtest.Result{}
			}
			return printOut(cmd, report, func(w io.Writer) { benchTable(w, report) })
		},
	}
	f := cmd.Flags()
	f.String(flagIssuer, "", "the provider's issuer, e.g. http://127.0.0.1:8080/t/woodgrove (required)")
	f.String(flagClientID, "", "client id")
	f.String(flagClientSecret, "", "client secret of a confidential client (visible in the process list; prefer "+envBenchClientSecret+")")
	f.String(flagRedirectURI, "", "a redirect URI registered for the client; sign-ins stop there")
	f.String(flagUsername, "", "user to sign in as through the provider's forms")
	f.String(flagPassword, "", "the user's password (visible in the process list; prefer "+envBenchPassword+")")
	f.StringArray(flagScenario, nil, "scenario to run (repeatable): "+strings.Join(loadtest.Scenarios, ", "))
	f.StringArray(flagScope, nil, "scope of the sign-ins (repeatable; default openid, profile, email)")
	f.Int(flagWorkers, loadtest.DefaultWorkers, fmt.Sprintf("concurrent clients, at most %d", loadtest.MaxWorkers))
	f.Duration(flagDuration, loadtest.DefaultDuration, fmt.Sprintf("how long each scenario runs; all of them together at most %v", loadtest.MaxRunTime))
	f.Bool(flagAllowRemote, false, "allow an issuer and endpoints off this machine (only against a provider you run)")
	required(cmd, flagIssuer)
	return cmd
}

// benchConfig reads the flags, and the secrets the flags leave out from
// the environment.
func benchConfig(cmd *cobra.Command, d deps) (loadtest.Config, error) {
	f := cmd.Flags()
	var cfg loadtest.Config
	cfg.Issuer, _ = f.GetString(flagIssuer)
	cfg.ClientID, _ = f.GetString(flagClientID)
	cfg.RedirectURI, _ = f.GetString(flagRedirectURI)
	cfg.Username, _ = f.GetString(flagUsername)
	cfg.Scenarios = listFlag(cmd, flagScenario)
	cfg.Scopes = listFlag(cmd, flagScope)
	cfg.Workers, _ = f.GetInt(flagWorkers)
	cfg.Duration, _ = f.GetDuration(flagDuration)
	cfg.AllowRemote, _ = f.GetBool(flagAllowRemote)
	var err error
	if cfg.ClientSecret, err = secretFlag(cmd, d, flagClientSecret, envBenchClientSecret); err != nil {
		return cfg, err
	}
	if cfg.Password, err = secretFlag(cmd, d, flagPassword, envBenchPassword); err != nil {
		return cfg, err
	}
	if cfg.Workers < 1 || cfg.Workers > loadtest.MaxWorkers {
		return cfg, usageErrorf("--%s must be 1 to %d, got %d", flagWorkers, loadtest.MaxWorkers, cfg.Workers)
	}
	if cfg.Duration <= 0 || cfg.Duration > loadtest.MaxRunTime {
		return cfg, usageErrorf("--%s must be more than 0 and at most %v, got %v", flagDuration, loadtest.MaxRunTime, cfg.Duration)
	}
	return cfg, nil
}

// secretFlag answers a secret from its flag (with a warning: it shows in
// the process list) or else from the environment variable.
func secretFlag(cmd *cobra.Command, d deps, flag, env string) (string, error) {
	if cmd.Flags().Changed(flag) {
		fmt.Fprintf(cmd.ErrOrStderr(), "foyer: warning: --%s shows in the process list and shell history; prefer %s\n", flag, env)
		v, _ := cmd.Flags().GetString(flag)
		return v, nil
	}
	if d.lookupEnv == nil {
		return "", errors.New("no environment to read " + env + " from")
	}
	v, _ := d.lookupEnv(env)
	return v, nil
}

func benchTable(w io.Writer, r loadtest.Report) {
	row(w, "SCENARIO", "WORKERS", "OPS", "OPS/S", "REQ/S", "P50", "P90", "P99", "MAX", "ERRORS")
	for _, res := range r.Results {
		l := res.Latency
		row(w, res.Scenario, fmt.Sprint(res.Workers), fmt.Sprint(res.Operations),
			fmt.Sprintf("%.1f", res.OpsPerSecond), fmt.Sprintf("%.1f", res.RequestsPerSecond),
			msCell(l.P50), msCell(l.P90), msCell(l.P99), msCell(l.Max), fmt.Sprint(res.Errors))
	}
	for _, res := range r.Results {
		for _, e := range res.Setup {
			fmt.Fprintf(w, "%s: %d× setup failed: %s\n", res.Scenario, e.Count, e.Message)
		}
		for _, e := range res.ErrorKinds {
			fmt.Fprintf(w, "%s: %d× %s\n", res.Scenario, e.Count, e.Message)
		}
	}
}

func msCell(ms float64) string {
	if ms == 0 {
		return "-"
	}
	if ms < 10 {
		return fmt.Sprintf("%.2fms", ms)
	}
	return fmt.Sprintf("%.1fms", ms)
}
