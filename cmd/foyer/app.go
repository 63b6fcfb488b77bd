package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/keys"
)

// signingKeysPurpose derives the master key's sealer for signing keys.
const signingKeysPurpose = "signing-keys"

// app is what a command acting on Foyer's data works with: the same
// configuration, store and services serve uses. Add services here (the
// directory …) so every command gets them the same way.
type app struct {
	cfg    config.Config
	logger *slog.Logger
	store  *sqlstore.Store
	// master derives each purpose's key; services take what they need.
	master secret.MasterKey
	keys   *keys.Manager
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
	a := &app{cfg: cfg, logger: newLogger(cfg, cmd.ErrOrStderr())}
	// The key first: a wrong one should fail before the database is touched.
	if a.master, err = loadMasterKey(ctx, cfg, a.logger); err != nil {
		return nil, nil, err
	}
	if a.store, err = openStore(ctx, cfg); err != nil {
		return nil, nil, err
	}
	if err := a.build(ctx); err != nil {
		a.Close()
		return nil, nil, err
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
		Logger:           a.logger,
	})
	// The directory service joins here, e.g. with
	// a.master.Hasher("client-secrets") and
	// secret.NewPasswordHasher(secret.OWASPArgon2, a.cfg.PasswordHashConcurrency).
	return err
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
