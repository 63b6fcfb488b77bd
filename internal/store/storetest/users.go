package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func userCases() []testCase {
	return []testCase{
		{"CreateGet", userCreateGet},
		{"CreateInUnknownTenant", userCreateInUnknownTenant},
		{"GetUnknown", userGetUnknown},
		{"GetCore", userGetCore},
		{"GetByEmail", userGetByEmail},
		{"GetByIdentity", userGetByIdentity},
		{"CreateConflicts", userCreateConflicts},
		{"EmptyMailIsNotUnique", userEmptyMailIsNotUnique},
		{"Update", userUpdate},
		{"MailVerified", userMailVerified},
		{"UpdateUnknown", userUpdateUnknown},
		{"UpdateConflict", userUpdateConflict},
		{"SetPasswordHash", userSetPasswordHash},
		{"ForceChangePassword", userForceChangePassword},
		{"ChangePasswordHash", userChangePasswordHash},
		{"Delete", userDelete},
		{"ListFilters", userListFilters},
		{"ListPaging", userListPaging},
	}
}

func userCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	member := createUser(t, s, memberFixture(tn.ID, "alex"))
	guest := createUser(t, s, guestFixture(tn.ID, "bo"))
	bare := memberFixture(tn.ID, "cy")
	bare.Identities = nil
	bare = createUser(t, s, bare)

	for _, want := range []store.User{member, guest, bare} {
		got, err := s.GetUser(ctx, tn.ID, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

// userGetCore reads the user's own row, every field but the identities,
// in its tenant only.
func userGetCore(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	other := createTenant(t, s, "fabrikam")
	disabled := guestFixture(tn.ID, "bo")
	disabled.AccountEnabled = false
	validFrom := at(time.Hour)
	disabled.SignInSessionsValidFrom = &validFrom
	for _, want := range []store.User{createUser(t, s, memberFixture(tn.ID, "alex")), createUser(t, s, disabled)} {
		got, err := s.GetUserCore(ctx, tn.ID, want.ID)
		require.NoError(t, err)
		require.Nil(t, got.Identities)
		want.Identities = nil
		require.Equal(t, want, got)
		_, err = s.GetUserCore(ctx, other.ID, want.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "another tenant's user")
	}
	_, err := s.GetUserCore(ctx, tn.ID, newID())
	require.ErrorIs(t, err, store.ErrNotFound)
}

func userCreateInUnknownTenant(t *testing.T, s store.Store) {
	err := s.CreateUser(t.Context(), memberFixture(newID(), "alex"))
	require.ErrorIs(t, err, store.ErrNotFound)
}

func userGetUnknown(t *testing.T, s store.Store) {
	tn := createTenant(t, s, "contoso")
	_, err := s.GetUser(t.Context(), tn.ID, newID())
	require.ErrorIs(t, err, store.ErrNotFound)
}

func userGetByEmail(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	guest := createUser(t, s, guestFixture(tn.ID, "bo"))
	noMail := memberFixture(tn.ID, "cy")
	noMail.Mail = ""
	noMail = createUser(t, s, noMail)

	found := map[string]store.User{
		"mail":           guest,
		"upn":            guest,
		"mail any case":  guest,
		"upn of no-mail": noMail,
	}
	emails := map[string]string{
		"mail":           guest.Mail,
		"upn":            guest.UserPrincipalName,
		"mail any case":  strings.ToUpper(guest.Mail),
		"upn of no-mail": noMail.UserPrincipalName,
	}
	for name, email := range emails {
		got, err := s.GetUserByEmail(ctx, tn.ID, email)
		require.NoError(t, err, name)
		require.Equal(t, found[name], got, name)
	}
	for _, email := range []string{"", "nobody@contoso.example"} {
		_, err := s.GetUserByEmail(ctx, tn.ID, email)
		require.ErrorIs(t, err, store.ErrNotFound, "email %q", email)
	}
}

func userGetByIdentity(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	guest := createUser(t, s, guestFixture(tn.ID, "bo"))
	createUser(t, s, guestFixture(tn.ID, "di"))

	for _, id := range guest.Identities {
		got, err := s.GetUserByIdentity(ctx, tn.ID, id.Issuer, id.IssuerAssignedID)
		require.NoError(t, err)
		require.Equal(t, guest, got)
	}
	fed := guest.Identities[0]
	_, err := s.GetUserByIdentity(ctx, tn.ID, fed.Issuer, "sub-nobody")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetUserByIdentity(ctx, tn.ID, "https://other.example", fed.IssuerAssignedID)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func userCreateConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	taken := createUser(t, s, guestFixture(tn.ID, "bo"))

	cases := map[string]func(u *store.User){
		"same id":             func(u *store.User) { u.ID = taken.ID },
		"same upn any case":   func(u *store.User) { u.UserPrincipalName = strings.ToUpper(taken.UserPrincipalName) },
		"same mail":           func(u *store.User) { u.Mail = taken.Mail },
		"same identity":       func(u *store.User) { u.Identities = append(u.Identities, taken.Identities[0]) },
		"identity twice in u": func(u *store.User) { u.Identities = append(u.Identities, u.Identities[0]) },
	}
	for name, change := range cases {
		u := guestFixture(tn.ID, "zed")
		change(&u)
		require.ErrorIs(t, s.CreateUser(ctx, u), store.ErrConflict, name)
		if u.ID != taken.ID {
			// Nothing of a failed create stays behind.
			_, err := s.GetUser(ctx, tn.ID, u.ID)
			require.ErrorIs(t, err, store.ErrNotFound, name)
		}
	}
	got, err := s.GetUser(ctx, tn.ID, taken.ID)
	require.NoError(t, err)
	require.Equal(t, taken, got)
}

func userEmptyMailIsNotUnique(t *testing.T, s store.Store) {
	tn := createTenant(t, s, "contoso")
	for _, name := range []string{"alex", "bo"} {
		u := memberFixture(tn.ID, name)
		u.Mail = ""
		createUser(t, s, u)
	}
}

func userUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	guest := createUser(t, s, guestFixture(tn.ID, "bo"))

	changed := guest
	changed.DisplayName = "Bo Renamed"
	changed.GivenName = "Bo"
	changed.Surname = "Renamed"
	changed.Mail = "bo@northwind.example"
	changed.UserPrincipalName = "bo_northwind.example#EXT#@contoso.example"
	changed.ExternalUserState = store.ExternalStateAccepted
	changed.ExternalUserStateChangedAt = ptr(at(time.Hour))
	changed.AccountEnabled = false
	changed.SignInSessionsValidFrom = ptr(at(time.Hour + time.Second))
	changed.Identities = []store.Identity{
		{SignInType: store.SignInTypeFederated, Issuer: "https://login.northwind.example", IssuerAssignedID: "nw-1"},
	}
	changed.UpdatedAt = at(time.Hour)
	changed.PasswordHash = "ignored"
	changed.CreatedAt = at(48 * time.Hour)
	require.NoError(t, s.UpdateUser(ctx, changed))

	want := changed
	want.PasswordHash = guest.PasswordHash
	want.CreatedAt = guest.CreatedAt
	got, err := s.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)

	// The old identities are gone; the new one finds the user.
	_, err = s.GetUserByIdentity(ctx, tn.ID, guest.Identities[0].Issuer, guest.Identities[0].IssuerAssignedID)
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err = s.GetUserByIdentity(ctx, tn.ID, "https://login.northwind.example", "nw-1")
	require.NoError(t, err)
	require.Equal(t, want, got)

	// SignInSessionsValidFrom is kept, and cleared, like the profile.
	listed, err := s.ListUsers(ctx, tn.ID, store.UserFilter{})
	require.NoError(t, err)
	require.Equal(t, []store.User{want}, listed)
	changed.SignInSessionsValidFrom = nil
	require.NoError(t, s.UpdateUser(ctx, changed))
	got, err = s.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.Nil(t, got.SignInSessionsValidFrom)
}

