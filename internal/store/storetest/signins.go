package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func signInCases() []testCase {
	return []testCase{
		{"AppendAndFilter", signInAppendAndFilter},
		{"FailKeepsOneRow", signInFailKeepsOneRow},
		{"Activity", signInActivity},
	}
}

func signInFixture(tenantID, userID string, when time.Duration) store.SignIn {
	return store.SignIn{
		ID: newID(), TenantID: tenantID, CreatedAt: at(when),
		UserID: userID, UserDisplayName: "Sam", UserPrincipalName: "sam@contoso.example", UserType: store.UserTypeMember,
		AppID: "portal", AppDisplayName: "Portal", IPAddress: "203.0.113.7", UserAgent: "storetest",
		CorrelationID: newID(), AuthenticationRequirement: store.SingleFactor,
		AuthenticationMethods: []string{"Password"},
	}
}

func appendSignIn(t *testing.T, s store.Store, si store.SignIn) store.SignIn {
	t.Helper()
	require.NoError(t, s.AppendSignIn(t.Context(), si))
	return si
}

func signInAppendAndFilter(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	member := appendSignIn(t, s, signInFixture(tid, "u1", 0))
	guest := signInFixture(tid, "u2", time.Minute)
	guest.UserType, guest.HomeTenantID = store.UserTypeGuest, "partner-tenant"
	guest.AuthenticationRequirement = store.MultiFactor
	guest.AuthenticationMethods = []string{"Federated", "TOTP"}
	guest.AppID = "crm"
	guest = appendSignIn(t, s, guest)
	failed := signInFixture(tid, "", 2*time.Minute)
	failed.UserPrincipalName, failed.ErrorCode, failed.FailureReason = "nobody@contoso.example", 50126, "Invalid username or password."
	failed.AuthenticationMethods = nil
	failed = appendSignIn(t, s, failed)
	failed.AuthenticationMethods = []string{} // stored as an empty list
	appendSignIn(t, s, signInFixture(newID(), "u1", 3*time.Minute))

	code, zero := 50126, 0
	cases := []struct {
		name   string
		filter store.SignInFilter
		want   []store.SignIn
	}{
		{"tenant", store.SignInFilter{TenantID: tid}, []store.SignIn{failed, guest, member}},
		{"user", store.SignInFilter{TenantID: tid, UserID: "u1"}, []store.SignIn{member}},
		{"app", store.SignInFilter{TenantID: tid, AppID: "crm"}, []store.SignIn{guest}},
		{"user type", store.SignInFilter{TenantID: tid, UserType: store.UserTypeGuest}, []store.SignIn{guest}},
		{"error code", store.SignInFilter{TenantID: tid, ErrorCode: &code}, []store.SignIn{failed}},
		{"success", store.SignInFilter{TenantID: tid, ErrorCode: &zero}, []store.SignIn{guest, member}},
		{"range", store.SignInFilter{TenantID: tid, Since: at(time.Minute), Until: at(2 * time.Minute)}, []store.SignIn{failed, guest}},
		{"cursor", store.SignInFilter{TenantID: tid, Before: store.LogCursor{At: guest.CreatedAt, ID: guest.ID}}, []store.SignIn{member}},
		{"limit", store.SignInFilter{TenantID: tid, Limit: 1}, []store.SignIn{failed}},
		{"nothing", store.SignInFilter{TenantID: tid, UserID: "u9"}, nil},
	}
	for _, c := range cases {
		got, err := s.ListSignIns(ctx, c.filter)
		require.NoError(t, err, c.name)
		if c.want == nil {
			require.Empty(t, got, c.name)
			continue
		}
		require.Equal(t, c.want, got, c.name)
	}
	require.ErrorIs(t, s.AppendSignIn(ctx, member), store.ErrConflict, "append-only: an id is never overwritten")
}

