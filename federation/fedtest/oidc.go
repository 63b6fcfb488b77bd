package fedtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is the account a fake signs in, without asking anything.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	// Name defaults to GivenName FamilyName.
	Name       string
	GivenName  string
	FamilyName string
	AMR        []string
	ACR        string
}

// Misbehaviour is one way a fake upstream breaks the rules on demand.
type Misbehaviour int

const (
	// BadSignature signs the ID token with a key the JWKS does not hold
	// (under the JWKS key's kid).
	BadSignature Misbehaviour = iota + 1
	// WrongIssuer puts another issuer in the ID token's iss.
	WrongIssuer
	// WrongAudience makes the ID token for another client.
	WrongAudience
	// Expired issues an ID token whose exp has passed.
	Expired
	// AlgNone sends an unsigned ID token with alg none.
	AlgNone
	// NoNonce drops the nonce from the ID token.
	NoNonce
	// OtherNonce puts another nonce in the ID token.
	OtherNonce
	// EmailUnverified asserts email_verified false (ID token and userinfo).
	EmailUnverified
	// OtherEmail asserts another address than the user's
	// (OtherEmailAddress), in the ID token and userinfo.
	OtherEmail
	// EmailOnlyInUserinfo leaves email and email_verified out of the ID
	// token; userinfo still has them.
	EmailOnlyInUserinfo
	// Deny answers the authorization request with error=access_denied.
	Deny
	// WrongTenantIssuer (Microsoft fakes): iss names another tenant than
	// the token's tid claim.
	WrongTenantIssuer
	// EmailVerifiedString sends email_verified as the string "true"
	// instead of a boolean (ID token and userinfo), as sloppy providers do.
	EmailVerifiedString
)

// OtherEmailAddress is the address OtherEmail asserts.
const OtherEmailAddress = "mallory@elsewhere.test"

// OtherTenantID is the tenant WrongTenantIssuer puts in iss.
const OtherTenantID = "99999999-9999-9999-9999-999999999999"

// RedirectURI is the callback every fake accepts at first; a test adds
// its server's with AllowRedirectURI.
const RedirectURI = "https://foyer.test/callback"

// The client every fake has registered.
const (
	clientID     = "foyer-client"
	clientSecret = "foyer-client-secret"
)

// OIDC is a fake OpenID provider on a real listener, built on zitadel's
// op with the example in-memory storage. Its authorize endpoint signs the
// configured user in at once and redirects back with a code (no page),
// and its token endpoint's ID token is reshaped (profile claims, amr,
// misbehaviours) and signed again with the provider's key.
type OIDC struct {
	// URL is the listener's base URL.
	URL string
	// Issuer is the provider's issuer. For a Microsoft fake it is the
	// multi-tenant authority (URL/common/v2.0), whose discovery names
	// URL/{tenantid}/v2.0.
	Issuer       string
	ClientID     string
	ClientSecret string
	// TenantID is the tid a Microsoft fake asserts.
	TenantID string

	storage  *storage.Storage
	provider *op.Provider
	rogueKey *rsa.PrivateKey

	switches
	user        User
	discoveries int
}

// NewOIDC starts a fake OpenID provider that signs u in.
func NewOIDC(t testing.TB, u User) *OIDC {
	t.Helper()
	return newOIDC(t, u, "")
}

// NewMicrosoft starts a fake of Microsoft's multi-tenant endpoint: its
// discovery issuer is URL/{tenantid}/v2.0, and ID tokens carry tid
// tenantID with iss URL/{tenantID}/v2.0. Point the Microsoft connector's
// authority at its Issuer.
func NewMicrosoft(t testing.TB, u User, tenantID string) *OIDC {
	t.Helper()
	return newOIDC(t, u, tenantID)
}

