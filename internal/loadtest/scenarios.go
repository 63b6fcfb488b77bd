package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/foyer-idp/foyer/internal/webclient"
)

// scenario is what a worker does: setup once (may be nil), then op in a
// loop, each op timed.
type scenario struct {
	setup func(context.Context, *worker) error
	op    func(context.Context, *worker) error
}

// worker is one simulated client: a browser of its own and, for refresh,
// the refresh token it rotates.
type worker struct {
	r       *runner
	browser *webclient.Client
	refresh string
}

func (r *runner) newWorker() *worker {
	cfg := webclient.Config{StopAt: []string{r.cfg.RedirectURI}, Transport: r.transport, Timeout: r.cfg.RequestTimeout}
	if r.cfg.RedirectURI == "" {
		cfg.StopAt = nil
	}
	if !r.cfg.AllowRemote {
		cfg.CheckURL = func(u *url.URL) error { return r.cfg.target("request to", u) }
	}
	return &worker{r: r, browser: webclient.New(cfg)}
}

func (r *runner) scenario(name string) scenario {
	switch name {
	case ClientCredentials:
		return scenario{op: func(ctx context.Context, w *worker) error {
			_, err := w.token(ctx, url.Values{"grant_type": {"client_credentials"}})
			return err
		}}
	case Refresh:
		return scenario{
			setup: func(ctx context.Context, w *worker) error { return w.signInForRefresh(ctx) },
			op:    func(ctx context.Context, w *worker) error { return w.rotateRefresh(ctx) },
		}
	case PasswordFlow:
		return scenario{op: func(ctx context.Context, w *worker) error {
			w.browser.ResetCookies() // a new browser each time
			_, err := w.signIn(ctx, r.cfg.Scopes)
			return err
		}}
	case SessionFlow:
		return scenario{
			setup: func(ctx context.Context, w *worker) error {
				_, err := w.signIn(ctx, r.cfg.Scopes)
				return err
			},
			op: func(ctx context.Context, w *worker) error {
				_, err := w.signIn(ctx, r.cfg.Scopes)
				return err
			},
		}
	case JWKS:
		return scenario{op: func(ctx context.Context, w *worker) error {
			var set struct {
				Keys []json.RawMessage `json:"keys"`
			}
			if err := r.getJSON(ctx, r.ep.JWKS, &set); err != nil {
				return err
			}
			if len(set.Keys) == 0 {
				return errors.New("the JWKS holds no key")
			}
			return nil
		}}
	case Discovery:
		return scenario{op: func(ctx context.Context, w *worker) error {
			var ep endpoints
			return r.getJSON(ctx, r.ep.discoveryURL, &ep)
		}}
	}
	panic("loadtest: unknown scenario " + name) // check refused it
}

// signIn runs the code flow with PKCE through the provider's pages: the
// forms when the browser has no session, straight back when it has one.
// It answers the token response.
func (w *worker) signIn(ctx context.Context, scopes []string) (tokenResponse, error) {
	cfg := w.r.cfg
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	authURL, err := url.Parse(w.r.ep.Authorization)
	if err != nil {
		return tokenResponse{}, err
	}
	q := authURL.Query()
	for k, v := range map[string]string{
		"response_type": "code", "client_id": cfg.ClientID, "redirect_uri": cfg.RedirectURI,
		"scope": strings.Join(scopes, " "), "state": state, "nonce": nonce,
		"code_challenge": oauth2.S256ChallengeFromVerifier(verifier), "code_challenge_method": "S256",
	} {
		q.Set(k, v)
	}
	authURL.RawQuery = q.Encode()
	page, err := w.browser.SignIn(ctx, authURL.String(), webclient.Credentials{Username: cfg.Username, Password: cfg.Password})
	if err != nil {
		return tokenResponse{}, err
	}
	back := page.Query()
	switch {
	case back.Get("error") != "":
		return tokenResponse{}, fmt.Errorf("authorization error %s: %s", back.Get("error"), back.Get("error_description"))
	case back.Get("state") != state:
		return tokenResponse{}, errors.New("the authorization response's state is not the request's")
	case back.Get("iss") != "" && back.Get("iss") != w.r.ep.Issuer:
		return tokenResponse{}, fmt.Errorf("the authorization response names issuer %q", back.Get("iss"))
	case back.Get("code") == "":
		return tokenResponse{}, errors.New("the authorization response has no code")
	}
	tok, err := w.token(ctx, url.Values{
		"grant_type": {"authorization_code"}, "code": {back.Get("code")},
		"redirect_uri": {cfg.RedirectURI}, "code_verifier": {verifier},
	})
	if err != nil {
		return tokenResponse{}, err
	}
	if slices.Contains(scopes, "openid") && tok.IDToken == "" {
		return tokenResponse{}, errors.New("the token response has no ID token")
	}
	return tok, nil
}