// signInFailKeepsOneRow: a refusal at the end of a transaction rewrites
// the attempt's row; without one it appends; another tenant's row with
// the same key is untouched.
func signInFailKeepsOneRow(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	other := createTenant(t, s, "fabrikam").ID
	ok := signInFixture(tid, "u1", 0)
	ok.AttemptKey = "tx-1"
	ok = appendSignIn(t, s, ok)
	theirs := signInFixture(other, "u1", 0)
	theirs.AttemptKey = "tx-1"
	theirs = appendSignIn(t, s, theirs)

	denied := signInFixture(tid, "u1", time.Minute)
	denied.AttemptKey, denied.ErrorCode, denied.FailureReason = "tx-1", 50105, "not assigned"
	require.NoError(t, s.FailSignIn(ctx, denied))
	got, err := s.ListSignIns(ctx, store.SignInFilter{TenantID: tid})
	require.NoError(t, err)
	want := ok
	want.ErrorCode, want.FailureReason = 50105, "not assigned"
	require.Equal(t, []store.SignIn{want}, got)

	fresh := signInFixture(tid, "u1", 2*time.Minute)
	fresh.AttemptKey, fresh.ErrorCode, fresh.FailureReason = "tx-2", 50105, "not assigned"
	require.NoError(t, s.FailSignIn(ctx, fresh))
	got, err = s.ListSignIns(ctx, store.SignInFilter{TenantID: tid})
	require.NoError(t, err)
	require.Equal(t, []store.SignIn{fresh, want}, got)

	got, err = s.ListSignIns(ctx, store.SignInFilter{TenantID: other})
	require.NoError(t, err)
	require.Equal(t, []store.SignIn{theirs}, got)
	dup := signInFixture(tid, "u1", 0)
	dup.AttemptKey = "tx-1"
	require.ErrorIs(t, s.AppendSignIn(ctx, dup), store.ErrConflict, "an attempt key is unique in its tenant")
}

// signInActivity: the latest attempt and the latest success per user,
// from the log; the users filter by the latest attempt, never matching
// one who never tried.
func signInActivity(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	active := createUser(t, s, guestFixture(tid, "active"))
	failing := createUser(t, s, guestFixture(tid, "failing"))
	never := createUser(t, s, guestFixture(tid, "never"))
	appendSignIn(t, s, signInFixture(tid, active.ID, 0))
	appendSignIn(t, s, signInFixture(tid, active.ID, time.Hour))
	wrong := signInFixture(tid, failing.ID, 2*time.Hour)
	wrong.ErrorCode = 50126
	appendSignIn(t, s, wrong)
	appendSignIn(t, s, signInFixture(newID(), never.ID, 3*time.Hour)) // another tenant's row

	got, err := s.SignInActivity(ctx, tid, []string{active.ID, failing.ID, never.ID})
	require.NoError(t, err)
	require.Equal(t, map[string]store.SignInActivity{
		active.ID:  {LastSignIn: ptr(at(time.Hour)), LastSuccessfulSignIn: ptr(at(time.Hour))},
		failing.ID: {LastSignIn: ptr(at(2 * time.Hour))},
	}, got)
	empty, err := s.SignInActivity(ctx, tid, nil)
	require.NoError(t, err)
	require.Empty(t, empty)

	ids := func(f store.UserFilter) []string {
		users, err := s.ListUsers(ctx, tid, f)
		require.NoError(t, err)
		var out []string
		for _, u := range users {
			out = append(out, u.ID)
		}
		return out
	}
	require.Equal(t, []string{active.ID}, ids(store.UserFilter{LastSignInUntil: at(time.Hour)}))
	require.Equal(t, []string{failing.ID}, ids(store.UserFilter{LastSignInFrom: at(time.Hour + time.Second)}))
	require.ElementsMatch(t, []string{active.ID, failing.ID}, ids(store.UserFilter{LastSignInFrom: at(0), LastSignInUntil: at(3 * time.Hour)}))
}
