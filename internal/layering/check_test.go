package layering

import (
	"slices"
	"strings"
	"testing"
)

// The checker on a made-up graph: a domain package, its store, a mail
// package and a test helper.
const syntheticDoc = "# Architecture\n\n" +
	"| package | owns |\n|---|---|\n" +
	"| `internal/directory` | who exists |\n| `internal/mail` | email |\n" +
	"| `internal/store` | the contract |\n| `internal/testclock` | a clock |\n\n" +
	"```arrows\n" +
	"internal/directory → internal/store,\n" +
	"internal/directory → internal/mail\n" +
	"internal/mail → internal/store\n" +
	"internal/store →\n" +
	"internal/testclock →\n" +
	"```\n\n" +
	"```go\nnot → parsed\n```\n\n" +
	"```test-arrows\n" +
	"* → internal/testclock\n" +
	"internal/mail → internal/directory\n" +
	"```\n"

func syntheticGraph() []pkg {
	return []pkg{
		{Path: "internal/directory", Imports: []string{"context", module + "/internal/store", module + "/internal/mail"},
			TestImports: []string{module + "/internal/directory", module + "/internal/testclock"}},
		{Path: "internal/mail", Imports: []string{module + "/internal/store"},
			TestImports: []string{module + "/internal/directory"}},
		{Path: "internal/store", Imports: []string{"errors"}},
		{Path: "internal/testclock", Imports: []string{"sync"}},
	}
}

