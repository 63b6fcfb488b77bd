package idp_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"github.com/foyer-idp/foyer/internal/testlog"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/federation/passcode"
	"github.com/foyer-idp/foyer/idp"
	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/mfa"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/testclock"
	"github.com/foyer-idp/foyer/internal/webclient"
	"github.com/foyer-idp/foyer/keys"
)

// The end-to-end tests run the real handler stack (idp.Server.Handler) on
// a real listener over a real store, on SQLite and PostgreSQL, and drive it
// as relying parties do: go-oidc and x/oauth2 for the protocol, and a
// cookie-jar browser that fills the HTML forms for the pages.

// testArgon2 keeps password hashing cheap; the code path is the same.
var testArgon2 = secret.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

const (
	password = "correct horse battery staple"
	// rpBase is where the relying parties live; the browser stops at
	// redirects there instead of following them.
	rpBase      = "https://rp.example.test"
	rpCallback  = rpBase + "/callback"
	rpSignedOut = rpBase + "/signed-out"
)

// faultyStore fails the methods named in failing with ErrUnavailable, as a
// database outage would; everything else reaches the real store. Its
// transactions fail alike.
type faultyStore struct {
	store.Store
	faults *faults
}

type faults struct {
	mu      sync.Mutex
	failing map[string]bool
	// afterConsume, when set, runs after a successful ConsumeToken, inside
	// the caller's transaction; onRevokeGrant before RevokeGrant.
	afterConsume  func()
	onRevokeGrant func()
}

func (f *faults) hooks() (afterConsume, onRevokeGrant func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.afterConsume, f.onRevokeGrant
}

func (f *faultyStore) RevokeGrant(ctx context.Context, tenantID, grantID string, at, until time.Time) error {
	if _, hook := f.faults.hooks(); hook != nil {
		hook()
	}
	return f.Store.RevokeGrant(ctx, tenantID, grantID, at, until)
}

func (f *faultyStore) fail(methods ...string) {
	f.faults.mu.Lock()
	defer f.faults.mu.Unlock()
	for _, m := range methods {
		f.faults.failing[m] = true
	}
}

func (f *faultyStore) err(method string) error {
	f.faults.mu.Lock()
	defer f.faults.mu.Unlock()
	if f.faults.failing[method] {
		return store.ErrUnavailable
	}
	return nil
}

func (f *faultyStore) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	return f.Store.InTx(ctx, func(tx store.Store) error { return fn(&faultyStore{Store: tx, faults: f.faults}) })
}

func (f *faultyStore) ConsumeToken(ctx context.Context, tenantID, kind, hash string, at time.Time) (store.Token, error) {
	if err := f.err("ConsumeToken"); err != nil {
		return store.Token{}, err
	}
	t, err := f.Store.ConsumeToken(ctx, tenantID, kind, hash, at)
	if hook, _ := f.faults.hooks(); hook != nil && err == nil {
		hook()
	}
	return t, err
}

func (f *faultyStore) GetRefreshToken(ctx context.Context, tenantID, hash string) (store.RefreshToken, error) {
	if err := f.err("GetRefreshToken"); err != nil {
		return store.RefreshToken{}, err
	}
	return f.Store.GetRefreshToken(ctx, tenantID, hash)
}

func (f *faultyStore) ListClientSecrets(ctx context.Context, tenantID, appID string) ([]store.ClientSecret, error) {
	if err := f.err("ListClientSecrets"); err != nil {
		return nil, err
	}
	return f.Store.ListClientSecrets(ctx, tenantID, appID)
}

func (f *faultyStore) TokenRevoked(ctx context.Context, tenantID string, ids ...string) (bool, error) {
	if err := f.err("TokenRevoked"); err != nil {
		return false, err
	}
	return f.Store.TokenRevoked(ctx, tenantID, ids...)
}

// env is one Foyer on one database.
type env struct {
	store    *faultyStore
	raw      store.Store
	dir      *directory.Directory
	keys     *keys.Manager
	clock    *testclock.Clock
	srv      *httptest.Server
	base     string
	registry *prometheus.Registry
	logs     *testlog.Buffer
}

