package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMetricsAddr(t *testing.T) {
	for _, tc := range []struct {
		addr, want string
	}{
		{addr: ""},
		{addr: ":9090"},
		{addr: "9090", want: "metricsAddr"},
		{addr: ":8080", want: "give /metrics a port of its own"},
	} {
		c := Default()
		c.fillDerived()
		c.MetricsAddr = tc.addr
		err := c.Validate()
		if tc.want == "" {
			require.NoError(t, err, tc.addr)
			continue
		}
		require.ErrorContains(t, err, tc.want, tc.addr)
	}
	c, err := Load(Sources{LookupEnv: func(k string) (string, bool) {
		return map[string]string{"FOYER_METRICS_ADDR": "127.0.0.1:9100"}[k], k == "FOYER_METRICS_ADDR"
	}})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9100", c.MetricsAddr)
}
