package provider

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/keys"
)

// codeExchange serves the authorization_code grant over the shared
// token issuer.
type codeExchange struct {
	*tokens
	logger *slog.Logger
}

// kindAuthCode is the SingleUseTokens kind of authorization codes.
const kindAuthCode = "auth_code"

// codeGrant is what an authorization code stands for, stored as its
// payload: the code exchange needs nothing else, so the login transaction
// can be deleted when the code is issued.
type codeGrant struct {
	RequestID     string    `json:"rid"`
	ClientID      string    `json:"cid"`
	RedirectURI   string    `json:"redirect_uri"`
	Scopes        []string  `json:"scp"`
	Nonce         string    `json:"nonce,omitempty"`
	CodeChallenge string    `json:"cc,omitempty"`
	UserID        string    `json:"sub"`
	AuthTime      time.Time `json:"auth_time"`
	AMR           []string  `json:"amr"`
	// SID is the sid of the session behind the sign-in (signin.Core.SID).
	SID string `json:"sid,omitempty"`
}

// errCodeOfAnotherClient rolls back the consumption of a code presented by
// a client it was not issued to.
var errCodeOfAnotherClient = errors.New("the code was issued to another client")

// serve redeems an authorization code (RFC 6749 §4.1.3). The code is
// consumed first by one conditional UPDATE, so the database decides which
// of concurrent redemptions wins. A code presented by a client it was not
// issued to is refused and the consumption rolls back: a stolen code tried
// at another client must not burn it for its own. Once its own client
// presented it, whatever the checks after the consumption decide (verifier,
// redirect URI), the consumption commits: a code is worth one try of its
// client. A spent code presented again by its own client is a replay that
// revokes what the code gave; by another client it is only refused. The
// tokens commit in the same transaction as the consumption, so a second redemption — which waits for
// that transaction on the code's row — always finds them, and revokes every
// token the first one issued (§4.1.2). The grant id is the code's hash,
// known to both redemptions.
func (ce *codeExchange) serve(ctx context.Context, t store.Tenant, app store.Application, req *oidc.AccessTokenRequest) (*oidc.AccessTokenResponse, error) {
	now := ce.clock()
	hash := ce.hasher.Hash(req.Code)
	// Before the transaction: a key made on first use must not wait
	// for the write lock this transaction holds.
	key, err := ce.signer(ctx, t)
	if err != nil {
		return nil, err
	}
	var resp *oidc.AccessTokenResponse
	var refused error
	replayByOwner := false
	err = ce.store.InTx(ctx, func(tx store.Store) error {
		tok, err := tx.ConsumeToken(ctx, t.ID, kindAuthCode, hash, now)
		if errors.Is(err, store.ErrAlreadyUsed) {
			var g codeGrant
			replayByOwner = json.Unmarshal(tok.Payload, &g) == nil && g.ClientID == app.ClientID
		}
		if err != nil {
			return err
		}
		m, err := ce.redeem(ctx, tx, t, app, req, tok, hash, key)
		if errors.Is(err, errCodeOfAnotherClient) {
			return err // the consumption rolls back
		}
		if isRefusal(err) {
			refused = err
			return nil // the consumption commits; no token does
		}
		if err != nil {
			return err
		}
		resp = m.resp
		return save(ctx, tx, m)
	})
	switch {
	case errors.Is(err, store.ErrAlreadyUsed) && !replayByOwner:
		// Another client holds a copy of a spent code: it is refused, and
		// cannot make Foyer revoke what the code's own client got.
		ce.logger.WarnContext(ctx, "spent authorization code presented by another client", "tenant", t.Slug, "client_id", app.ClientID)
		return nil, invalidGrant("the code is invalid or expired")
	case errors.Is(err, store.ErrAlreadyUsed):
		if err := ce.store.RevokeGrant(ctx, t.ID, hash, now, ce.revokedUntil(now)); err != nil {
			return nil, unavailable(fmt.Errorf("revoke replayed grant: %w", err))
		}
		ce.logger.WarnContext(ctx, "authorization code redeemed twice; its tokens are revoked", "tenant", t.Slug, "client_id", app.ClientID)
		return nil, invalidGrant("the code was already used")
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExpired):
		return nil, invalidGrant("the code is invalid or expired")
	case errors.Is(err, errCodeOfAnotherClient):
		ce.logger.WarnContext(ctx, "authorization code presented by another client; it stays valid for its own", "tenant", t.Slug, "client_id", app.ClientID)
		return nil, invalidGrant(errCodeOfAnotherClient.Error())
	case err != nil:
		var status op.StatusError
		if errors.As(err, &status) {
			return nil, err
		}
		return nil, unavailable(err)
	case refused != nil:
		return nil, refused
	}
	return resp, nil
}