// userMailVerified: the flag is stored on create, replaced on update and
// read back by every lookup, for members and guests alike.
func userMailVerified(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	g := guestFixture(tn.ID, "bo")
	g.MailVerified = true
	guest := createUser(t, s, g)
	member := createUser(t, s, memberFixture(tn.ID, "alex"))

	got, err := s.GetUser(ctx, tn.ID, guest.ID)
	require.NoError(t, err)
	require.True(t, got.MailVerified, "stored on create")
	got, err = s.GetUserByEmail(ctx, tn.ID, guest.Mail)
	require.NoError(t, err)
	require.True(t, got.MailVerified)
	got, err = s.GetUser(ctx, tn.ID, member.ID)
	require.NoError(t, err)
	require.False(t, got.MailVerified, "false unless set")

	guest.MailVerified = false
	require.NoError(t, s.UpdateUser(ctx, guest))
	got, err = s.GetUserByIdentity(ctx, tn.ID, guest.Identities[0].Issuer, guest.Identities[0].IssuerAssignedID)
	require.NoError(t, err)
	require.False(t, got.MailVerified, "cleared on update")

	member.MailVerified = true
	require.NoError(t, s.UpdateUser(ctx, member))
	list, err := s.ListUsers(ctx, tn.ID, store.UserFilter{UserType: store.UserTypeMember})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.True(t, list[0].MailVerified, "set on update, seen by list")
}

