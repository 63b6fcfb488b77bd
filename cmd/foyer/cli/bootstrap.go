package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/demo"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

const (
	flagFile = "file"
	flagDev  = "dev"
)

func newBootstrapCmd(d deps) *cobra.Command {
	cmd := appCommand(d, "bootstrap --file FILE | --dev",
		"Create or update tenants, members, groups and applications from a YAML file", noArgs,
		func(ctx context.Context, a *app, cmd *cobra.Command, _ []string) error {
			var report bootstrap.Report
			var err error
			if dev, _ := cmd.Flags().GetBool(flagDev); dev {
				if a.cfg.Env == config.EnvProduction {
					return errors.New("--dev seeds well-known passwords and secrets: refused in production")
				}
				report, err = seedDev(ctx, a)
			} else {
				report, err = applyBootstrapFile(ctx, a, d, cmd)
			}
			if err != nil {
				return err
			}
			return printReport(cmd, report)
		})
	cmd.Long = "bootstrap creates what the file declares and is missing, and updates the declared fields of " +
		"what exists (tenants by slug, members by mail, groups by display name, applications by client id). " +
		"It never deletes. The whole file is checked first and applied in one transaction: any problem, " +
		"named by its place in the file, leaves the database as it was. Running it again changes nothing. " +
		"--dev applies the development seed instead (serve --dev does it on every start)."
	cmd.Flags().String(flagFile, "", "the bootstrap file (YAML); - reads standard input")
	cmd.Flags().Bool(flagDev, false, "apply the development seed (tenants woodgrove and fabrikam, password foyer-dev)")
	cmd.MarkFlagsOneRequired(flagFile, flagDev)
	cmd.MarkFlagsMutuallyExclusive(flagFile, flagDev)
	return cmd
}

func applyBootstrapFile(ctx context.Context, a *app, d deps, cmd *cobra.Command) (bootstrap.Report, error) {
	path, _ := cmd.Flags().GetString(flagFile)
	if path == "" {
		return bootstrap.Report{}, usageErrorf("--%s needs a file name, or - for standard input", flagFile)
	}
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), maxBootstrapFile+1))
	} else {
		data, err = readLimited(path)
	}
	if err != nil {
		return bootstrap.Report{}, fmt.Errorf("read bootstrap file: %w", err)
	}
	if len(data) > maxBootstrapFile {
		return bootstrap.Report{}, fmt.Errorf("bootstrap file %s is larger than %d bytes", path, maxBootstrapFile)
	}
	file, err := bootstrap.Parse(data)
	if err != nil {
		return bootstrap.Report{}, fmt.Errorf("%s: %w", path, err)
	}
	return bootstrap.Apply(ctx, bootstrapDeps(a, d.lookupEnv), file)
}

// maxBootstrapFile bounds what bootstrap reads: a directory's worth of
// YAML, not a data dump.
const maxBootstrapFile = 8 << 20

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxBootstrapFile+1))
}

// bootstrapDeps wires the bootstrap to the app's store, keys and hashers:
// the same ones the directory service of every other command uses.
// lookupEnv resolves the file's passwordEnv and secretEnv.
func bootstrapDeps(a *app, lookupEnv func(string) (string, bool)) bootstrap.Deps {
	return bootstrap.Deps{
		Store:        a.store,
		SecretHasher: a.master.Hasher(clientSecretsPurpose),
		Passwords:    secret.NewPasswordHasher(secret.OWASPArgon2, a.cfg.PasswordHashConcurrency),
		Keys:         a.keys,
		Federation:   federationConfig(a),
		LookupEnv:    lookupEnv,
	}
}

// demoRoutes answers the demo relying party's routes for serve --dev: the
// public client foyer-demo of tenant woodgrove, which the dev seed
// registers with the redirect URIs below. It makes no request until a
// browser comes, so it can be built before the server listens.
func demoRoutes(a *app) (map[string]http.Handler, error) {
	base := strings.TrimRight(a.cfg.ExternalURL, "/")
	h, err := demo.New(demo.Config{
		Issuer:        base + "/t/woodgrove",
		ClientID:      bootstrap.DemoClientID,
		RedirectURL:   base + "/demo/callback",
		PostLogoutURL: base + "/demo",
		Logger:        a.logger,
		DevUser:       bootstrap.DevAdmin,
		DevPassword:   bootstrap.DevPassword,
	})
	if err != nil {
		return nil, err
	}
	return map[string]http.Handler{"/demo": h, "/demo/": h}, nil
}

// devSeedActor is who the dev seed's audit events name.
var devSeedActor = audit.Actor{Type: store.ActorSystem, Name: "foyer:dev-seed"}

// seedDev applies the development seed (bootstrap.DevFile) for the app's
// external URL; serve --dev calls it before it reports ready. It is
// idempotent: on a seeded database it writes nothing.
func seedDev(ctx context.Context, a *app) (bootstrap.Report, error) {
	deps := bootstrapDeps(a, nil)
	deps.MinSecretLength = bootstrap.DevMinSecretLength
	report, err := bootstrap.Apply(audit.WithActor(ctx, devSeedActor), deps, bootstrap.DevFile(a.cfg.ExternalURL))
	if err != nil {
		return report, fmt.Errorf("development seed: %w", err)
	}
	return report, nil
}

func printReport(cmd *cobra.Command, r bootstrap.Report) error {
	if r.Objects == nil {
		r.Objects = []bootstrap.Object{}
	}
	return printOut(cmd, r, func(w io.Writer) {
		row(w, "KIND", "TENANT", "NAME", "RESULT", "CHANGED")
		for _, o := range r.Objects {
			row(w, o.Kind, o.Tenant, o.Name, o.Result, firstOf(strings.Join(o.Changed, ", ")))
		}
		fmt.Fprintf(w, "%d created, %d updated, %d unchanged.\n",
			r.Count(bootstrap.Created), r.Count(bootstrap.Updated), r.Count(bootstrap.Unchanged))
		for _, o := range r.Objects {
			if o.Secret != nil {
				fmt.Fprintf(w, "\nApplication %q of tenant %q:\n", o.Name, o.Tenant)
				secretFields(w, o.Secret)
			}
		}
	})
}
