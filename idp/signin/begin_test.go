package signin

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// fakeStore answers what Begin and the pages read of one tenant; every
// other method of Store panics through the nil embedded interface, so a
// test notices a read it did not expect.
type fakeStore struct {
	Store
	sessions map[string]store.Session // by id
	users    map[string]store.User
	consents map[string]store.Consent // by user id
	requests map[string]store.AuthRequest
	apps     map[string]store.Application // by client id
	touched  int
}

func newFakeStore() *fakeStore {
	return &fakeStore{sessions: map[string]store.Session{}, users: map[string]store.User{},
		consents: map[string]store.Consent{}, requests: map[string]store.AuthRequest{}, apps: map[string]store.Application{}}
}

func (s *fakeStore) GetSession(_ context.Context, _, id string, now time.Time) (store.Session, error) {
	sess, ok := s.sessions[id]
	if !ok || !now.Before(sess.ExpiresAt) {
		return store.Session{}, store.ErrNotFound
	}
	return sess, nil
}

func (s *fakeStore) TouchSession(context.Context, string, string, time.Time) error {
	s.touched++
	return nil
}

func (s *fakeStore) GetUser(_ context.Context, _, id string) (store.User, error) {
	if u, ok := s.users[id]; ok {
		return u, nil
	}
	return store.User{}, store.ErrNotFound
}

func (s *fakeStore) GetUserCore(ctx context.Context, tenantID, id string) (store.User, error) {
	u, err := s.GetUser(ctx, tenantID, id)
	u.Identities = nil
	return u, err
}

func (s *fakeStore) GetConsent(_ context.Context, _, userID, _ string) (store.Consent, error) {
	if c, ok := s.consents[userID]; ok {
		return c, nil
	}
	return store.Consent{}, store.ErrNotFound
}

func (s *fakeStore) CreateAuthRequest(_ context.Context, r store.AuthRequest) error {
	s.requests[r.ID] = r
	return nil
}

func (s *fakeStore) GetAuthRequest(_ context.Context, _, id string, _ time.Time) (store.AuthRequest, error) {
	if r, ok := s.requests[id]; ok {
		return r, nil
	}
	return store.AuthRequest{}, store.ErrNotFound
}

func (s *fakeStore) GetApplicationByClientID(_ context.Context, _, clientID string) (store.Application, error) {
	if a, ok := s.apps[clientID]; ok {
		return a, nil
	}
	return store.Application{}, store.ErrNotFound
}

var testNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func newTestCore(t *testing.T, st Store) *Core {
	t.Helper()
	h, err := secret.NewHasher(make([]byte, 32))
	require.NoError(t, err)
	c, err := NewCore(CoreConfig{ExternalURL: "https://id.example", Store: st, Hasher: h,
		LoginLifetime: 30 * time.Minute, SessionLifetime: 10 * time.Hour, SessionIdleTimeout: 8 * time.Hour,
		Now: func() time.Time { return testNow }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return c
}

var testTenant = store.Tenant{ID: "t1", Slug: "woodgrove", DisplayName: "Woodgrove",
	MFA: store.MFAPolicy{Required: store.MFARequiredGuests}}

// beginRequest is an authorization request of app "app1" arriving in a
// browser, with the session cookie of sessionValue when it is not "".
func beginRequest(c *Core, sessionValue string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://id.example/t/woodgrove/authorize", nil)
	if sessionValue != "" {
		r.AddCookie(&http.Cookie{Name: c.SessionCookie(testTenant), Value: sessionValue})
	}
	return r.WithContext(tenancy.WithTenant(r.Context(), testTenant))
}

// signedIn stores a session of u in st and answers its cookie value.
func signedIn(c *Core, st *fakeStore, u store.User, amr []string) string {
	value := secret.NewToken(cookieSecretBytes)
	st.users[u.ID] = u
	st.sessions[c.sessionID(value)] = store.Session{TenantID: testTenant.ID, ID: c.sessionID(value), UserID: u.ID,
		AuthTime: testNow.Add(-time.Hour), AMR: amr, LastSeenAt: testNow.Add(-time.Hour), ExpiresAt: testNow.Add(time.Hour)}
	return value
}

func TestBegin(t *testing.T) {
	t.Parallel()
	app := store.Application{TenantID: testTenant.ID, ClientID: "app1"}
	member := store.User{ID: "u1", UserType: store.UserTypeMember, AccountEnabled: true}
	guest := store.User{ID: "u2", UserType: store.UserTypeGuest, AccountEnabled: true}
	for _, tc := range []struct {
		name     string
		user     *store.User // signed in when set
		amr      []string
		consent  []string // scopes remembered for the user
		prompt   []string
		maxAge   *int64
		hint     string
		want     Outcome
		wantErr  error
		wantPage string // where the browser goes when Shown
	}{
		{name: "no session shows the login page", want: Shown, wantPage: "/login"},
		{name: "no session, prompt=none", prompt: []string{"none"}, wantErr: ErrLoginRequired},
		{name: "session and consent finish at once", user: &member, amr: []string{"pwd"}, consent: []string{"openid"}, want: Finished},
		{name: "session without consent asks for it", user: &member, amr: []string{"pwd"}, want: Shown, wantPage: "/consent"},
		{name: "consent missing, prompt=none", user: &member, amr: []string{"pwd"}, prompt: []string{"none"}, wantErr: ErrConsentRequired},
		{name: "prompt=consent asks again", user: &member, amr: []string{"pwd"}, consent: []string{"openid"}, prompt: []string{"consent"}, want: Shown, wantPage: "/consent"},
		{name: "prompt=login signs in again", user: &member, amr: []string{"pwd"}, consent: []string{"openid"}, prompt: []string{"login"}, want: Shown, wantPage: "/login"},
		{name: "max_age passed signs in again", user: &member, amr: []string{"pwd"}, consent: []string{"openid"}, maxAge: ptr(int64(60)), want: Shown, wantPage: "/login"},
		{name: "max_age not passed", user: &member, amr: []string{"pwd"}, consent: []string{"openid"}, maxAge: ptr(int64(7200)), want: Finished},
		{name: "hint of another user signs in again", user: &member, amr: []string{"pwd"}, consent: []string{"openid"}, hint: "u9", want: Shown, wantPage: "/login"},
		{name: "guest without mfa goes to the second factor", user: &guest, amr: []string{"fed"}, consent: []string{"openid"}, want: Shown, wantPage: "/mfa"},
		{name: "guest without mfa, prompt=none", user: &guest, amr: []string{"fed"}, prompt: []string{"none"}, wantErr: ErrInteractionRequired},
		{name: "guest with mfa finishes", user: &guest, amr: []string{"fed", "mfa"}, consent: []string{"openid"}, want: Finished},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newFakeStore()
			c := newTestCore(t, st)
			var cookie string
			if tc.user != nil {
				cookie = signedIn(c, st, *tc.user, tc.amr)
				if tc.consent != nil {
					st.consents[tc.user.ID] = store.Consent{Scopes: tc.consent}
				}
			}
			req := &store.AuthRequest{ID: "req1", TenantID: testTenant.ID, ClientID: app.ClientID, Scopes: []string{"openid"},
				Prompt: tc.prompt, MaxAge: tc.maxAge, IDTokenHintSubject: tc.hint}
			w := httptest.NewRecorder()
			got, err := c.Begin(w, beginRequest(c, cookie), Start{Tenant: testTenant, App: app, Request: req})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Empty(t, st.requests, "a refused prompt=none stores nothing")
				assert.Empty(t, w.Result().Cookies(), "a refused prompt=none sets no cookie")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			if got == Finished {
				assert.True(t, req.Done && req.ConsentGiven)
				assert.Equal(t, tc.user.ID, req.UserID)
				assert.Empty(t, st.requests, "a finished request is not stored")
				return
			}
			assert.Equal(t, http.StatusFound, w.Code)
			assert.Equal(t, "https://id.example/t/woodgrove"+tc.wantPage+"?id=req1", w.Header().Get("Location"))
			stored, ok := st.requests["req1"]
			require.True(t, ok, "a shown transaction is stored")
			assert.NotEmpty(t, stored.BrowserBinding, "bound to the browser")
			browser := cookieNamed(w.Result().Cookies(), c.browserCookie())
			require.NotNil(t, browser, "the browser cookie is set")
			assert.Equal(t, c.Binding(browser.Value), stored.BrowserBinding)
		})
	}
}