type envOptions struct {
	externalURL    func(base string) string
	throttle       bool
	trustedProxies []netip.Prefix
	// tokens, when set, edits the token settings (default
	// config.DefaultTokens).
	tokens func(*config.Tokens)
	// accessSample is idp.Config.AccessSample.
	accessSample int
}

// newEnv starts Foyer on a fresh database of back end b.
func newEnv(t testing.TB, b sqltest.Backend, opts ...func(*envOptions)) *env {
	t.Helper()
	var o envOptions
	for _, f := range opts {
		f(&o)
	}
	raw := b.OpenMigrated(t)
	e := &env{
		store: &faultyStore{Store: raw, faults: &faults{failing: map[string]bool{}}}, raw: raw,
		// The shared clock starts at the real time, so relying-party
		// libraries checking exp against the wall clock agree with it.
		clock: testclock.New(time.Now().UTC().Truncate(time.Second)), registry: prometheus.NewRegistry(), logs: &testlog.Buffer{},
	}
	master := secret.GenerateMasterKey()
	var err error
	e.dir, err = directory.New(directory.Config{
		Store: e.store, SecretHasher: master.Hasher("client-secrets"),
		Passwords: secret.NewPasswordHasher(testArgon2, 4), Now: e.clock.Now,
	})
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	e.keys, err = keys.New(keys.Config{
		Store: e.store, Sealer: master.Sealer("signing-keys"), Now: e.clock.Now,
		RetirePublishFor: 24 * time.Hour, Logger: logger,
	})
	require.NoError(t, err)

	e.srv = httptest.NewUnstartedServer(nil)
	e.base = "http://" + e.srv.Listener.Addr().String()
	external := e.base
	if o.externalURL != nil {
		external = o.externalURL(e.base)
	}
	outbox, err := mail.NewOutbox(mail.OutboxConfig{Store: e.store, Sealer: master.Sealer("mail"), Sender: mail.DevSender{Logger: logger}, Logger: logger, Rand: rand.Float64})
	require.NoError(t, err)
	codes, err := passcode.New(passcode.Config{Store: e.store, Mailer: outbox, Hasher: master.Hasher("passcodes"), Now: e.clock.Now})
	require.NoError(t, err)
	second, err := mfa.New(mfa.Config{Store: e.store, Sealer: master.Sealer("mfa-secrets"), Hasher: master.Hasher("recovery-codes"),
		Mailer: outbox, Now: e.clock.Now})
	require.NoError(t, err)
	tokens := config.DefaultTokens()
	if o.tokens != nil {
		o.tokens(&tokens)
	}
	s, err := idp.New(idp.Config{
		Tenants: e.store, Keys: e.keys, Registry: e.registry, Logger: logger, ExternalURL: external,
		TrustedProxies: o.trustedProxies, AccessSample: o.accessSample,
		OIDC: &idp.OIDC{
			Store: e.store, Directory: e.dir, Keys: e.keys, Hasher: master.Hasher("tokens"), Passcodes: codes, MFA: second,
			Lifetimes: tokens, Now: e.clock.Now,
		},
	})
	require.NoError(t, err)
	e.srv.Config.Handler = s.Handler()
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) issuer(slug string) string { return e.base + "/t/" + slug }

// tenant creates a tenant signing with alg (RS256 when empty) with its keys.
func (e *env) tenant(t testing.TB, slug, alg string) store.Tenant {
	t.Helper()
	tn, err := e.dir.CreateTenant(t.Context(), directory.NewTenant{
		Slug: slug, DisplayName: strings.ToUpper(slug[:1]) + slug[1:], SigningAlg: alg,
		Branding: store.Branding{AccentColor: "#107c10", LogoURL: "https://cdn.example.test/" + slug + ".png"},
	})
	require.NoError(t, err)
	require.NoError(t, e.keys.Ensure(t.Context(), tn.ID))
	return tn
}

