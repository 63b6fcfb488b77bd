package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func deviceCases() []testCase {
	return []testCase{
		{"CreateGet", deviceCreateGet},
		{"PendingOnlyWhilePendingAndLive", devicePendingOnly},
		{"DecideOnce", deviceDecideOnce},
		{"RecordPollIsConditional", deviceRecordPoll},
		{"ConsumeOnlyApprovedOfItsClient", deviceConsume},
		{"UserCodeUniquePerTenant", deviceUserCodeUnique},
	}
}

func deviceFixture(tenantID, clientID string) store.DeviceAuthorization {
	return store.DeviceAuthorization{
		TenantID: tenantID, ID: newID(), DeviceCodeHash: "sha256:" + newID(), UserCodeHash: "sha256:" + newID(),
		ClientID: clientID, Scopes: []string{"openid", "offline_access"}, State: store.DevicePending,
		AMR: []string{}, Interval: 5 * time.Second, NextPollAt: at(0), CreatedAt: at(0), ExpiresAt: at(10 * time.Minute),
	}
}

func createDevice(t *testing.T, s store.Store, d store.DeviceAuthorization) store.DeviceAuthorization {
	t.Helper()
	require.NoError(t, s.CreateDeviceAuthorization(t.Context(), d))
	return d
}

// approved is d as an approval by userID.
func approved(d store.DeviceAuthorization, userID string) store.DeviceAuthorization {
	d.State, d.UserID, d.AuthTime, d.AMR, d.SID = store.DeviceApproved, userID, ptr(at(time.Minute)), []string{"pwd", "otp"}, "sid-1"
	return d
}

func deviceCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	d := createDevice(t, s, deviceFixture(tid, "cli"))
	got, err := s.GetDeviceAuthorizationByDeviceCode(ctx, tid, d.DeviceCodeHash)
	require.NoError(t, err)
	require.Equal(t, d, got)
	got, err = s.GetPendingDeviceAuthorization(ctx, tid, "", d.UserCodeHash, at(time.Minute))
	require.NoError(t, err)
	require.Equal(t, d, got)

	yes := approved(d, newID())
	require.NoError(t, s.DecideDeviceAuthorization(ctx, yes, at(2*time.Minute)))
	got, err = s.GetDeviceAuthorizationByDeviceCode(ctx, tid, d.DeviceCodeHash)
	require.NoError(t, err)
	require.Equal(t, yes, got)

	_, err = s.GetDeviceAuthorizationByDeviceCode(ctx, tid, "sha256:unknown")
	require.ErrorIs(t, err, store.ErrNotFound)
	other := createTenant(t, s, "fabrikam").ID
	_, err = s.GetDeviceAuthorizationByDeviceCode(ctx, other, d.DeviceCodeHash)
	require.ErrorIs(t, err, store.ErrNotFound, "another tenant's code")
}

func devicePendingOnly(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	other := createTenant(t, s, "fabrikam").ID
	d := createDevice(t, s, deviceFixture(tid, "cli"))

	_, err := s.GetPendingDeviceAuthorization(ctx, tid, d.ID, "", d.ExpiresAt.Add(-time.Microsecond))
	require.NoError(t, err, "by id, a microsecond before expiry")
	_, err = s.GetPendingDeviceAuthorization(ctx, tid, d.ID, "", d.ExpiresAt)
	require.ErrorIs(t, err, store.ErrNotFound, "expired")
	_, err = s.GetPendingDeviceAuthorization(ctx, other, "", d.UserCodeHash, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound, "another tenant")

	no := d
	no.State = store.DeviceDenied
	require.NoError(t, s.DecideDeviceAuthorization(ctx, no, at(time.Minute)))
	_, err = s.GetPendingDeviceAuthorization(ctx, tid, "", d.UserCodeHash, at(time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound, "decided")
}

func deviceDecideOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	d := createDevice(t, s, deviceFixture(tid, "cli"))
	require.NoError(t, s.DecideDeviceAuthorization(ctx, approved(d, newID()), at(time.Minute)))
	deny := d
	deny.State = store.DeviceDenied
	require.ErrorIs(t, s.DecideDeviceAuthorization(ctx, deny, at(time.Minute)), store.ErrNotFound, "decided already")

	late := createDevice(t, s, deviceFixture(tid, "cli"))
	require.ErrorIs(t, s.DecideDeviceAuthorization(ctx, approved(late, newID()), late.ExpiresAt), store.ErrNotFound, "expired")
	pending := late
	require.Error(t, s.DecideDeviceAuthorization(ctx, pending, at(time.Minute)), "pending is not a decision")
	got, err := s.GetDeviceAuthorizationByDeviceCode(ctx, tid, late.DeviceCodeHash)
	require.NoError(t, err)
	require.Equal(t, store.DevicePending, got.State)
}

