package layering

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

const module = "github.com/foyer-idp/foyer"

// archFile is the architecture document, relative to this package, and
// archName what messages call it. Its fenced blocks ```arrows and
// ```test-arrows are the allow-list.
const (
	archFile = "../../ARCHITECTURE.md"
	archName = "ARCHITECTURE.md"
)

// owners: each third-party library may be imported only under these
// folders.
var owners = map[string][]string{
	// federation/fedtest runs fake upstream OpenID providers on op for
	// tests only, and bench/reference the provider Foyer is measured
	// against; nothing in the binary imports either.
	"github.com/zitadel/oidc/v3/pkg/op":        {"idp", "federation/fedtest", "bench/reference"},
	"github.com/zitadel/oidc/v3/pkg/client/rp": {"federation"},
	"github.com/jackc/pgx/v5":                  {"internal/store"},
	"modernc.org/sqlite":                       {"internal/store"},
	"github.com/pquerna/otp":                   {"internal/mfa"},
	"github.com/spf13/cobra":                   {"cmd"},
	"github.com/wneessen/go-mail":              {"internal/mail"},
	// The OpenTelemetry SDK, exporters and HTTP instrumentation (the API,
	// go.opentelemetry.io/otel itself, is a dependency of zitadel's too).
	"go.opentelemetry.io/otel/sdk":       {"internal/telemetry"},
	"go.opentelemetry.io/otel/exporters": {"internal/telemetry"},
	"go.opentelemetry.io/contrib":        {"internal/telemetry"},
	"go.opentelemetry.io/proto/otlp":     {"internal/telemetry"},
	// A real SMTP server for internal/mail's tests only.
	"github.com/emersion/go-smtp": {"internal/mail"},
	// A JSON Schema validator for internal/api's tests only: the answers
	// against the OpenAPI document.
	"github.com/santhosh-tekuri/jsonschema/v6": {"internal/api"},
}

// pkg is one of Foyer's packages as `go list` sees it. Foyer's own
// imports are module-relative ("idp/signin"); others keep their full path.
type pkg struct {
	Path        string
	Imports     []string // of the package's own files
	TestImports []string // of its _test files, in-package and external
}

// allowList is what ARCHITECTURE.md draws: for each package the Foyer
// packages its code may import (every package has an entry, maybe empty),
// and the ones only its tests may import besides. The key "*" of
// testArrows lists helpers any package's tests may import. described are
// the packages its tables give a row.
type allowList struct {
	arrows     map[string][]string
	testArrows map[string][]string
	described  map[string]bool
}

// parseAllowList reads the ```arrows and ```test-arrows blocks of r: one
// line per package, "from → to, to, …" ("from →" for none); a package may
// take several lines. A table row whose first cell is `package` describes
// that package.
func parseAllowList(r io.Reader) (allowList, error) {
	a := allowList{arrows: map[string][]string{}, testArrows: map[string][]string{}, described: map[string]bool{}}
	var block map[string][]string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```arrows":
			block = a.arrows
		case line == "```test-arrows":
			block = a.testArrows
		case strings.HasPrefix(line, "```"):
			block = nil
		case block == nil && strings.HasPrefix(line, "| `"):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
			a.described[name] = true
		case block != nil && line != "":
			from, to, ok := strings.Cut(line, "→")
			from = strings.TrimSpace(from)
			if !ok || from == "" || strings.ContainsAny(from, " ,") {
				return a, fmt.Errorf("%s:%d: want \"package → package, package\", got %q", archName, n, line)
			}
			list := block[from]
			for t := range strings.SplitSeq(to, ",") {
				if t = strings.TrimSpace(t); t != "" {
					list = append(list, t)
				}
			}
			block[from] = list
		}
	}
	if err := sc.Err(); err != nil {
		return a, err
	}
	if len(a.arrows) == 0 {
		return a, fmt.Errorf("%s has no ```arrows block", archName)
	}
	return a, nil
}