// member creates a member with the test password.
func (e *env) member(t testing.TB, tn store.Tenant, mail string) store.User {
	t.Helper()
	name := strings.Split(mail, "@")[0]
	u, err := e.dir.CreateMember(t.Context(), tn.ID, directory.NewMember{
		DisplayName: strings.ToUpper(name[:1]) + name[1:] + " Example", GivenName: name, Surname: "Example",
		Mail: mail, Password: password,
	})
	require.NoError(t, err)
	return u
}

// client is a registered application as its relying party holds it.
type client struct {
	app    store.Application
	secret string
	tenant store.Tenant
	env    *env
}

// app registers an application; edit adjusts the registration.
func (e *env) app(t testing.TB, tn store.Tenant, clientID string, edit ...func(*directory.NewApplication)) *client {
	t.Helper()
	in := directory.NewApplication{
		DisplayName: "App " + clientID, ClientID: clientID, ClientType: store.ClientConfidential,
		RedirectURIs: []string{rpCallback}, PostLogoutRedirectURIs: []string{rpSignedOut},
		GrantTypes: []string{directory.GrantAuthorizationCode, directory.GrantRefreshToken},
	}
	for _, f := range edit {
		f(&in)
	}
	app, sec, err := e.dir.CreateApplication(t.Context(), tn.ID, in)
	require.NoError(t, err)
	c := &client{app: app, tenant: tn, env: e}
	if sec != nil {
		c.secret = sec.Value
	}
	return c
}

func public(in *directory.NewApplication)     { in.ClientType = store.ClientPublic }
func firstParty(in *directory.NewApplication) { in.FirstParty = true }

// oauth answers the client's x/oauth2 configuration.
func (c *client) oauth(scopes ...string) *oauth2.Config {
	iss := c.env.issuer(c.tenant.Slug)
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}
	}
	style := oauth2.AuthStyleInHeader
	if c.secret == "" {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID: c.app.ClientID, ClientSecret: c.secret, RedirectURL: rpCallback, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: iss + "/authorize", TokenURL: iss + "/oauth/token", AuthStyle: style},
	}
}

// provider discovers the tenant with go-oidc.
func (c *client) provider(t testing.TB) *oidc.Provider {
	t.Helper()
	p, err := oidc.NewProvider(t.Context(), c.env.issuer(c.tenant.Slug))
	require.NoError(t, err)
	return p
}

// verifier verifies the client's ID tokens as go-oidc does, accepting the
// algorithms Foyer signs with.
func (c *client) verifier(t testing.TB, algs ...string) *oidc.IDTokenVerifier {
	if len(algs) == 0 {
		algs = []string{oidc.RS256}
	}
	return c.provider(t).Verifier(&oidc.Config{ClientID: c.app.ClientID, SupportedSigningAlgs: algs})
}

// authRequest is one authorization request with its PKCE verifier.
type authRequest struct {
	state, nonce, verifier string
	url                    string
}

