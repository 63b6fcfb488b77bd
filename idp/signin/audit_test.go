package signin

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/store"
)

func TestSignInsAreCountedByMethod(t *testing.T) {
	t.Parallel()
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "signins"}, []string{"tenant", "result", "method"})
	c := &Core{signIns: vec}
	tenant := store.Tenant{Slug: "woodgrove"}
	c.countSignIn(tenant, resultSuccess, []string{MethodEmailOTP, MethodRecoveryCode})
	c.countSignIn(tenant, resultSuccess, []string{MethodFederated, MethodTOTP})
	c.countSignIn(tenant, resultFailure, []string{MethodPassword})
	c.countSignIn(tenant, resultFailure, nil)
	for method, result := range map[string]string{
		"email_otp+recovery_code": resultSuccess, "federated+totp": resultSuccess, "password": resultFailure, "none": resultFailure,
	} {
		require.Equal(t, 1.0, testutil.ToFloat64(vec.WithLabelValues("woodgrove", result, method)), method)
	}
	require.Equal(t, 4, testutil.CollectAndCount(vec))
}
