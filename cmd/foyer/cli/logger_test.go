package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/testlog"
)

// The process logger looks up no source position: that is a stack walk
// per line, and the access log writes a line per request.
func TestLoggerRecordsNoSource(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"json", "text"} {
		buf := &testlog.Buffer{}
		newLogger(config.Config{Log: config.Log{Level: "info", Format: format}}, buf).Info("hello", "k", "v")
		require.Contains(t, buf.String(), "hello", format)
		require.NotContains(t, buf.String(), "source", format)
		if format == "json" {
			var line map[string]any
			require.NoError(t, json.Unmarshal([]byte(buf.String()), &line))
			require.NotContains(t, line, "source")
		}
	}
}
