package provider

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// server is the provider on op's Server seam: op parses requests,
// dispatches grant types, checks each client's grant types and writes
// responses and errors; the methods below decide. What it does not
// implement (token exchange, JWT profile, health) op answers as not
// served; authorization, its callback and logout are Foyer's own handlers.
type server struct {
	op.UnimplementedServer
	p *Provider
	// One handler per grant, over the provider's shared token issuer.
	code              codeExchange
	refresh           refreshGrant
	clientCredentials clientCredentials
	device            deviceGrant
}

var _ op.Server = (*server)(nil)

func tenantOf(ctx context.Context) (store.Tenant, error) {
	t, ok := tenancy.From(ctx)
	if !ok {
		return store.Tenant{}, oidc.ErrServerError().WithDescription("no tenant")
	}
	return t, nil
}

// supportedGrants are the grant types the token endpoint serves.
var supportedGrants = []string{directory.GrantAuthorizationCode, directory.GrantRefreshToken, directory.GrantClientCredentials, directory.GrantDeviceCode}

// VerifyClient authenticates the client of a token or revocation request:
// a confidential client by its secret (client_secret_basic or
// client_secret_post), a public one by its id alone. A failure is 401
// invalid_client (op answers 400), a store failure 503.
func (s *server) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if gt := r.Form.Get("grant_type"); gt != "" && !slices.Contains(supportedGrants, gt) {
		// Answered before authentication: the grant is refused for
		// everyone (password, implicit, jwt-bearer, device code …).
		return nil, oidc.ErrUnsupportedGrantType().WithDescription("grant_type %q is not supported", gt)
	}
	cc := r.Data
	if cc.ClientAssertion != "" {
		return nil, invalidClient("client assertions are not supported")
	}
	if cc.ClientSecret != "" {
		app, err := s.p.clients.VerifyClientSecret(ctx, t.ID, cc.ClientID, cc.ClientSecret)
		if errors.Is(err, directory.ErrBadCredentials) {
			return nil, invalidClient("client authentication failed")
		}
		if err != nil {
			return nil, unavailable(err)
		}
		return s.p.client(app), nil
	}
	app, err := s.p.clients.Application(ctx, t.ID, cc.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidClient("client authentication failed")
	}
	if err != nil {
		return nil, unavailable(err)
	}
	if app.ClientType == store.ClientConfidential {
		return nil, invalidClient("client authentication failed")
	}
	return s.p.client(app), nil
}

func appOf(c op.Client) store.Application { return c.(*client).app }

func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	return s.grant(ctx, r.Client, directory.GrantAuthorizationCode, func(t store.Tenant, app store.Application) (*oidc.AccessTokenResponse, error) {
		return s.code.serve(ctx, t, app, r.Data)
	})
}

func (s *server) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	return s.grant(ctx, r.Client, directory.GrantRefreshToken, func(t store.Tenant, app store.Application) (*oidc.AccessTokenResponse, error) {
		return s.refresh.serve(ctx, t, app, r.Data)
	})
}

func (s *server) ClientCredentialsExchange(ctx context.Context, r *op.ClientRequest[oidc.ClientCredentialsRequest]) (*op.Response, error) {
	return s.grant(ctx, r.Client, directory.GrantClientCredentials, func(t store.Tenant, app store.Application) (*oidc.AccessTokenResponse, error) {
		return s.clientCredentials.serve(ctx, t, app, r.Data.Scope)
	})
}

// AttrGrantType names the grant type on a token request's trace span.
const AttrGrantType = "foyer.grant_type"

// grant answers a token request of one grant type with serve, the grant's
// handler, and counts the response. The request's span learns the grant
// here, where the form has been read.
func (s *server) grant(ctx context.Context, c op.Client, grantType string,
	serve func(store.Tenant, store.Application) (*oidc.AccessTokenResponse, error)) (*op.Response, error) {
	requestSpan(ctx).SetAttributes(attribute.String(AttrGrantType, grantType))
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := serve(t, appOf(c))
	if err != nil {
		return nil, err
	}
	s.p.countIssued(t, grantType)
	return op.NewResponse(resp), nil
}

func (s *server) DeviceToken(ctx context.Context, r *op.ClientRequest[oidc.DeviceAccessTokenRequest]) (*op.Response, error) {
	return s.grant(ctx, r.Client, directory.GrantDeviceCode, func(t store.Tenant, app store.Application) (*oidc.AccessTokenResponse, error) {
		return s.device.serve(ctx, t, app, r.Data.DeviceCode)
	})
}

// DeviceAuthorization serves the device authorization endpoint, its
// client authenticated as at the token endpoint.
func (s *server) DeviceAuthorization(ctx context.Context, r *op.ClientRequest[oidc.DeviceAuthorizationRequest]) (*op.Response, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := s.p.authorizeDevice(ctx, t, appOf(r.Client), r.Data.Scopes)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

func (s *server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	cc := r.Data.ClientCredentials
	if cc.ClientAssertion != "" {
		return nil, invalidClient("client assertions are not supported")
	}
	caller, err := s.p.dir.VerifyClientSecret(ctx, t.ID, cc.ClientID, cc.ClientSecret)
	if errors.Is(err, directory.ErrBadCredentials) {
		return nil, invalidClient("client authentication failed")
	}
	if err != nil {
		return nil, unavailable(err)
	}
	resp, err := s.p.introspect(ctx, t, caller, r.Data.IntrospectionRequest.Token)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

func (s *server) UserInfo(ctx context.Context, r *op.Request[oidc.UserInfoRequest]) (*op.Response, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := s.p.userinfo(ctx, t, r.Data.AccessToken)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

func (s *server) Revocation(ctx context.Context, r *op.ClientRequest[oidc.RevocationRequest]) (*op.Response, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.p.revoke(ctx, t, appOf(r.Client), r.Data.Token); err != nil {
		return nil, err
	}
	return op.NewResponse(nil), nil
}

// requestSpanKey keeps the request's own trace span in its context.
type requestSpanKey struct{}

// keepRequestSpan remembers the request's span before zitadel's handlers
// start spans of their own (from the global tracer, which Foyer leaves a
// no-op), so a grant can annotate the span that is exported.
func keepRequestSpan(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := trace.SpanFromContext(r.Context())
		if !span.IsRecording() {
			// Tracing off: nothing to keep, no copy of the request.
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestSpanKey{}, span)))
	})
}

// requestSpan answers the span keepRequestSpan kept, or ctx's own.
func requestSpan(ctx context.Context) trace.Span {
	if span, ok := ctx.Value(requestSpanKey{}).(trace.Span); ok {
		return span
	}
	return trace.SpanFromContext(ctx)
}
