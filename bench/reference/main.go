package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/text/language"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The reference's well-known names: the example storage's user and
// clients. The harness signs in with them.
const (
	WebClientID     = "web"
	WebClientSecret = "secret"
	// ServiceClientID and ServiceClientSecret are the example storage's
	// service user, the only client it lets use client_credentials.
	ServiceClientID     = "sid1"
	ServiceClientSecret = "verysecret"
	UserPassword        = "verysecure"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "reference:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reference", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9998", "loopback host:port to listen on")
	alg := fs.String("alg", "ES256", "signing algorithm: ES256 or RS256")
	redirect := fs.String("redirect-uri", "http://127.0.0.1:5556/callback", "redirect URI of the web client")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--addr %s: the reference listens on loopback only", *addr)
	}
	// op logs through the default logger: warnings and errors only, no
	// request lines.
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	key, err := newSigningKey(*alg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	issuer := "http://" + ln.Addr().String()
	handler, err := newHandler(issuer, *redirect, key)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Fprintf(stdout, "reference: issuer %s (%s)\n", issuer, key.algorithm)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler builds the provider for issuer: the example's storage and
// provider settings, key as the signing key, the login page with sessions.
func newHandler(issuer, redirectURI string, key *signingKey) (http.Handler, error) {
	users := storage.NewUserStore(issuer)
	storage.RegisterClients(storage.WebClient(WebClientID, WebClientSecret, redirectURI))
	st := &refStorage{Storage: storage.NewStorage(users), key: key}
	config := &op.Config{
		CryptoKey:                sha256.Sum256([]byte("test")),
		DefaultLogoutRedirectURI: "/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		AuthMethodPrivateKeyJWT:  true,
		GrantTypeRefreshToken:    true,
		RequestObjectSupported:   true,
		SupportedUILocales:       []language.Tag{language.English},
	}
	provider, err := op.NewProvider(config, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	l := &login{storage: st, users: users, callback: op.AuthCallbackURL(provider), sessions: newSessions()}
	intercept := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	mux.Handle("/login/username", intercept.Handler(l))
	mux.Handle("/", provider)
	return mux, nil
}

// refStorage is the example's storage with the signing key replaced and
// every client issuing JWT access tokens.
type refStorage struct {
	*storage.Storage
	key *signingKey
}

var _ op.Storage = (*refStorage)(nil)

func (s *refStorage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

func (s *refStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.key.algorithm}, nil
}

func (s *refStorage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

func (s *refStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return jwtClient{c}, nil
}

func (s *refStorage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	c, err := s.Storage.ClientCredentials(ctx, id, secret)
	if err != nil {
		return nil, err
	}
	return jwtClient{c}, nil
}

// jwtClient is a client whose access tokens are JWTs.
type jwtClient struct{ op.Client }

func (jwtClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }

// signingKey is the provider's one key, of either algorithm.
type signingKey struct {
	id        string
	algorithm jose.SignatureAlgorithm
	private   any
	public    any
}

func newSigningKey(alg string) (*signingKey, error) {
	switch alg {
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		return &signingKey{id: "ref-es256", algorithm: jose.ES256, private: k, public: &k.PublicKey}, nil
	case "RS256":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		return &signingKey{id: "ref-rs256", algorithm: jose.RS256, private: k, public: &k.PublicKey}, nil
	}
	return nil, fmt.Errorf("--alg %q: want ES256 or RS256", alg)
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.algorithm }
func (k *signingKey) Key() any                                    { return k.private }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is the key as the JWKS publishes it.
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return p.k.algorithm }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return p.k.public }
