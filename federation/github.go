package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
)

// GitHubIssuer is the Identity.Issuer of every GitHub account.
const GitHubIssuer = "https://github.com"

// GitHubConfig configures the GitHub connector. The base URLs default to
// github.com and api.github.com; tests point them at a fake.
type GitHubConfig struct {
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// Scopes default to read:user user:email.
	Scopes []string
	// BaseURL serves /login/oauth/authorize and /login/oauth/access_token.
	BaseURL string
	// APIBaseURL serves /user and /user/emails.
	APIBaseURL string
	// HTTPClient is the guarded client; required.
	HTTPClient *http.Client
}

// GitHubConnector signs guests in with GitHub's OAuth 2.0 (GitHub is not
// an OpenID provider): code with PKCE, then the account from GET /user
// and the email from GET /user/emails, only a primary verified one.
type GitHubConnector struct {
	oauth  *oauth2.Config
	api    string
	client *http.Client
}

var _ Connector = (*GitHubConnector)(nil)

// NewGitHubConnector checks cfg and builds the connector; it does no I/O.
func NewGitHubConnector(cfg GitHubConfig) (*GitHubConnector, error) {
	var errs []error
	if cfg.ClientID == "" {
		errs = append(errs, errors.New("client id is required"))
	}
	if cfg.RedirectURL == "" {
		errs = append(errs, errors.New("redirect URL is required"))
	}
	if cfg.HTTPClient == nil {
		errs = append(errs, errors.New("HTTP client is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(orDefault(cfg.BaseURL, "https://github.com"), "/")
	api := strings.TrimSuffix(orDefault(cfg.APIBaseURL, "https://api.github.com"), "/")
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"read:user", "user:email"}
	}
	return &GitHubConnector{
		oauth: &oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:   base + "/login/oauth/authorize",
				TokenURL:  base + "/login/oauth/access_token",
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		api:    api,
		client: cfg.HTTPClient,
	}, nil
}

// AuthURL answers GitHub's authorization URL; the nonce is not used, as
// GitHub issues no ID token.
func (c *GitHubConnector) AuthURL(_ context.Context, r AuthRequest) (string, error) {
	if r.State == "" || r.CodeChallenge == "" {
		return "", errors.New("auth request needs state and code challenge")
	}
	opts := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("code_challenge", r.CodeChallenge),
		oauth2.SetAuthURLParam("code_challenge_method", "S256"),
		oauth2.SetAuthURLParam("allow_signup", "false"),
	}
	if r.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login", r.LoginHint))
	}
	return c.oauth.AuthCodeURL(r.State, opts...), nil
}

type gitHubUser struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
}

type gitHubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// Exchange redeems code with the PKCE verifier and reads the account.
func (c *GitHubConnector) Exchange(ctx context.Context, code, codeVerifier, _ string) (Identity, error) {
	if code == "" || codeVerifier == "" {
		return Identity{}, errors.New("exchange needs code and code verifier")
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.client)
	tok, err := c.oauth.Exchange(ctx, code, oauth2.VerifierOption(codeVerifier))
	if err != nil {
		return Identity{}, tokenEndpointError(err)
	}

	var u gitHubUser
	if err := c.get(ctx, tok.AccessToken, "/user", &u); err != nil {
		return Identity{}, &UpstreamError{Reason: "GitHub's user could not be read", Err: err}
	}
	if u.ID <= 0 {
		return Identity{}, &UpstreamError{Reason: "GitHub's user has no id"}
	}
	id := Identity{
		Issuer:      GitHubIssuer,
		Subject:     strconv.FormatInt(u.ID, 10),
		DisplayName: orDefault(u.Name, u.Login),
	}
	var emails []gitHubEmail
	if err := c.get(ctx, tok.AccessToken, "/user/emails", &emails); err != nil {
		return Identity{}, &UpstreamError{Reason: "GitHub's emails could not be read", Err: err}
	}
	for _, e := range emails {
		if e.Primary && e.Verified && e.Email != "" {
			id.Email = strings.ToLower(e.Email)
			id.EmailVerified = true
			break
		}
	}
	return id, nil
}

func (c *GitHubConnector) get(ctx context.Context, accessToken, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api+path, nil)
	if err != nil {
		return fmt.Errorf("request %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	if err := getJSON(c.client, req, v); err != nil {
		return err
	}
	return nil
}
