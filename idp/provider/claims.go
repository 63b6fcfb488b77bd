package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/keys"
)

// The claims of the JWTs Foyer signs, typed. Fields are in the order of
// their JSON names, the order encoding/json writes a map's keys in, so a
// token's payload is byte for byte what a map of the same claims gave.
// A claim that is present or absent by a rule other than "empty" is a
// pointer to a field of the same struct (no allocation of its own).

// accessClaims are the claims of an RFC 9068 access token.
type accessClaims struct {
	Audience  string   `json:"aud"`
	AuthTime  *int64   `json:"auth_time,omitempty"` // users' tokens only
	ClientID  string   `json:"client_id"`
	Expiry    int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	Issuer    string   `json:"iss"`
	ID        string   `json:"jti"`
	NotBefore int64    `json:"nbf"`
	Roles     []string `json:"roles,omitempty"` // application permissions
	Scope     string   `json:"scope"`
	Scp       string   `json:"scp,omitempty"` // delegated permissions
	Subject   string   `json:"sub"`
	TenantID  string   `json:"tid"`

	authTime int64
}

// setAuthTime puts auth_time in the token.
func (c *accessClaims) setAuthTime(unix int64) {
	c.authTime = unix
	c.AuthTime = &c.authTime
}

// idClaims are the claims of an ID token.
type idClaims struct {
	ACR               string   `json:"acr"`
	AMR               []string `json:"amr"`
	AtHash            string   `json:"at_hash"`
	Audience          string   `json:"aud"`
	AuthTime          int64    `json:"auth_time"`
	AuthorizedParty   string   `json:"azp"`
	Email             string   `json:"email,omitempty"`
	EmailVerified     *bool    `json:"email_verified,omitempty"` // beside email only
	Expiry            int64    `json:"exp"`
	FamilyName        string   `json:"family_name,omitempty"`
	GivenName         string   `json:"given_name,omitempty"`
	IssuedAt          int64    `json:"iat"`
	Issuer            string   `json:"iss"`
	Name              string   `json:"name,omitempty"`
	Nonce             string   `json:"nonce,omitempty"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	SessionID         string   `json:"sid,omitempty"`
	Subject           string   `json:"sub"`
	TenantID          string   `json:"tid"`

	emailVerified bool
}

// setProfile adds the profile and email claims the scopes allow.
func (c *idClaims) setProfile(p profile) {
	c.Name, c.GivenName, c.FamilyName, c.PreferredUsername = p.name, p.givenName, p.familyName, p.preferredUsername
	if p.hasEmail {
		c.Email = p.email
		c.emailVerified = p.emailVerified
		c.EmailVerified = &c.emailVerified
	}
}

// profile is what the scopes let Foyer say about a user, in ID tokens and
// at userinfo. Empty strings are left out.
type profile struct {
	name, givenName, familyName, preferredUsername string
	// hasEmail: the email claims are present, email_verified beside email.
	hasEmail      bool
	email         string
	emailVerified bool
}

// profileOf answers the claims about u that scopes allow.
func profileOf(u store.User, scopes []string) profile {
	var p profile
	if slices.Contains(scopes, oidc.ScopeProfile) {
		p.name, p.givenName, p.familyName, p.preferredUsername = u.DisplayName, u.GivenName, u.Surname, u.UserPrincipalName
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && u.Mail != "" {
		// True only for an address Foyer itself verified (the invited
		// address at redemption, or an upstream's verified address in a
		// domain it serves). An admin's word is not verification: members'
		// mail is false, as Entra treats it.
		p.hasEmail, p.email, p.emailVerified = true, u.Mail, u.MailVerified
	}
	return p
}

// userClaims adds the profile and email claims the scopes allow to a
// userinfo response.
func userClaims(claims map[string]any, u store.User, scopes []string) {
	p := profileOf(u, scopes)
	set := func(k, v string) {
		if v != "" {
			claims[k] = v
		}
	}
	set("name", p.name)
	set("given_name", p.givenName)
	set("family_name", p.familyName)
	set("preferred_username", p.preferredUsername)
	if p.hasEmail {
		claims["email"] = p.email
		claims["email_verified"] = p.emailVerified
	}
}

// maxPooledClaims keeps an unusually large payload's buffer out of the
// pool.
const maxPooledClaims = 16 << 10

// claimBuffers hold claims while they are encoded.
var claimBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// sign makes a compact JWS of claims (an *accessClaims or *idClaims) with
// the key, naming its kid and the token type in the header.
func sign(key *keys.SigningKey, typ string, claims any) (string, error) {
	buf := claimBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledClaims {
			claimBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(claims); err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	// Encode ends the value with a newline, which Marshal does not.
	return key.SignJWT(typ, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}))
}
