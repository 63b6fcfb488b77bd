package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// Text PostgreSQL cannot hold (NUL, invalid UTF-8) in a lookup used to
// fail there as a 503; it is a client's mistake, answered with a 400.
func TestControlCharactersInRequestAreRefused(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[*fixture]{{Name: "PathAndFilter", Fn: func(t *testing.T, f *fixture) {
		f.member(t, f.a.ID, "ada@contoso.example")
		for _, target := range []string{
			"/v1.0/users/a%00b", "/v1.0/users/a%FFb", "/v1.0/groups/%00", "/v1.0/applications/x%00",
			"/v1.0/users/%C2%85/authentication/methods", "/v1.0/identity/identityProviders/%FE",
			"/v1.0/applications/x%00/owners", "/v1.0/applications/%FF/appRoleAssignedTo",
			"/v1.0/users?$filter=" + url.QueryEscape("mail eq 'a\x00b'"),
			"/v1.0/users?$filter=" + url.QueryEscape("userType eq '\xff\xfe'"),
			"/v1.0/users?$filter=" + url.QueryEscape("userPrincipalName eq '\t'"),
			"/v1.0/invitations?$filter=" + url.QueryEscape("invitedUserEmailAddress eq '\x00'"),
		} {
			res := f.call(t, f.app("User.ReadWrite.All", "Group.ReadWrite.All", "Application.ReadWrite.All", "User.Invite.All", "IdentityProvider.ReadWrite.All",
				"UserAuthenticationMethod.ReadWrite.All"), "GET", target, nil)
			f.requireError(t, res, http.StatusBadRequest, "Request_BadRequest")
		}
		// The same lookups with plain text still work.
		res := f.call(t, f.app(admin...), "GET", "/v1.0/users?$filter="+url.QueryEscape("mail eq 'ada@contoso.example'"), nil)
		require200(t, res, 1)
	}}}, newFixture)
}

func require200(t *testing.T, res response, n int) {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("status %d: %s", res.status, res.raw)
	}
	if got := len(res.body["value"].([]any)); got != n {
		t.Fatalf("%d items, want %d: %s", got, n, res.raw)
	}
}

// FuzzUsersEndpoint drives the real API handler, on every back end
// there is, with any query string and any path segment: the answer is
// JSON (or ServeMux's redirect to a cleaned path), and never a server
// error.
func FuzzUsersEndpoint(f *testing.F) {
	var fixtures []*fixture
	for _, b := range sqltest.Backends() {
		if b.Name == "Postgres" && os.Getenv(sqltest.DSNEnv) == "" && os.Getenv(sqltest.RequireEnv) == "" {
			continue
		}
		fx := openFixture(f, b)
		for _, m := range []string{"ada@contoso.example", "o'brien@contoso.example"} {
			if _, err := fx.dir.CreateMember(f.Context(), fx.a.ID, directory.NewMember{DisplayName: m, Mail: m, Password: "foyer-dev-pw"}); err != nil {
				f.Fatal(err)
			}
		}
		fixtures = append(fixtures, fx)
	}
	f.Fuzz(func(t *testing.T, segment, rawQuery string) {
		for _, fx := range fixtures {
			for _, path := range []string{"/v1.0/users", "/v1.0/invitations", "/v1.0/users/" + segment, "/v1.0/groups/" + segment + "/members"} {
				req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
				req.URL.Path, req.URL.RawQuery = path, rawQuery
				rec := httptest.NewRecorder()
				injectPrincipal(fx.app("User.ReadWrite.All", "Group.ReadWrite.All", "User.Invite.All"), fx.handler).ServeHTTP(rec, req)
				if rec.Code >= 500 {
					t.Fatalf("GET %q ? %q: status %d: %s", path, rawQuery, rec.Code, rec.Body)
				}
				if (rec.Code < 300 || rec.Code >= 400) && !json.Valid(rec.Body.Bytes()) {
					t.Fatalf("GET %q ? %q: status %d, not JSON: %s", path, rawQuery, rec.Code, rec.Body)
				}
			}
		}
	})
}
