package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/federation"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/telemetry"
	"github.com/foyer-idp/foyer/keys"
)

// Purposes the master key derives keys for.
const (
	// signingKeysPurpose seals the tenants' private signing keys.
	signingKeysPurpose = "signing-keys"
	// clientSecretsPurpose keys the hash of applications' client secrets.
	clientSecretsPurpose = "client-secrets"
	// tokensPurpose keys the hashes the OpenID provider stores of codes,
	// refresh and opaque access tokens, session cookies and form tokens.
	tokensPurpose = "tokens"
	// invitationsPurpose keys the hash stored of invitation redeem tokens.
	invitationsPurpose = "invitations"
	// passcodesPurpose keys the hash stored of email one-time passcodes.
	passcodesPurpose = "passcodes"
	// idpSecretsPurpose seals the client secrets of upstream identity
	// providers.
	idpSecretsPurpose = "idp-secrets"
	// mfaSecretsPurpose seals users' TOTP secrets.
	mfaSecretsPurpose = "mfa-secrets"
	// recoveryCodesPurpose keys the hash stored of MFA recovery codes.
	recoveryCodesPurpose = "recovery-codes"
)

// app is what a command acting on Foyer's data works with: the same
// configuration, store and services serve uses. Add services here so every
// command gets them the same way.
type app struct {
	cfg    config.Config
	logger *slog.Logger
	store  *sqlstore.Store
	// master derives each purpose's key; services take what they need.
	master secret.MasterKey
	keys   *keys.Manager
	dir    *directory.Directory
	// outbox queues email in the caller's transaction; serve drains it
	// when mailDrain (an SMTP server, or development).
	outbox *mail.Outbox
	// mfa enrols and verifies users' second factors.
	mfa *mfa.Service
	// upstreams builds connectors to upstream identity providers, behind
	// the guard against requests to private networks.
	upstreams *federation.Registry
	mailDrain bool
	// dev is set by --dev: serve mounts /demo and /dev/mail, and mail
	// without SMTP is kept for the development mailbox.
	dev bool
	// tracing says where serve exports traces; zero: nowhere.
	tracing telemetry.TracingConfig
	// devSeeded is how many objects serve --dev's seed created or
	// updated, for the log line once the port is bound.
	devSeeded int
	// purged counts the rows serve's background purge deleted, by table
	// (registerServeMetrics); nil outside serve.
	purged *prometheus.CounterVec
	// cacheFor overrides how long serve keeps tenants, clients and keys
	// in memory (deps.cacheFor); zero: each cache's own lifetime.
	cacheFor time.Duration
}

// openApp loads and validates the configuration, loads the master key,
// opens and migrates the store and builds the services. The context it
// answers names the operator as the audit actor of what the command does.
// Close the app when done.
func openApp(cmd *cobra.Command, d deps) (context.Context, *app, error) {
	cfg, err := loadConfig(cmd, d)
	if err != nil {
		return nil, nil, err
	}
	ctx := cmd.Context()
	a := &app{cfg: cfg, logger: newLogger(cfg, cmd.ErrOrStderr()), cacheFor: d.cacheFor}
	// Commands with a --dev flag (serve, bootstrap) build for development.
	a.dev, _ = cmd.Flags().GetBool(flagDev)
	if a.dev && cmd.Name() == "serve" {
		if err := confineDev(a); err != nil {
			return nil, nil, err
		}
	}
	// The key first: a wrong one should fail before the database is touched.
	if a.master, err = loadMasterKey(ctx, cfg, a.logger); err != nil {
		return nil, nil, err
	}
	serving := cmd.Name() == "serve"
	if a.store, err = openStore(ctx, cfg, serving); err != nil {
		return nil, nil, err
	}
	if err := a.build(ctx); err != nil {
		a.Close()
		return nil, nil, err
	}
	if serving {
		// Requests get a bound; an operator's command (a large delete, a
		// bootstrap file) may take as long as it takes, as migrations may.
		a.store.SetTimeout(cfg.DatabaseTimeout)
	}
	return audit.WithActor(ctx, operator(d)), a, nil
}