// redeem checks a consumed code against the token request and mints its
// tokens. A failed check is a refusal (see isRefusal).
func (ce *codeExchange) redeem(ctx context.Context, tx store.Store, t store.Tenant, app store.Application,
	req *oidc.AccessTokenRequest, tok store.Token, hash string, key *keys.SigningKey) (minted, error) {
	var g codeGrant
	if err := json.Unmarshal(tok.Payload, &g); err != nil {
		return minted{}, fmt.Errorf("decode code grant: %w", err)
	}
	if g.ClientID != app.ClientID {
		return minted{}, errCodeOfAnotherClient
	}
	if req.RedirectURI != g.RedirectURI {
		return minted{}, invalidGrant("redirect_uri differs from the authorization request's")
	}
	if err := checkPKCE(app, g.CodeChallenge, req.CodeVerifier); err != nil {
		return minted{}, err
	}
	u, err := tx.GetUserCore(ctx, t.ID, g.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return minted{}, invalidGrant("the user no longer exists")
	case err != nil:
		return minted{}, unavailable(err)
	}
	if err := honoured(u, g.AuthTime); err != nil {
		return minted{}, err
	}
	return ce.mintWith(key, issue{
		tenant: t, app: app, user: &u, scopes: g.Scopes, nonce: g.Nonce, authTime: g.AuthTime, amr: g.AMR,
		grantID: hash, refresh: wantsRefresh(app, g.Scopes), sid: g.SID,
	})
}

// isRefusal reports whether err answers the client's request (a protocol
// error such as invalid_grant), as opposed to a failure of Foyer's own.
func isRefusal(err error) bool {
	var oe *oidc.Error
	var status op.StatusError
	return errors.As(err, &oe) && oe.ErrorType != oidc.ServerError && !errors.As(err, &status)
}

// checkPKCE verifies the code_verifier (RFC 7636 §4.6). Only S256
// challenges are ever stored. A verifier with no challenge is refused, so a
// client cannot believe it is protected when it is not.
func checkPKCE(app store.Application, challenge, verifier string) error {
	if challenge == "" {
		if verifier != "" {
			return invalidRequest("code_verifier sent, but the authorization request had no code_challenge")
		}
		if app.ClientType != store.ClientConfidential {
			return invalidGrant("PKCE is required for public clients")
		}
		return nil
	}
	if verifier == "" {
		return invalidGrant("code_verifier is required")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) != 1 {
		return invalidGrant("code_verifier does not match the code_challenge")
	}
	return nil
}

// wantsRefresh: a refresh token comes with offline_access, for clients
// allowed the refresh grant.
func wantsRefresh(app store.Application, scopes []string) bool {
	return slices.Contains(scopes, oidc.ScopeOfflineAccess) && slices.Contains(app.GrantTypes, directory.GrantRefreshToken)
}

// honoured refuses a grant of u from a sign-in at authTime that u no
// longer honours: the account is disabled, or was disabled after that
// sign-in (store.User.Honours), which enabling it again does not undo.
func honoured(u store.User, authTime time.Time) error {
	switch {
	case !u.AccountEnabled:
		return invalidGrant("the user's account is disabled")
	case !u.Honours(authTime):
		return invalidGrant("the sign-in behind this grant has ended; the user must sign in again")
	}
	return nil
}
