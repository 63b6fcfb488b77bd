package provider

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// storage is the op.Storage of every tenant: each call reads the tenant the
// gate put in the context and scopes every query by it.
//
// op reaches only part of it. Foyer's server overrides the token,
// introspection, userinfo and revocation methods and serves authorization
// and logout itself, because op's versions cannot express what Foyer needs
// (a 503 instead of invalid_grant on a storage outage, signing before a
// refresh rotation commits, at+jwt access tokens, reuse detection). The
// methods only those paths would call answer errUnused.
type storage struct{ p *Provider }

var (
	_ op.Storage                  = (*storage)(nil)
	_ op.ClientCredentialsStorage = (*storage)(nil)
)

// errUnused answers storage methods that Foyer's server never lets op
// call; reaching one is a bug, answered as a server error.
var errUnused = errors.New("foyer: this op storage method is not used")

func tenantOf(ctx context.Context) (store.Tenant, error) {
	t, ok := tenancy.From(ctx)
	if !ok {
		return store.Tenant{}, oidc.ErrServerError().WithDescription("no tenant")
	}
	return t, nil
}

func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	app, err := s.p.store.GetApplicationByClientID(ctx, t.ID, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return s.p.client(app), nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, clientSecret string) error {
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	_, err = s.p.dir.VerifyClientSecret(ctx, t.ID, clientID, clientSecret)
	if errors.Is(err, directory.ErrBadCredentials) {
		return invalidClient("client authentication failed")
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

func (s *storage) ClientCredentials(ctx context.Context, clientID, clientSecret string) (op.Client, error) {
	return nil, errUnused
}

func (s *storage) ClientCredentialsTokenRequest(context.Context, string, []string) (op.TokenRequest, error) {
	return nil, errUnused
}

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	k, err := s.p.keys.Signer(ctx, t.ID)
	if err != nil {
		return nil, unavailable(err)
	}
	return k, nil
}

// SignatureAlgorithms answers the algorithms of the tenant's published
// keys: after a change of algorithm, both until the old keys retire.
func (s *storage) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	return s.p.signingAlgorithms(ctx, t)
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	public, err := s.p.keys.PublicKeys(ctx, t.ID)
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]op.Key, len(public))
	for i, k := range public {
		out[i] = k
	}
	return out, nil
}

func (s *storage) Health(context.Context) error { return nil }

func (s *storage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errUnused
}
func (s *storage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnused
}
func (s *storage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnused
}
func (s *storage) SaveAuthCode(context.Context, string, string) error { return errUnused }
func (s *storage) DeleteAuthRequest(context.Context, string) error    { return errUnused }
func (s *storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return "", time.Time{}, errUnused
}
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errUnused
}
func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errUnused
}
func (s *storage) TerminateSession(context.Context, string, string) error { return errUnused }
func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrServerError().WithParent(errUnused)
}
func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", errUnused
}
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return errUnused
}
func (s *storage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errUnused
}
func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errUnused
}
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, errUnused
}
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnused
}
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnused
}

// signingAlgorithms answers the distinct algorithms of the tenant's
// published keys.
func (p *Provider) signingAlgorithms(ctx context.Context, t store.Tenant) ([]jose.SignatureAlgorithm, error) {
	public, err := p.keys.PublicKeys(ctx, t.ID)
	if err != nil {
		return nil, unavailable(err)
	}
	var algs []jose.SignatureAlgorithm
	for _, k := range public {
		if !slices.Contains(algs, k.Algorithm()) {
			algs = append(algs, k.Algorithm())
		}
	}
	return algs, nil
}
