package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/config"
)

// TestREADMEDocumentsEverySetting keeps the configuration reference true.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, s := range config.Settings() {
		require.Contains(t, string(readme), "`"+s.Env+"`")
		require.Contains(t, string(readme), "`"+s.Key+"`")
		if s.Flag != "" {
			require.Contains(t, string(readme), "`--"+s.Flag+"`")
		}
	}
}