func TestBeginIgnoresDeadSessions(t *testing.T) {
	t.Parallel()
	app := store.Application{TenantID: testTenant.ID, ClientID: "app1", FirstParty: true}
	for _, tc := range []struct {
		name  string
		alter func(*fakeStore, *Core, string)
	}{
		{"expired", func(st *fakeStore, c *Core, v string) {
			s := st.sessions[c.sessionID(v)]
			s.ExpiresAt = testNow
			st.sessions[c.sessionID(v)] = s
		}},
		{"idle too long", func(st *fakeStore, c *Core, v string) {
			s := st.sessions[c.sessionID(v)]
			s.LastSeenAt = testNow.Add(-8 * time.Hour)
			st.sessions[c.sessionID(v)] = s
		}},
		{"user gone", func(st *fakeStore, _ *Core, _ string) { delete(st.users, "u1") }},
		{"user signed out everywhere since", func(st *fakeStore, _ *Core, _ string) {
			u := st.users["u1"]
			u.SignInSessionsValidFrom = ptr(testNow.Add(-time.Minute))
			st.users["u1"] = u
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newFakeStore()
			c := newTestCore(t, st)
			cookie := signedIn(c, st, store.User{ID: "u1", AccountEnabled: true}, []string{"pwd"})
			tc.alter(st, c, cookie)
			_, err := c.Begin(httptest.NewRecorder(), beginRequest(c, cookie),
				Start{Tenant: testTenant, App: app, Request: &store.AuthRequest{ID: "r", Prompt: []string{"none"}}})
			assert.ErrorIs(t, err, ErrLoginRequired)
		})
	}
}

func TestSessionUseIsWrittenAtMostOnceAMinute(t *testing.T) {
	t.Parallel()
	st := newFakeStore()
	c := newTestCore(t, st)
	cookie := signedIn(c, st, store.User{ID: "u1", AccountEnabled: true}, []string{"pwd"})
	sess := st.sessions[c.sessionID(cookie)]
	sess.LastSeenAt = testNow.Add(-30 * time.Second)
	st.sessions[sess.ID] = sess
	_, _, ok, err := c.currentSession(beginRequest(c, cookie), testTenant)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Zero(t, st.touched, "seen 30 s ago: not written again")
	sess.LastSeenAt = testNow.Add(-2 * time.Minute)
	st.sessions[sess.ID] = sess
	_, _, _, err = c.currentSession(beginRequest(c, cookie), testTenant)
	require.NoError(t, err)
	assert.Equal(t, 1, st.touched)
}

func TestNewCoreReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := NewCore(CoreConfig{})
	require.Error(t, err)
	for _, want := range []string{"ExternalURL", "Store", "Hasher", "LoginLifetime", "Logger"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = NewLogin(LoginConfig{})
	require.Error(t, err)
	for _, want := range []string{"Core", "Passwords", "Passcodes"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = NewUpstream(UpstreamConfig{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Core, Federation and Upstreams")
	_, err = NewSecondFactor(SecondFactorConfig{})
	require.Error(t, err)
	for _, want := range []string{"Core", "MFA", "Landings"} {
		assert.Contains(t, err.Error(), want)
	}
}

func cookieNamed(cookies []*http.Cookie, name string) *http.Cookie {
	for _, c := range cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
