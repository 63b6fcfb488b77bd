// Package idptest runs the real Foyer provider for the tests of packages
// around it (the demo relying party, the load tool): a migrated store,
// signing keys, the directory and the development seed behind the idp
// handler on a real loopback listener. It is for tests only.
package idptest

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/foyer-idp/foyer/federation"
	"github.com/foyer-idp/foyer/federation/passcode"
	"github.com/foyer-idp/foyer/idp"
	"github.com/foyer-idp/foyer/internal/bootstrap"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/keys"
)

// testArgon2 keeps password hashing cheap; the code path is the same.
var testArgon2 = secret.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// Dev is a running provider seeded with bootstrap.DevFile.
type Dev struct {
	// URL is the external URL: woodgrove's issuer is URL + "/t/woodgrove".
	URL    string
	Server *idp.Server
	Logger *slog.Logger
	// Store and Directory are the provider's own, for tests that set up
	// or inspect what the pages cannot.
	Store     *sqlstore.Store
	Directory *directory.Directory
	// MFA is the provider's second-factor service.
	MFA      *mfa.Service
	mailSeal *secret.Sealer
}

// Mail answers the email queued so far, newest first, opened as the
// recipient would read it.
func (d *Dev) Mail(t testing.TB) []mail.Message {
	t.Helper()
	recs, err := d.Store.ListMail(t.Context(), store.MailFilter{})
	must(t, err)
	out := make([]mail.Message, len(recs))
	for i, rec := range recs {
		out[i], err = mail.Open(d.mailSeal, rec)
		must(t, err)
	}
	return out
}

// StartDev seeds a fresh database of back end b with the development file
// and serves the provider on a loopback listener until the test ends.
// mount, when given, adds handlers (with Server.Mount) before the first
// request; it learns the external URL.
func StartDev(t testing.TB, b sqltest.Backend, mount func(d *Dev)) *Dev {
	t.Helper()
	st := b.OpenMigrated(t)
	master := secret.GenerateMasterKey()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	passwords := secret.NewPasswordHasher(testArgon2, 4)
	km, err := keys.New(keys.Config{Store: st, Sealer: master.Sealer("signing-keys"), Logger: logger})
	must(t, err)
	srv := httptest.NewUnstartedServer(nil)
	d := &Dev{URL: "http://" + srv.Listener.Addr().String(), Logger: logger, Store: st, mailSeal: master.Sealer("mail")}
	// Mail stays in the outbox, where Mail reads it.
	outbox, err := mail.NewOutbox(mail.OutboxConfig{Store: st, Sealer: d.mailSeal, Sender: mail.DevSender{Logger: logger}, Logger: logger, Rand: rand.Float64})
	must(t, err)
	link := func(path string) func(t store.Tenant, token string) string {
		return func(t store.Tenant, token string) string { return d.URL + "/t/" + t.Slug + path + "?token=" + token }
	}
	upstreams, err := federation.NewRegistry(federation.RegistryConfig{AllowPrivateNetworks: true,
		TrustedPrefixes: []string{d.URL + "/t/"}, Now: time.Now, Logger: logger})
	must(t, err)
	dir, err := directory.New(directory.Config{Store: st, SecretHasher: master.Hasher("client-secrets"), Passwords: passwords,
		Invitations: &directory.InvitationConfig{Hasher: master.Hasher("invitations"), Mailer: outbox,
			InitialDomain: func(t store.Tenant) string { return t.Slug + ".localhost" },
			RedeemURL:     link("/redeem"), BlockURL: link("/redeem/block")},
		Federation: &directory.FederationConfig{Sealer: master.Sealer("idp-secrets"), CheckURL: upstreams.Guard().CheckURL,
			Issuer:      func(t store.Tenant) string { return d.URL + "/t/" + t.Slug },
			CallbackURL: func(t store.Tenant) string { return d.URL + "/t/" + t.Slug + "/federation/callback" }}})
	must(t, err)
	d.Directory = dir
	codes, err := passcode.New(passcode.Config{Store: st, Mailer: outbox, Hasher: master.Hasher("passcodes")})
	must(t, err)
	d.MFA, err = mfa.New(mfa.Config{Store: st, Sealer: master.Sealer("mfa-secrets"), Hasher: master.Hasher("recovery-codes"),
		Mailer: outbox, Now: time.Now})
	must(t, err)
	_, err = bootstrap.Apply(t.Context(), bootstrap.Deps{
		Store: st, SecretHasher: master.Hasher("client-secrets"), Passwords: passwords, Keys: km,
		MinSecretLength: bootstrap.DevMinSecretLength,
	}, bootstrap.DevFile(d.URL))
	must(t, err)
	d.Server, err = idp.New(idp.Config{
		Tenants: st, Keys: km, Registry: prometheus.NewRegistry(), Logger: logger, ExternalURL: d.URL,
		OIDC: &idp.OIDC{Store: st, Directory: dir, Clients: dir.NewClientCache(5 * time.Second), Keys: km, Hasher: master.Hasher("tokens"), Passcodes: codes, Federation: dir, Upstreams: upstreams, MFA: d.MFA, Lifetimes: config.DefaultTokens()},
	})
	must(t, err)
	if mount != nil {
		mount(d)
	}
	srv.Config.Handler = d.Server.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return d
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