func deviceRecordPoll(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	d := createDevice(t, s, deviceFixture(tid, "cli"))
	ok, err := s.RecordDevicePoll(ctx, tid, d.ID, d.NextPollAt, 10*time.Second, at(10*time.Second))
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = s.RecordDevicePoll(ctx, tid, d.ID, d.NextPollAt, 15*time.Second, at(15*time.Second))
	require.NoError(t, err)
	require.False(t, ok, "another poll moved the next poll time first")
	got, err := s.GetDeviceAuthorizationByDeviceCode(ctx, tid, d.DeviceCodeHash)
	require.NoError(t, err)
	require.Equal(t, 10*time.Second, got.Interval)
	require.Equal(t, at(10*time.Second), got.NextPollAt)
}

func deviceConsume(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	d := createDevice(t, s, deviceFixture(tid, "cli"))
	_, err := s.ConsumeDeviceAuthorization(ctx, tid, d.DeviceCodeHash, "cli")
	require.ErrorIs(t, err, store.ErrNotFound, "pending")
	yes := approved(d, newID())
	require.NoError(t, s.DecideDeviceAuthorization(ctx, yes, at(time.Minute)))
	_, err = s.ConsumeDeviceAuthorization(ctx, tid, d.DeviceCodeHash, "other-cli")
	require.ErrorIs(t, err, store.ErrNotFound, "another client")
	got, err := s.ConsumeDeviceAuthorization(ctx, tid, d.DeviceCodeHash, "cli")
	require.NoError(t, err)
	yes.State = store.DeviceConsumed
	require.Equal(t, yes, got)
	_, err = s.ConsumeDeviceAuthorization(ctx, tid, d.DeviceCodeHash, "cli")
	require.ErrorIs(t, err, store.ErrNotFound, "spent")
}

func deviceUserCodeUnique(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	d := createDevice(t, s, deviceFixture(tid, "cli"))
	dup := deviceFixture(tid, "cli")
	dup.UserCodeHash = d.UserCodeHash
	require.ErrorIs(t, s.CreateDeviceAuthorization(ctx, dup), store.ErrConflict)
	other := deviceFixture(createTenant(t, s, "fabrikam").ID, "cli")
	other.UserCodeHash = d.UserCodeHash
	require.NoError(t, s.CreateDeviceAuthorization(ctx, other), "another tenant may hold the same hash")
}

// concurrentDeviceConsume: of clients redeeming one approval at once,
// exactly one gets it.
func concurrentDeviceConsume(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	d := createDevice(t, s, deviceFixture(tid, "cli"))
	require.NoError(t, s.DecideDeviceAuthorization(ctx, approved(d, newID()), at(time.Minute)))
	errs := race(8, func(int) error {
		_, err := s.ConsumeDeviceAuthorization(ctx, tid, d.DeviceCodeHash, "cli")
		return err
	})
	requireOneWinner(t, errs, store.ErrNotFound)
}

// concurrentDeviceDecide: of an approval and a denial at once, one wins.
func concurrentDeviceDecide(t *testing.T, s store.Store) {
	ctx := t.Context()
	tid := createTenant(t, s, "contoso").ID
	d := createDevice(t, s, deviceFixture(tid, "cli"))
	errs := race(2, func(i int) error {
		decision := approved(d, newID())
		if i == 1 {
			decision = d
			decision.State = store.DeviceDenied
		}
		return s.DecideDeviceAuthorization(ctx, decision, at(time.Minute))
	})
	requireOneWinner(t, errs, store.ErrNotFound)
	got, err := s.GetDeviceAuthorizationByDeviceCode(ctx, tid, d.DeviceCodeHash)
	require.NoError(t, err)
	require.Equal(t, map[bool]string{true: store.DeviceApproved, false: store.DeviceDenied}[errors.Is(errs[1], store.ErrNotFound)], got.State)
}