// build does the part of openApp that needs the open store.
func (a *app) build(ctx context.Context) error {
	if err := a.store.Migrate(ctx); err != nil {
		return err
	}
	var err error
	a.keys, err = keys.New(keys.Config{
		Store:            a.store,
		Sealer:           a.master.Sealer(signingKeysPurpose),
		RotationPeriod:   a.cfg.Keys.RotationPeriod,
		RetirePublishFor: a.cfg.Keys.RetirePublishFor,
		CacheFor:         a.cacheFor,
		Logger:           a.logger,
	})
	if err != nil {
		return err
	}
	if err := a.buildOutbox(); err != nil {
		return err
	}
	a.mfa, err = mfa.New(mfa.Config{
		Store:  a.store,
		Sealer: a.master.Sealer(mfaSecretsPurpose),
		Hasher: a.master.Hasher(recoveryCodesPurpose),
		Mailer: a.outbox,
		Now:    time.Now,
	})
	if err != nil {
		return err
	}
	a.upstreams, err = federation.NewRegistry(federation.RegistryConfig{
		AllowPrivateNetworks: a.cfg.Federation.AllowPrivateNetworks || a.dev,
		TrustedPrefixes:      []string{a.cfg.ExternalURL + "/t/"},
		Now:                  time.Now,
		Logger:               a.logger.With("component", "federation"),
	})
	if err != nil {
		return err
	}
	a.dir, err = directory.New(directory.Config{
		Store:        a.store,
		SecretHasher: a.master.Hasher(clientSecretsPurpose),
		Passwords:    secret.NewPasswordHasher(secret.OWASPArgon2, a.cfg.PasswordHashConcurrency),
		Invitations:  invitationConfig(a),
		Federation:   federationConfig(a),
	})
	return err
}

// federationConfig says where a tenant's issuer and federation callback
// are; provider URLs pass the upstream registry's guard.
func federationConfig(a *app) *directory.FederationConfig {
	external := a.cfg.ExternalURL
	issuer := func(t store.Tenant) string { return external + "/t/" + url.PathEscape(t.Slug) }
	return &directory.FederationConfig{
		Sealer:      a.master.Sealer(idpSecretsPurpose),
		CheckURL:    a.upstreams.Guard().CheckURL,
		Issuer:      issuer,
		CallbackURL: func(t store.Tenant) string { return issuer(t) + "/federation/callback" },
	}
}

// invitationConfig says where invitations lead: guests' user principal
// names end in @{slug}.{external host}, redeem links go to the tenant's
// redemption page.
func invitationConfig(a *app) *directory.InvitationConfig {
	external := a.cfg.ExternalURL
	host := "localhost"
	if u, err := url.Parse(external); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	link := func(path string) func(t store.Tenant, token string) string {
		return func(t store.Tenant, token string) string {
			return external + "/t/" + url.PathEscape(t.Slug) + path + "?token=" + url.QueryEscape(token)
		}
	}
	return &directory.InvitationConfig{
		Hasher:        a.master.Hasher(invitationsPurpose),
		Mailer:        a.outbox,
		InitialDomain: func(t store.Tenant) string { return t.Slug + "." + host },
		RedeemURL:     link("/redeem"),
		BlockURL:      link("/redeem/block"),
	}
}

// Close releases the store.
func (a *app) Close() {
	if err := a.store.Close(); err != nil {
		a.logger.Warn("close store", "err", err)
	}
}

// tenantBySlug finds the tenant a --tenant flag names.
func (a *app) tenantBySlug(ctx context.Context, slug string) (store.Tenant, error) {
	t, err := a.store.GetTenantBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return store.Tenant{}, fmt.Errorf("no tenant with slug %q", slug)
	}
	return t, err
}

// find answers the object of the tenant get finds by ref, or an error
// naming it: no KIND "REF" in tenant "SLUG".
func find[T any](ctx context.Context, a localAdmin, kind, ref string, get func(context.Context, string, string) (T, error)) (T, error) {
	v, err := get(ctx, a.t.ID, ref)
	if errors.Is(err, store.ErrNotFound) {
		var zero T
		return zero, fmt.Errorf("no %s %q in tenant %q", kind, ref, a.t.Slug)
	}
	return v, err
}

// user finds the user a command names by id, mail or user principal name.
func (a localAdmin) user(ctx context.Context, ref string) (store.User, error) {
	return find(ctx, a, "user", ref, a.dir.User)
}

// group finds the group a command names by id.
func (a localAdmin) group(ctx context.Context, id string) (store.Group, error) {
	return find(ctx, a, "group", id, a.dir.Group)
}

// application finds the application a command names by client id or
// object id.
func (a localAdmin) application(ctx context.Context, ref string) (store.Application, error) {
	app, err := find(ctx, a, "application", ref, a.dir.Application)
	return withLists(app), err
}

// identityProvider finds the provider a command names by id.
func (a localAdmin) identityProvider(ctx context.Context, id string) (store.IdentityProvider, error) {
	return find(ctx, a, "identity provider", id, a.dir.IdentityProvider)
}

// tenantIDs lists every tenant's id, for the key rotation.
func (a *app) tenantIDs(ctx context.Context) ([]string, error) {
	tenants, err := a.store.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(tenants))
	for i, t := range tenants {
		ids[i] = t.ID
	}
	return ids, nil
}

// operator is the audit actor of a CLI command: the system, acting for
// the OS user who ran it.
func operator(d deps) audit.Actor {
	return audit.Actor{Type: store.ActorSystem, Name: "cli:" + d.osUser()}
}