func parseSynthetic(t *testing.T) allowList {
	t.Helper()
	a, err := parseAllowList(strings.NewReader(syntheticDoc))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestParseAllowList(t *testing.T) {
	t.Parallel()
	a := parseSynthetic(t)
	if got := a.arrows["internal/directory"]; !slices.Equal(got, []string{"internal/store", "internal/mail"}) {
		t.Errorf("internal/directory's arrows = %q, want both lines merged", got)
	}
	if got, ok := a.arrows["internal/store"]; !ok || len(got) != 0 {
		t.Errorf("internal/store → (nothing) = %q, %v; want listed and empty", got, ok)
	}
	if _, ok := a.arrows["not"]; ok {
		t.Error("a line of another fenced block was read as an arrow")
	}
	if !a.described["internal/mail"] || a.described["package"] || len(a.described) != 4 {
		t.Errorf("described = %v, want the four rows", a.described)
	}
	if got := a.testArrows["*"]; !slices.Equal(got, []string{"internal/testclock"}) {
		t.Errorf("test helpers = %q", got)
	}
	for _, bad := range []string{
		"```arrows\nidp imports idp/signin\n```\n",
		"```arrows\n→ internal/store\n```\n",
		"```arrows\nidp, idp/signin → internal/store\n```\n",
		"# no block at all\n",
	} {
		if _, err := parseAllowList(strings.NewReader(bad)); err == nil {
			t.Errorf("parseAllowList(%q) accepted it", bad)
		}
	}
}

func TestCheckAcceptsTheDrawnGraph(t *testing.T) {
	t.Parallel()
	if problems := check(syntheticGraph(), parseSynthetic(t)); len(problems) > 0 {
		t.Errorf("problems in a graph that matches its document: %q", problems)
	}
}

// Each way of breaking the fence, and the message that says what to change.
func TestCheckRefusesWhatIsNotDrawn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		edit  func([]pkg) []pkg
		wants []string
	}{{
		// The hole of the old rank test: two packages of one rank.
		name: "an arrow between two domain packages",
		edit: func(g []pkg) []pkg {
			g[1].Imports = append(g[1].Imports, module+"/internal/directory")
			return g
		},
		wants: []string{`internal/mail imports internal/directory, an arrow ARCHITECTURE.md does not draw: add internal/directory to the line "internal/mail → …" of its arrows block`},
	}, {
		name: "an arrow pointing down the wrong way",
		edit: func(g []pkg) []pkg {
			g[2].Imports = append(g[2].Imports, module+"/internal/mail")
			return g
		},
		wants: []string{`internal/store imports internal/mail`},
	}, {
		name: "a test importing what it may not",
		edit: func(g []pkg) []pkg {
			g[2].TestImports = append(g[2].TestImports, module+"/internal/directory")
			return g
		},
		wants: []string{`the tests of internal/store import internal/directory, an arrow ARCHITECTURE.md does not draw: add the line "internal/store → internal/directory" to its test-arrows block`},
	}, {
		name: "a test-only arrow used by the code",
		edit: func(g []pkg) []pkg {
			g[1].Imports = append(g[1].Imports, module+"/internal/directory")
			g[1].TestImports = nil
			return g
		},
		wants: []string{
			`internal/mail imports internal/directory, an arrow`,
			`test-arrows block draws internal/mail → internal/directory, but no such import is needed`,
		},
	}, {
		name: "an undrawn arrow the tests use too, in and out of the package",
		edit: func(g []pkg) []pkg {
			g[3].Imports = append(g[3].Imports, module+"/internal/store")
			g[3].TestImports = []string{module + "/internal/store", module + "/internal/mail", module + "/internal/mail"}
			return g
		},
		wants: []string{
			`internal/testclock imports internal/store, an arrow ARCHITECTURE.md does not draw: add internal/store to the line "internal/testclock → …" of its arrows block`,
			`the tests of internal/testclock import internal/mail, an arrow ARCHITECTURE.md does not draw: add the line "internal/testclock → internal/mail" to its test-arrows block`,
		},
	}, {
		name: "a new package",
		edit: func(g []pkg) []pkg {
			return append(g, pkg{Path: "internal/portal", Imports: []string{module + "/internal/directory", "net/http"}})
		},
		wants: []string{
			`package internal/portal is not in ARCHITECTURE.md: add the line "internal/portal → internal/directory" to its arrows block`,
			"package internal/portal has no row in ARCHITECTURE.md's package tables: add a row \"| `internal/portal` | … |\"",
		},
	}, {
		name: "an arrow the code no longer has",
		edit: func(g []pkg) []pkg {
			g[0].Imports = g[0].Imports[:2]
			return g
		},
		wants: []string{`arrows block draws internal/directory → internal/mail, but no such import is needed: remove internal/mail from the line "internal/directory → …"`},
	}, {
		name: "a package that is gone",
		edit: func(g []pkg) []pkg {
			g[0].TestImports = g[0].TestImports[:1]
			return g[:3]
		},
		wants: []string{
			`arrows block names internal/testclock, which is not a package any more`,
			`package tables describe internal/testclock, which is not a package any more: remove its row`,
			`lets every test import internal/testclock, which does not exist`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			problems := check(tc.edit(syntheticGraph()), parseSynthetic(t))
			if len(problems) != len(tc.wants) {
				t.Errorf("got %d problems, want %d: %q", len(problems), len(tc.wants), problems)
			}
			for _, want := range tc.wants {
				if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
					t.Errorf("no problem says %q; got %q", want, problems)
				}
			}
		})
	}
}

func TestCheckOwners(t *testing.T) {
	t.Parallel()
	g := []pkg{
		{Path: "idp/provider", Imports: []string{"github.com/zitadel/oidc/v3/pkg/op"}},
		{Path: "internal/store/sqlstore", Imports: []string{"github.com/jackc/pgx/v5/stdlib"}},
		{Path: "internal/mail", TestImports: []string{"github.com/emersion/go-smtp"}},
	}
	if problems := checkOwners(g); len(problems) > 0 {
		t.Errorf("owners refused their own libraries: %q", problems)
	}
	g = append(g,
		pkg{Path: "internal/api", Imports: []string{"github.com/zitadel/oidc/v3/pkg/op"}},
		// A prefix of the folder's name is not the folder.
		pkg{Path: "idpx", Imports: []string{"github.com/zitadel/oidc/v3/pkg/op"}},
		pkg{Path: "internal/directory", TestImports: []string{"github.com/jackc/pgx/v5"}},
	)
	if problems := checkOwners(g); len(problems) != 3 {
		t.Errorf("want 3 problems (api, idpx, directory's test), got %q", problems)
	}
}