// authURL builds an authorization request; extra adds or overrides
// parameters (an empty value removes one).
func (c *client) authURL(extra url.Values, scopes ...string) authRequest {
	ar := authRequest{state: secret.NewToken(8), nonce: secret.NewToken(8), verifier: oauth2.GenerateVerifier()}
	u, _ := url.Parse(c.oauth(scopes...).AuthCodeURL(ar.state, oidc.Nonce(ar.nonce), oauth2.S256ChallengeOption(ar.verifier)))
	q := u.Query()
	for k, vs := range extra {
		if len(vs) == 1 && vs[0] == "" {
			q.Del(k)
			continue
		}
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	ar.url = u.String()
	return ar
}

// browser answers a browser with its own cookie jar, stopping at the
// relying parties' redirect URIs.
func (e *env) browser() *webclient.Client {
	return webclient.New(webclient.Config{StopAt: []string{rpBase}})
}

// signIn runs the authorization request in the browser, signing in as mail
// and accepting a consent page when shown, and answers the redirect back
// to the relying party.
func signIn(t testing.TB, b *webclient.Client, ar authRequest, mail string) url.Values {
	t.Helper()
	page, err := b.SignIn(t.Context(), ar.url, webclient.Credentials{Username: mail, Password: password})
	require.NoError(t, err)
	require.True(t, page.Stopped(), "the flow ends at the relying party")
	return page.Query()
}

// code runs a full sign-in and answers the code, checking state and iss.
func (c *client) code(t testing.TB, b *webclient.Client, ar authRequest, mail string) string {
	t.Helper()
	q := signIn(t, b, ar, mail)
	require.Empty(t, q.Get("error"), q.Get("error_description"))
	require.Equal(t, ar.state, q.Get("state"))
	require.Equal(t, c.env.issuer(c.tenant.Slug), q.Get("iss"))
	require.NotEmpty(t, q.Get("code"))
	return q.Get("code")
}

// tokens runs a sign-in and redeems the code with x/oauth2.
func (c *client) tokens(t testing.TB, b *webclient.Client, mail string, scopes ...string) (*oauth2.Token, authRequest) {
	t.Helper()
	ar := c.authURL(nil, scopes...)
	code := c.code(t, b, ar, mail)
	tok, err := c.oauth(scopes...).Exchange(t.Context(), code, oauth2.VerifierOption(ar.verifier))
	require.NoError(t, err)
	return tok, ar
}

// response is a raw HTTP answer.
type response struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

// post sends a form to a tenant endpoint, authenticating with basic auth
// when user is set.
func (e *env) post(t testing.TB, endpoint string, form url.Values, user, pass string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return e.do(t, req)
}

func (e *env) do(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := response{status: resp.StatusCode, header: resp.Header, body: string(body)}
	_ = json.Unmarshal(body, &r.json)
	return r
}

// get sends a GET without following redirects.
func (e *env) get(t testing.TB, rawURL string, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := response{status: resp.StatusCode, header: resp.Header, body: string(body)}
	_ = json.Unmarshal(body, &r.json)
	return r
}

// token posts to the client's token endpoint with its credentials.
func (c *client) token(t testing.TB, form url.Values) response {
	t.Helper()
	return c.postAs(t, "/oauth/token", form)
}

// postAs posts form to the tenant's endpoint at path as the client: with
// basic auth when it has a secret, its client_id alone otherwise.
func (c *client) postAs(t testing.TB, path string, form url.Values) response {
	t.Helper()
	endpoint := c.env.issuer(c.tenant.Slug) + path
	if c.secret == "" {
		form.Set("client_id", c.app.ClientID)
		return c.env.post(t, endpoint, form, "", "")
	}
	return c.env.post(t, endpoint, form, c.app.ClientID, c.secret)
}

// introspect asks whether token is active, as the client.
func (c *client) introspect(t testing.TB, token string) map[string]any {
	t.Helper()
	r := c.env.post(t, c.env.issuer(c.tenant.Slug)+"/oauth/introspect", url.Values{"token": {token}}, c.app.ClientID, c.secret)
	require.Equal(t, http.StatusOK, r.status, r.body)
	return r.json
}

// userinfo calls the userinfo endpoint with a bearer token.
func (e *env) userinfo(t testing.TB, slug, token string) response {
	t.Helper()
	return e.get(t, e.issuer(slug)+"/userinfo", "Authorization", "Bearer "+token)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// idClaims verifies an ID token and answers its claims.
func idClaims(t testing.TB, v *oidc.IDTokenVerifier, raw string) (*oidc.IDToken, map[string]any) {
	t.Helper()
	tok, err := v.Verify(t.Context(), raw)
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, tok.Claims(&claims))
	return tok, claims
}

// runBoth runs fn on SQLite and, when configured, PostgreSQL.
func runBoth(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		fn(t, newEnv(t, b))
	})
}

type directoryApp = directory.NewApplication

// jwtParts decodes a JWT's header and claims without verifying it.
func jwtParts(t testing.TB, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3, "a compact JWS")
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, dst))
	}
	return header, claims
}

// getJSON GETs a JSON document.
func getJSON(t testing.TB, rawURL string) map[string]any {
	t.Helper()
	resp, err := http.Get(rawURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}