func userUpdateUnknown(t *testing.T, s store.Store) {
	tn := createTenant(t, s, "contoso")
	require.ErrorIs(t, s.UpdateUser(t.Context(), memberFixture(tn.ID, "ghost")), store.ErrNotFound)
}

func userUpdateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	alex := createUser(t, s, memberFixture(tn.ID, "alex"))
	bo := createUser(t, s, guestFixture(tn.ID, "bo"))

	changed := bo
	changed.UserPrincipalName = alex.UserPrincipalName
	require.ErrorIs(t, s.UpdateUser(ctx, changed), store.ErrConflict)

	changed = bo
	changed.Identities = alex.Identities
	require.ErrorIs(t, s.UpdateUser(ctx, changed), store.ErrConflict)

	got, err := s.GetUser(ctx, tn.ID, bo.ID)
	require.NoError(t, err)
	require.Equal(t, bo, got, "a failed update changes nothing")
}

func userSetPasswordHash(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	alex := createUser(t, s, memberFixture(tn.ID, "alex"))

	require.NoError(t, s.SetPasswordHash(ctx, tn.ID, alex.ID, "$argon2id$new", at(time.Hour)))
	want := alex
	want.PasswordHash = "$argon2id$new"
	want.UpdatedAt = at(time.Hour)
	got, err := s.GetUser(ctx, tn.ID, alex.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)

	require.ErrorIs(t, s.SetPasswordHash(ctx, tn.ID, newID(), "x", at(0)), store.ErrNotFound)
}

// userForceChangePassword: the flag is stored on create, replaced on
// update, read back by every lookup, and left alone by an admin's
// SetPasswordHash.
func userForceChangePassword(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	a := memberFixture(tn.ID, "alex")
	a.ForceChangePassword = true
	alex := createUser(t, s, a)
	bo := createUser(t, s, memberFixture(tn.ID, "bo"))

	got, err := s.GetUserByEmail(ctx, tn.ID, alex.Mail)
	require.NoError(t, err)
	require.True(t, got.ForceChangePassword, "stored on create")
	got, err = s.GetUserCore(ctx, tn.ID, bo.ID)
	require.NoError(t, err)
	require.False(t, got.ForceChangePassword, "false unless set")

	require.NoError(t, s.SetPasswordHash(ctx, tn.ID, alex.ID, "$argon2id$reset", at(time.Hour)))
	got, err = s.GetUserCore(ctx, tn.ID, alex.ID)
	require.NoError(t, err)
	require.True(t, got.ForceChangePassword, "a reset keeps the flag")

	bo.ForceChangePassword = true
	require.NoError(t, s.UpdateUser(ctx, bo))
	alex.ForceChangePassword = false
	alex.PasswordHash = "$argon2id$reset"
	require.NoError(t, s.UpdateUser(ctx, alex))
	list, err := s.ListUsers(ctx, tn.ID, store.UserFilter{})
	require.NoError(t, err)
	require.Len(t, list, 2)
	for _, u := range list {
		require.Equal(t, u.ID == bo.ID, u.ForceChangePassword, "set and cleared on update, seen by list: %s", u.DisplayName)
	}
}