// signInForRefresh gets the worker its first refresh token.
func (w *worker) signInForRefresh(ctx context.Context) error {
	scopes := w.r.cfg.Scopes
	if !slices.Contains(scopes, "offline_access") {
		scopes = append(slices.Clone(scopes), "offline_access")
	}
	tok, err := w.signIn(ctx, scopes)
	if err != nil {
		return err
	}
	if tok.RefreshToken == "" {
		return errors.New("the provider issued no refresh token: does the client hold the refresh_token grant?")
	}
	w.refresh = tok.RefreshToken
	return nil
}

// rotateRefresh redeems the worker's refresh token and keeps the new one.
// A failed refresh may have ended the token family, so the worker signs in
// again there and then: the failed operation, which is not in the latency
// figures, carries the time.
func (w *worker) rotateRefresh(ctx context.Context) error {
	if w.refresh == "" { // the last sign-in again failed
		if err := w.signInForRefresh(ctx); err != nil {
			return fmt.Errorf("sign in again: %w", err)
		}
	}
	tok, err := w.token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {w.refresh}})
	if err != nil {
		w.refresh = ""
		if ctx.Err() == nil {
			_ = w.signInForRefresh(ctx)
		}
		return err
	}
	if tok.RefreshToken != "" {
		w.refresh = tok.RefreshToken
	}
	return nil
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

// token posts to the token endpoint with the client's authentication:
// client_secret_basic with a secret, the client id in the body without.
func (w *worker) token(ctx context.Context, form url.Values) (tokenResponse, error) {
	cfg := w.r.cfg
	if cfg.ClientSecret == "" {
		form.Set("client_id", cfg.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.r.ep.Token, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenResponse{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if cfg.ClientSecret != "" {
		// RFC 6749 §2.3.1: both form-encoded before Basic.
		req.SetBasicAuth(url.QueryEscape(cfg.ClientID), url.QueryEscape(cfg.ClientSecret))
	}
	resp, err := w.r.http.Do(req)
	if err != nil {
		return tokenResponse{}, fmt.Errorf("token endpoint: %w", err)
	}
	defer drain(resp.Body)
	var tok tokenResponse
	decodeErr := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok)
	switch {
	case resp.StatusCode != http.StatusOK && tok.Error != "":
		return tokenResponse{}, fmt.Errorf("%s grant: status %d: %s %s", form.Get("grant_type"), resp.StatusCode, tok.Error, tok.Description)
	case resp.StatusCode != http.StatusOK:
		return tokenResponse{}, fmt.Errorf("%s grant: status %d", form.Get("grant_type"), resp.StatusCode)
	case decodeErr != nil:
		return tokenResponse{}, fmt.Errorf("%s grant: unreadable response: %w", form.Get("grant_type"), decodeErr)
	case tok.AccessToken == "":
		return tokenResponse{}, fmt.Errorf("%s grant: no access token in the response", form.Get("grant_type"))
	}
	return tok, nil
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
