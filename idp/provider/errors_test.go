package provider

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChallenges(t *testing.T) {
	t.Parallel()
	const iss = "https://id.example/t/woodgrove"
	assert.Equal(t, `Basic realm="`+iss+`"`, basicChallenge(nil, iss))
	for _, tc := range []struct {
		name string
		req  *http.Request
		want string
	}{
		{"no token: only that one is needed", httptest.NewRequest(http.MethodGet, "/userinfo", nil), `Bearer realm="` + iss + `"`},
		{"header token", withAuth(httptest.NewRequest(http.MethodGet, "/userinfo", nil)), `Bearer realm="` + iss + `", error="invalid_token"`},
		{"query token", httptest.NewRequest(http.MethodGet, "/userinfo?access_token=x", nil), `Bearer realm="` + iss + `", error="invalid_token"`},
		{"form post", httptest.NewRequest(http.MethodPost, "/userinfo", strings.NewReader("access_token=x")), `Bearer realm="` + iss + `", error="invalid_token"`},
	} {
		assert.Equal(t, tc.want, bearerChallenge(tc.req, iss), tc.name)
	}
}

func withAuth(r *http.Request) *http.Request {
	r.Header.Set("Authorization", "Bearer x")
	return r
}

func TestNoStoreMarksErrorsToo(t *testing.T) {
	t.Parallel()
	h := noStore(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusBadRequest)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/token", nil))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "no-cache", w.Header().Get("Pragma"))
}