// check answers every way pkgs and the allow-list disagree, each saying
// which line of ARCHITECTURE.md to change.
func check(pkgs []pkg, a allowList) []string {
	var problems []string
	exists := map[string]bool{}
	for _, p := range pkgs {
		exists[p.Path] = true
	}
	used := map[[2]string]bool{}     // edges the code's imports use
	usedTest := map[[2]string]bool{} // edges only tests use
	for _, p := range pkgs {
		allowed, listed := a.arrows[p.Path]
		if !listed {
			problems = append(problems, fmt.Sprintf("package %s is not in %s: add the line \"%s → %s\" to its arrows block",
				p.Path, archName, p.Path, strings.Join(foyer(p.Imports), ", ")))
			continue
		}
		own := foyer(p.Imports)
		for _, imp := range own {
			used[[2]string{p.Path, imp}] = true
			if !slices.Contains(allowed, imp) {
				problems = append(problems, fmt.Sprintf("%s imports %s, an arrow %s does not draw: %s, or remove the import",
					p.Path, imp, archName, addition(a.arrows, "arrows", p.Path, imp)))
			}
		}
		for _, imp := range foyer(p.TestImports) {
			if imp == p.Path || slices.Contains(allowed, imp) || slices.Contains(a.testArrows["*"], imp) {
				continue
			}
			// In-package and external tests may share an import; one
			// the code has too is judged above.
			if usedTest[[2]string{p.Path, imp}] {
				continue
			}
			usedTest[[2]string{p.Path, imp}] = true
			if !slices.Contains(own, imp) && !slices.Contains(a.testArrows[p.Path], imp) {
				problems = append(problems, fmt.Sprintf("the tests of %s import %s, an arrow %s does not draw: %s, or remove the import",
					p.Path, imp, archName, addition(a.testArrows, "test-arrows", p.Path, imp)))
			}
		}
	}
	for _, p := range pkgs {
		if !a.described[p.Path] {
			problems = append(problems, fmt.Sprintf("package %s has no row in %s's package tables: add a row \"| `%s` | … |\" saying what it owns", p.Path, archName, p.Path))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.described)) {
		if !exists[name] {
			problems = append(problems, fmt.Sprintf("%s's package tables describe %s, which is not a package any more: remove its row", archName, name))
		}
	}
	problems = append(problems, stale(a.arrows, "arrows", exists, used)...)
	helpers := a.testArrows["*"]
	rest := map[string][]string{}
	for from, tos := range a.testArrows {
		if from != "*" {
			rest[from] = tos
		}
	}
	problems = append(problems, stale(rest, "test-arrows", exists, usedTest)...)
	for _, h := range helpers {
		if !exists[h] {
			problems = append(problems, fmt.Sprintf("%s's test-arrows block lets every test import %s, which does not exist: remove it from the line \"* → …\"", archName, h))
		}
	}
	return problems
}

// addition says how to draw from → to in block.
func addition(block map[string][]string, name, from, to string) string {
	if _, ok := block[from]; ok {
		return fmt.Sprintf("add %s to the line \"%s → …\" of its %s block", to, from, name)
	}
	return fmt.Sprintf("add the line \"%s → %s\" to its %s block", from, to, name)
}

// stale answers the entries of a block that no package or import matches
// any more, so the document never draws an arrow the code lacks.
func stale(block map[string][]string, name string, exists map[string]bool, used map[[2]string]bool) []string {
	var problems []string
	for _, from := range slices.Sorted(maps.Keys(block)) {
		if !exists[from] {
			problems = append(problems, fmt.Sprintf("%s's %s block names %s, which is not a package any more: remove its line (and its row in the package table)", archName, name, from))
			continue
		}
		for _, to := range block[from] {
			if !used[[2]string{from, to}] {
				problems = append(problems, fmt.Sprintf("%s's %s block draws %s → %s, but no such import is needed: remove %s from the line \"%s → …\"", archName, name, from, to, to, from))
			}
		}
	}
	return problems
}

// foyer answers the imports of Foyer's own packages, module-relative.
func foyer(imports []string) []string {
	var out []string
	for _, imp := range imports {
		if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
			out = append(out, rel)
		}
	}
	return out
}

// checkOwners answers every import of a third-party library outside the
// folders owners gives it.
func checkOwners(pkgs []pkg) []string {
	var problems []string
	for _, p := range pkgs {
		for _, imp := range slices.Concat(p.Imports, p.TestImports) {
			for lib, allowed := range owners {
				if (imp == lib || strings.HasPrefix(imp, lib+"/")) && !underAny(p.Path, allowed) {
					problems = append(problems, fmt.Sprintf("%s imports %s, which only %v may", p.Path, imp, allowed))
				}
			}
		}
	}
	return problems
}

func underAny(path string, folders []string) bool {
	for _, f := range folders {
		if path == f || strings.HasPrefix(path, f+"/") {
			return true
		}
	}
	return false
}

// listed is every Foyer package as `go list -json` sees it, listed once
// for all tests.
var listed = sync.OnceValues(func() ([]pkg, error) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var l struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&l); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, pkg{
			Path:        strings.TrimPrefix(strings.TrimPrefix(l.ImportPath, module), "/"),
			Imports:     l.Imports,
			TestImports: slices.Concat(l.TestImports, l.XTestImports),
		})
	}
	if len(pkgs) < 5 {
		return nil, fmt.Errorf("go list found only %d packages", len(pkgs))
	}
	return pkgs, nil
})

func packages(t *testing.T) []pkg {
	t.Helper()
	pkgs, err := listed()
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func readAllowList(t *testing.T) allowList {
	t.Helper()
	f, err := os.Open(archFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := parseAllowList(f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestImportArrows holds every import between Foyer's packages, and every
// import of their tests, to the arrows ARCHITECTURE.md draws, and the
// document to the imports the code has.
func TestImportArrows(t *testing.T) {
	t.Parallel()
	for _, p := range check(packages(t), readAllowList(t)) {
		t.Error(p)
	}
}

func TestThirdPartyLibrariesStayInTheirPackage(t *testing.T) {
	t.Parallel()
	for _, p := range checkOwners(packages(t)) {
		t.Error(p)
	}
}
