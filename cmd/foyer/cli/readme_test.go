package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/config"
)

// TestREADMEDocumentsEverySetting keeps the configuration reference true.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	for _, s := range config.Settings() {
		require.Contains(t, string(readme), "`"+s.Env+"`")
		require.Contains(t, string(readme), "`"+s.Key+"`")
		if s.Flag != "" {
			require.Contains(t, string(readme), "`--"+s.Flag+"`")
		}
	}
}

// quickStartSection answers the README's "## Quick start" section.
func quickStartSection(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(readme), "\n## Quick start\n")
	require.True(t, ok, "the README has a quick start")
	section, _, _ := strings.Cut(rest, "\n## ")
	return section
}

var quickStartLine = regexp.MustCompile("go run ./cmd/foyer ([^`\n]+)")

// quickStartCommands answers the foyer commands of the quick start as
// arguments, in order, with its external URL replaced by base: the
// commands a newcomer types, word for word.
func quickStartCommands(t *testing.T, base string) [][]string {
	t.Helper()
	var out [][]string
	for _, m := range quickStartLine.FindAllStringSubmatch(quickStartSection(t), -1) {
		line := strings.ReplaceAll(strings.TrimSpace(m[1]), "http://localhost:8080", base)
		require.NotContains(t, line, "'", "quick start commands need no quoting: %s", line)
		out = append(out, strings.Fields(line))
	}
	return out
}

// quickStartCommand answers the one quick start command containing word.
func quickStartCommand(t *testing.T, base, word string) []string {
	t.Helper()
	var found [][]string
	for _, c := range quickStartCommands(t, base) {
		if strings.Contains(strings.Join(c, " "), word) {
			found = append(found, c)
		}
	}
	require.Len(t, found, 1, "one quick start command with %q", word)
	return found[0]
}

// TestREADMEQuickStart: the quick start is the README's first section, and
// every command in it is one the walkthrough tests run word for word
// (TestREADMEGuestWalkthrough, TestREADMEPartnerWalkthrough) or serve
// --dev, which they start.
func TestREADMEQuickStart(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	first := regexp.MustCompile(`(?m)^## .*$`).FindString(string(readme))
	require.Equal(t, "## Quick start", first, "the quick start comes first")

	cmds := quickStartCommands(t, "http://127.0.0.1:1")
	var lines []string
	for _, c := range cmds {
		lines = append(lines, strings.Join(c, " "))
	}
	require.Equal(t, []string{
		"serve --dev",
		"invite --tenant woodgrove --email sam@fabrikam.test --redirect-url http://127.0.0.1:1/demo",
		"invite --tenant woodgrove --email gsamoogle@gmail.com --redirect-url http://127.0.0.1:1/demo",
		"audit list --tenant woodgrove",
	}, lines, "keep the walkthrough tests in step with these")
	section := quickStartSection(t)
	for _, want := range []string{"http://localhost:8080/demo", "http://localhost:8080/dev/mail",
		"admin@woodgrove.test", "foyer-dev", "Sign in with your Fabrikam account", "Send a code to my email"} {
		require.Contains(t, section, want)
	}
	require.LessOrEqual(t, strings.Count(section, "\n"), 40, "a quick start stays short")
}