// userChangePasswordHash replaces the hash and clears the flag only while
// the hash is still the one the caller saw; otherwise nothing changes.
func userChangePasswordHash(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	other := createTenant(t, s, "fabrikam")
	a := memberFixture(tn.ID, "alex")
	a.ForceChangePassword = true
	alex := createUser(t, s, a)

	require.ErrorIs(t, s.ChangePasswordHash(ctx, tn.ID, alex.ID, "$argon2id$stale", "$argon2id$new", at(time.Hour)),
		store.ErrConflict, "the hash moved on")
	require.ErrorIs(t, s.ChangePasswordHash(ctx, other.ID, alex.ID, alex.PasswordHash, "$argon2id$new", at(time.Hour)),
		store.ErrNotFound, "another tenant's user")
	require.ErrorIs(t, s.ChangePasswordHash(ctx, tn.ID, newID(), alex.PasswordHash, "$argon2id$new", at(time.Hour)),
		store.ErrNotFound)
	got, err := s.GetUser(ctx, tn.ID, alex.ID)
	require.NoError(t, err)
	require.Equal(t, alex, got, "a refused change changes nothing")

	require.NoError(t, s.ChangePasswordHash(ctx, tn.ID, alex.ID, alex.PasswordHash, "$argon2id$new", at(time.Hour)))
	want := alex
	want.PasswordHash, want.ForceChangePassword, want.UpdatedAt = "$argon2id$new", false, at(time.Hour)
	got, err = s.GetUser(ctx, tn.ID, alex.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)

	require.ErrorIs(t, s.ChangePasswordHash(ctx, tn.ID, alex.ID, alex.PasswordHash, "$argon2id$again", at(2*time.Hour)),
		store.ErrConflict, "the same old hash cannot win twice")
}

func userDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	bo := createUser(t, s, guestFixture(tn.ID, "bo"))
	alex := createUser(t, s, memberFixture(tn.ID, "alex"))

	require.NoError(t, s.DeleteUser(ctx, tn.ID, bo.ID))
	_, err := s.GetUser(ctx, tn.ID, bo.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.DeleteUser(ctx, tn.ID, bo.ID), store.ErrNotFound)
	_, err = s.GetUserByIdentity(ctx, tn.ID, bo.Identities[0].Issuer, bo.Identities[0].IssuerAssignedID)
	require.ErrorIs(t, err, store.ErrNotFound)

	users, err := s.ListUsers(ctx, tn.ID, store.UserFilter{})
	require.NoError(t, err)
	require.Equal(t, []store.User{alex}, users)

	// Its UPN, mail and identities are free again.
	require.NoError(t, s.CreateUser(ctx, guestFixture(tn.ID, "bo")))
}

func userListFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	member := createUser(t, s, memberFixture(tn.ID, "alex"))
	pending := createUser(t, s, guestFixture(tn.ID, "bo"))
	accepted := guestFixture(tn.ID, "cy")
	accepted.ExternalUserState = store.ExternalStateAccepted
	accepted = createUser(t, s, accepted)

	cases := []struct {
		name   string
		filter store.UserFilter
		want   []store.User
	}{
		{"everyone", store.UserFilter{}, []store.User{member, pending, accepted}},
		{"members", store.UserFilter{UserType: store.UserTypeMember}, []store.User{member}},
		{"guests", store.UserFilter{UserType: store.UserTypeGuest}, []store.User{pending, accepted}},
		{"pending guests", store.UserFilter{UserType: store.UserTypeGuest, ExternalUserState: store.ExternalStatePending}, []store.User{pending}},
		{"accepted", store.UserFilter{ExternalUserState: store.ExternalStateAccepted}, []store.User{accepted}},
	}
	for _, c := range cases {
		got, err := s.ListUsers(ctx, tn.ID, c.filter)
		require.NoError(t, err, c.name)
		require.Equal(t, sortedByID(c.want), got, c.name)
	}
}

// userListPaging pages through users that each have two identities, so a
// LIMIT applied to joined rows instead of users would show.
func userListPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, "contoso")
	var all []store.User
	for i := range 7 {
		all = append(all, createUser(t, s, guestFixture(tn.ID, "guest"+string(rune('a'+i)))))
	}
	all = sortedByID(all)

	var paged []store.User
	filter := store.UserFilter{UserType: store.UserTypeGuest, Limit: 3}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 4, "paging does not end")
		page, err := s.ListUsers(ctx, tn.ID, filter)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 3)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		filter.AfterID = page[len(page)-1].ID
	}
	require.Equal(t, all, paged)
}

func sortedByID(users []store.User) []store.User {
	out := slices.Clone(users)
	slices.SortFunc(out, func(a, b store.User) int { return strings.Compare(a.ID, b.ID) })
	return out
}