func newOIDC(t testing.TB, u User, tenantID string) *OIDC {
	t.Helper()
	f := &OIDC{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		TenantID:     tenantID,
		switches:     newSwitches([]string{RedirectURI}),
		user:         u,
	}
	var err error
	if f.rogueKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	prefix := ""
	if tenantID != "" {
		prefix = "/common/v2.0"
	}
	f.Issuer = f.URL + prefix

	f.storage = storage.NewStorageWithClients(userStore{f}, map[string]*storage.Client{
		clientID: storage.WebClient(clientID, clientSecret, RedirectURI),
	})
	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	f.provider, err = op.NewProvider(&op.Config{
		CryptoKey:      cryptoKey,
		CodeMethodS256: true,
		AuthMethodPost: true,
	}, clientOverride{f.storage, f}, op.StaticIssuer(f.Issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle(prefix+"/", http.StripPrefix(prefix, f.reshape(f.provider)))
	mux.HandleFunc("/fake/login", f.login)
	return f
}

// SetUser changes the account the fake signs in.
func (f *OIDC) SetUser(u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.user = u
}

// DiscoveryCount answers how many times the discovery document was
// fetched.
func (f *OIDC) DiscoveryCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.discoveries
}

// state answers the user as the fake asserts it now, and the
// misbehaviours in force.
func (f *OIDC) state() (User, map[Misbehaviour]bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.user
	u.AMR = slices.Clone(u.AMR)
	if f.misbehave[EmailUnverified] {
		u.EmailVerified = false
	}
	if f.misbehave[OtherEmail] {
		u.Email = OtherEmailAddress
	}
	if u.Name == "" {
		u.Name = strings.TrimSpace(u.GivenName + " " + u.FamilyName)
	}
	return u, maps.Clone(f.misbehave)
}

// login completes op's auth request for the configured user and sends
// the browser on to op's callback, which redirects with the code.
func (f *OIDC) login(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	_, mis := f.state()
	if mis[Deny] {
		req, err := f.storage.AuthRequestByID(r.Context(), id)
		if err != nil {
			http.Error(w, "unknown auth request", http.StatusBadRequest)
			return
		}
		q := url.Values{"error": {"access_denied"}, "state": {req.GetState()}}
		http.Redirect(w, r, req.GetRedirectURI()+"?"+q.Encode(), http.StatusFound)
		return
	}
	if err := f.storage.CheckUsernamePassword(fakeUsername, fakePassword, id); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, f.Issuer+"/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
}

// reshape rewrites op's discovery, token and userinfo answers.
func (f *OIDC) reshape(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			f.mu.Lock()
			f.discoveries++
			f.mu.Unlock()
			if f.TenantID == "" {
				next.ServeHTTP(w, r)
				return
			}
			rewriteJSON(w, r, next, func(body map[string]any) error {
				body["issuer"] = f.URL + "/{tenantid}/v2.0"
				return nil
			})
		case "/oauth/token":
			rewriteJSON(w, r, next, func(body map[string]any) error {
				idt, ok := body["id_token"].(string)
				if !ok {
					return nil
				}
				reshaped, err := f.reshapeIDToken(r.Context(), idt)
				if err != nil {
					return err
				}
				body["id_token"] = reshaped
				return nil
			})
		case "/userinfo":
			rewriteJSON(w, r, next, func(body map[string]any) error {
				u, mis := f.state()
				if u.Name != "" {
					body["name"] = u.Name
				}
				if mis[EmailVerifiedString] {
					body["email_verified"] = "true"
				}
				return nil
			})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// rewriteJSON runs next, and when it answered 200 with a JSON object,
// passes the object through edit.
func rewriteJSON(w http.ResponseWriter, r *http.Request, next http.Handler, edit func(map[string]any) error) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	out := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		var body map[string]any
		if err := json.Unmarshal(out, &body); err == nil {
			if err := edit(body); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			if out, err = json.Marshal(body); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
	}
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(out)
}

func (f *OIDC) reshapeIDToken(ctx context.Context, idt string) (string, error) {
	jws, err := jose.ParseSigned(idt, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return "", fmt.Errorf("parse op's ID token: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil {
		return "", err
	}
	u, mis := f.state()

	if len(u.AMR) > 0 {
		claims["amr"] = u.AMR
	}
	if u.ACR != "" {
		claims["acr"] = u.ACR
	}
	setNonEmpty(claims, "name", u.Name)
	setNonEmpty(claims, "given_name", u.GivenName)
	setNonEmpty(claims, "family_name", u.FamilyName)
	if mis[EmailOnlyInUserinfo] {
		delete(claims, "email")
		delete(claims, "email_verified")
	} else {
		claims["email"] = u.Email
		claims["email_verified"] = u.EmailVerified
		if mis[EmailVerifiedString] {
			claims["email_verified"] = "true"
		}
	}
	if f.TenantID != "" {
		claims["tid"] = f.TenantID
		claims["iss"] = f.URL + "/" + f.TenantID + "/v2.0"
		if mis[WrongTenantIssuer] {
			claims["iss"] = f.URL + "/" + OtherTenantID + "/v2.0"
		}
	}
	if mis[WrongIssuer] {
		claims["iss"] = "https://issuer.invalid"
	}
	if mis[WrongAudience] {
		claims["aud"] = []string{"another-client"}
		delete(claims, "azp")
	}
	if mis[Expired] {
		now := time.Now()
		claims["iat"] = now.Add(-10 * time.Minute).Unix()
		claims["exp"] = now.Add(-5 * time.Minute).Unix()
	}
	if mis[NoNonce] {
		delete(claims, "nonce")
	}
	if mis[OtherNonce] {
		claims["nonce"] = "another-nonce"
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}

	if mis[AlgNone] {
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
		return header + "." + base64.RawURLEncoding.EncodeToString(payload) + ".", nil
	}
	key, err := f.storage.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	private := key.Key()
	if mis[BadSignature] {
		private = f.rogueKey
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.RS256,
		Key:       jose.JSONWebKey{Key: private, KeyID: key.ID()},
	}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	signed, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return signed.CompactSerialize()
}

func setNonEmpty(claims map[string]any, k, v string) {
	if v != "" {
		claims[k] = v
	}
}

const (
	fakeUsername = "user"
	fakePassword = "password"
)

// userStore hands the example storage the fake's user as it is now.
type userStore struct{ f *OIDC }

var _ storage.UserStore = userStore{}

func (s userStore) GetUserByID(id string) *storage.User {
	u, _ := s.f.state()
	if id != u.Subject {
		return nil
	}
	return &storage.User{
		ID:            u.Subject,
		Username:      fakeUsername,
		Password:      fakePassword,
		FirstName:     u.GivenName,
		LastName:      u.FamilyName,
		Email:         u.Email,
		EmailVerified: u.EmailVerified,
	}
}

func (s userStore) GetUserByUsername(username string) *storage.User {
	u, _ := s.f.state()
	if username != fakeUsername {
		return nil
	}
	return s.GetUserByID(u.Subject)
}

func (userStore) ExampleClientID() string { return "service" }

// clientOverride points the client's login URL at the fake's own login
// handler, which needs no page, and reads its redirect URIs from the
// fake, which may learn more of them.
type clientOverride struct {
	*storage.Storage
	f *OIDC
}

func (s clientOverride) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return loginURLClient{c, s.f}, nil
}

type loginURLClient struct {
	op.Client
	f *OIDC
}

func (c loginURLClient) LoginURL(id string) string {
	return c.f.URL + "/fake/login?id=" + url.QueryEscape(id)
}

func (c loginURLClient) RedirectURIs() []string {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	return slices.Clone(c.f.redirects)
}

// Callback follows authURL's redirects while they stay on its host (the
// fake's authorize, login and callback hops) and answers the query of
// the redirect that leaves it: the callback's code and state, or error.
func Callback(t testing.TB, authURL string) url.Values {
	t.Helper()
	start, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("auth URL: %v", err)
	}
	client := &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != start.Host || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, authURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
		var body bytes.Buffer
		_, _ = body.ReadFrom(res.Body)
		t.Fatalf("authorize answered %s: %s", res.Status, body.String())
	}
	loc, err := res.Location()
	if err != nil {
		t.Fatalf("authorize redirect: %v", err)
	}
	return loc.Query()
}
