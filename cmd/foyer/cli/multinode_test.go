package cli

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/webclient"
)

// TestChangesReachEveryNodeAtOnce runs two serve nodes on one PostgreSQL
// database, each keeping tenants, clients and keys in memory for an hour:
// a change made through one node (or by a command beside them) can reach
// the other within the test only through the database's notices. Each
// change is first seen in use on node b, then made on node a, then
// checked on b.
func TestChangesReachEveryNodeAtOnce(t *testing.T) {
	t.Parallel()
	env := map[string]string{"FOYER_DATABASE": sqltest.PostgresSchema(t), "FOYER_MASTER_KEY": strings.Repeat("cd", 32)}
	hour := func(d *deps) { d.cacheFor = time.Hour }
	a := startDevServerWith(t, env, hour)
	b := startDevServerWith(t, env, hour)
	admin := clientCredentials(t, a.base, a.base+"/.default")

	// reaches waits for node b to show a change and says how long it took.
	reaches := func(t *testing.T, what string, seen func() bool) {
		t.Helper()
		began := time.Now()
		require.Eventually(t, seen, 10*time.Second, 20*time.Millisecond, "%s did not reach node b", what)
		t.Logf("%s reached node b in %v", what, time.Since(began).Round(time.Millisecond))
	}

	t.Run("a removed secret and a deleted app", func(t *testing.T) {
		appID, clientID := createApp(t, a.base, admin, "Nightly job")
		kept, keptID := addPassword(t, a.base, admin, appID)
		removed, removedID := addPassword(t, a.base, admin, appID)
		for _, secret := range []string{kept, removed} {
			status, _ := tryClientCredentials(t, b.base, clientID, secret, "")
			require.Equal(t, http.StatusOK, status, "node b caches the client")
		}
		status, _, body := sendAPI(t, admin, http.MethodPost, a.base+"/v1.0/applications/"+appID+"/removePassword",
			`{"keyId":"`+removedID+`"}`)
		require.Equal(t, http.StatusNoContent, status, body)
		reaches(t, "the removed secret", func() bool {
			status, _ := tryClientCredentials(t, b.base, clientID, removed, "")
			return status == http.StatusUnauthorized
		})
		status, _ = tryClientCredentials(t, b.base, clientID, kept, "")
		require.Equal(t, http.StatusOK, status, "the other secret still works (%s)", keptID)

		status, _, body = callAPI(t, admin, http.MethodDelete, a.base+"/v1.0/applications/"+appID)
		require.Equal(t, http.StatusNoContent, status, body)
		reaches(t, "the deleted app", func() bool {
			status, _ := tryClientCredentials(t, b.base, clientID, kept, "")
			return status == http.StatusUnauthorized
		})
	})

	t.Run("a disabled user and a changed policy", func(t *testing.T) {
		userID := createMember(t, a.base, admin, "nina@woodgrove.test", "Correct-Horse-7")
		nina := webclient.Credentials{Username: "nina@woodgrove.test", Password: "Correct-Horse-7"}
		signIn := func() *webclient.Page {
			browser := webclient.New(webclient.Config{StopAt: []string{b.base + "/demo/callback"}})
			page, err := browser.SignIn(t.Context(), b.base+"/demo/login", nina)
			if err != nil {
				return nil
			}
			return page
		}
		page := signIn()
		require.NotNil(t, page)
		require.True(t, page.Stopped(), "a member signs in on node b without a second factor (guests only by default)")

		status, _, body := sendAPI(t, admin, http.MethodPatch, a.base+"/v1.0/policies/mfaPolicy", `{"required":"everyone"}`)
		require.Equal(t, http.StatusNoContent, status, body)
		reaches(t, "the tenant's new MFA policy", func() bool {
			page := signIn()
			return page != nil && !page.Stopped()
		})

		status, _, body = sendAPI(t, admin, http.MethodPatch, a.base+"/v1.0/users/"+userID, `{"accountEnabled":false}`)
		require.Equal(t, http.StatusNoContent, status, body)
		reaches(t, "the disabled user", func() bool { return signIn() == nil })
	})

	t.Run("a rotated key", func(t *testing.T) {
		before := publishedKids(t, b.base)
		_, kid := jwtHeader(t, clientCredentials(t, b.base, ""))
		r := a.cli.run(t, "keys", "rotate", "--tenant", "woodgrove")
		require.Equal(t, exitOK, r.code, r.stderr)
		reaches(t, "the rotation's new next key", func() bool {
			return slices.ContainsFunc(publishedKids(t, b.base), func(k string) bool { return !slices.Contains(before, k) })
		})
		_, newKid := jwtHeader(t, clientCredentials(t, b.base, ""))
		require.NotEqual(t, kid, newKid, "node b signs with the new active key")
		require.Contains(t, before, newKid, "which was published before it signed")
	})

	_, metrics := get(t, b.base+"/metrics")
	for _, kind := range []string{"everything", "tenant", "applications", "keys"} {
		require.Contains(t, metrics, `foyer_cache_invalidations_total{kind="`+kind+`"}`)
	}
}

func createApp(t *testing.T, base, token, name string) (id, clientID string) {
	t.Helper()
	status, _, body := sendAPI(t, token, http.MethodPost, base+"/v1.0/applications", `{"displayName":"`+name+`","grantTypes":["client_credentials"]}`)
	require.Equal(t, http.StatusCreated, status, body)
	var app struct{ ID, AppID string }
	require.NoError(t, json.Unmarshal([]byte(body), &app))
	return app.ID, app.AppID
}

func addPassword(t *testing.T, base, token, appID string) (secret, keyID string) {
	t.Helper()
	status, _, body := sendAPI(t, token, http.MethodPost, base+"/v1.0/applications/"+appID+"/addPassword", `{}`)
	require.Equal(t, http.StatusOK, status, body)
	var cred struct{ SecretText, KeyID string }
	require.NoError(t, json.Unmarshal([]byte(body), &cred))
	return cred.SecretText, cred.KeyID
}

func createMember(t *testing.T, base, token, upn, password string) string {
	t.Helper()
	status, _, body := sendAPI(t, token, http.MethodPost, base+"/v1.0/users", `{"accountEnabled":true,"displayName":"Nina",
		"mailNickname":"nina","userPrincipalName":"`+upn+`","passwordProfile":{"password":"`+password+`"}}`)
	require.Equal(t, http.StatusCreated, status, body)
	var u struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(body), &u))
	return u.ID
}

// publishedKids answers the kids in woodgrove's JWKS at base.
func publishedKids(t *testing.T, base string) []string {
	t.Helper()
	status, body := get(t, base+"/t/woodgrove/keys")
	require.Equal(t, http.StatusOK, status, body)
	var set struct{ Keys []struct{ Kid string } }
	require.NoError(t, json.Unmarshal([]byte(body), &set))
	kids := make([]string, 0, len(set.Keys))
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// jwtHeader answers a compact JWT's alg and kid.
func jwtHeader(t *testing.T, token string) (alg, kid string) {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	require.NoError(t, err)
	var h struct{ Alg, Kid string }
	require.NoError(t, json.Unmarshal(raw, &h))
	return h.Alg, h.Kid
}
