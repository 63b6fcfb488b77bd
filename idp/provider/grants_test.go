package provider

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// A refusal answers the client; a failure of Foyer's own (a 503) is not
// one, so it never commits the consumption of a code.
func TestIsRefusal(t *testing.T) {
	t.Parallel()
	assert.True(t, isRefusal(invalidGrant("no")))
	assert.True(t, isRefusal(invalidRequest("no")))
	assert.False(t, isRefusal(unavailable(errors.New("db down"))))
	assert.False(t, isRefusal(invalidClient("no")), "a status error is Foyer's to answer as it is")
	assert.False(t, isRefusal(oidc.ErrServerError()))
	assert.False(t, isRefusal(errors.New("plain")))
}

func TestHonoured(t *testing.T) {
	t.Parallel()
	signIn := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	later := signIn.Add(time.Hour)
	assert.NoError(t, honoured(store.User{AccountEnabled: true}, signIn))
	for name, u := range map[string]store.User{
		"disabled":                      {AccountEnabled: false},
		"disabled after, enabled again": {AccountEnabled: true, SignInSessionsValidFrom: &later},
	} {
		var oe *oidc.Error
		if assert.True(t, errors.As(honoured(u, signIn), &oe), name) {
			assert.Equal(t, oidc.InvalidGrant, oe.ErrorType, name)
		}
	}
}

// A retry within the grace window derives the same next refresh token;
// another row, family or old value derives another.
func TestNextRefreshValue(t *testing.T) {
	t.Parallel()
	g := refreshGrant{tokens: &tokens{hasher: secret.GenerateMasterKey().Hasher("tokens")}}
	rt := store.RefreshToken{TenantID: "t1", FamilyID: "f1", ID: "r1"}
	v := g.nextRefreshValue(rt, "old")
	assert.Equal(t, v, g.nextRefreshValue(rt, "old"))
	assert.NotEqual(t, v, g.nextRefreshValue(rt, "other"))
	other := rt
	other.ID = "r2"
	assert.NotEqual(t, v, g.nextRefreshValue(other, "old"))
	other = rt
	other.FamilyID = "f2"
	assert.NotEqual(t, v, g.nextRefreshValue(other, "old"))
}

func TestWantsRefresh(t *testing.T) {
	t.Parallel()
	withRefresh := store.Application{GrantTypes: []string{directory.GrantAuthorizationCode, directory.GrantRefreshToken}}
	without := store.Application{GrantTypes: []string{directory.GrantAuthorizationCode}}
	assert.True(t, wantsRefresh(withRefresh, []string{"openid", "offline_access"}))
	assert.False(t, wantsRefresh(withRefresh, []string{"openid"}), "offline_access not asked for")
	assert.False(t, wantsRefresh(without, []string{"openid", "offline_access"}), "the app may not refresh")
}
