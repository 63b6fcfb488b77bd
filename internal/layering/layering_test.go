package layering

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/foyer-idp/foyer"

// rank orders Foyer's packages: a package may import only packages of a
// lower rank, or of its own rank where sameRankOK says so.
func rank(pkg string) int {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	switch {
	// idptest composes the whole server for other packages' tests, as cmd
	// does for the binary.
	case rel == "idp/idptest":
		return 5
	case hasAnyPrefix(rel, "internal/secret", "internal/config", "internal/layering", "internal/webclient", "internal/testclock", "internal/testlog"):
		return 0
	case rel == "internal/store" || strings.HasPrefix(rel, "internal/store/"):
		return 1
	case hasAnyPrefix(rel, "internal/directory", "internal/mfa", "internal/mail", "internal/audit"):
		return 2
	case hasAnyPrefix(rel, "keys", "federation", "internal/httpx", "internal/loadtest", "internal/accesstoken"):
		return 3
	case hasAnyPrefix(rel, "idp", "internal/api", "internal/bootstrap", "internal/demo"):
		return 4
	case strings.HasPrefix(rel, "cmd/"):
		return 5
	}
	return -1
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if s == p || strings.HasPrefix(s, p+"/") {
			return true
		}
	}
	return false
}

// sameRankOK: domain packages may use one another (acyclic, which Go
// enforces); the store's back ends use the contract; keys and federation
// never import each other, and internal/accesstoken verifies with keys'
// public keys; idp's packages use one another, internal/api
// does not reach into idp; cmd/foyer's main runs cmd/foyer/cli.
func sameRankOK(from, to string) bool {
	r := rank(from)
	switch r {
	case 1, 2:
		return true
	case 3:
		if hasAnyPrefix(strings.TrimPrefix(from, module+"/"), "internal/accesstoken") {
			return hasAnyPrefix(strings.TrimPrefix(to, module+"/"), "keys")
		}
		return strings.HasPrefix(strings.TrimPrefix(from, module+"/"), strings.Split(strings.TrimPrefix(to, module+"/"), "/")[0])
	case 4:
		// idp's sub-packages (provider, signin, tenancy) build its face.
		return hasAnyPrefix(strings.TrimPrefix(from, module+"/"), "idp") && hasAnyPrefix(strings.TrimPrefix(to, module+"/"), "idp")
	case 5:
		// The binary's main composes the command line package, nothing else
		// of its rank.
		return from == module+"/cmd/foyer" && to == module+"/cmd/foyer/cli"
	}
	return false
}

// owners: each third-party library may be imported only under these
// folders.
var owners = map[string][]string{
	// federation/fedtest runs fake upstream OpenID providers on op for
	// tests only; nothing in the binary imports it.
	"github.com/zitadel/oidc/v3/pkg/op":        {"idp", "federation/fedtest"},
	"github.com/zitadel/oidc/v3/pkg/client/rp": {"federation"},
	"github.com/jackc/pgx/v5":                  {"internal/store"},
	"modernc.org/sqlite":                       {"internal/store"},
	"github.com/pquerna/otp":                   {"internal/mfa"},
	"github.com/spf13/cobra":                   {"cmd"},
	"github.com/wneessen/go-mail":              {"internal/mail"},
	// A real SMTP server for internal/mail's tests only.
	"github.com/emersion/go-smtp": {"internal/mail"},
}

type listed struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func packages(t *testing.T) []listed {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func TestImportArrows(t *testing.T) {
	for _, p := range packages(t) {
		from := rank(p.ImportPath)
		if from < 0 {
			t.Errorf("%s is not in DESIGN.md's layout table: give it a rank here", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			to := rank(imp)
			if to > from || (to == from && !sameRankOK(p.ImportPath, imp)) {
				t.Errorf("%s imports %s against the layout's arrows", p.ImportPath, imp)
			}
		}
	}
}

func TestThirdPartyLibrariesStayInTheirPackage(t *testing.T) {
	for _, p := range packages(t) {
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		all := append(append(append([]string{}, p.Imports...), p.TestImports...), p.XTestImports...)
		for _, imp := range all {
			for lib, allowed := range owners {
				if (imp == lib || strings.HasPrefix(imp, lib+"/")) && !hasAnyPrefix(rel, allowed...) {
					t.Errorf("%s imports %s, which only %v may", p.ImportPath, imp, allowed)
				}
			}
		}
	}
}

func TestRanks(t *testing.T) {
	for pkg, want := range map[string]int{
		module + "/internal/store/sqlstore": 1,
		module + "/keys":                    3,
		module + "/internal/accesstoken":    3,
		module + "/cmd/foyer":               5,
		module + "/cmd/foyer/cli":           5,
		module + "/elsewhere":               -1,
	} {
		if got := rank(pkg); got != want {
			t.Errorf("rank(%s) = %d, want %d", pkg, got, want)
		}
	}
	if sameRankOK(module+"/keys", module+"/federation") {
		t.Error("keys must not import federation")
	}
	if !sameRankOK(module+"/internal/accesstoken", module+"/keys") {
		t.Error("internal/accesstoken may use keys")
	}
	if sameRankOK(module+"/keys", module+"/internal/accesstoken") {
		t.Error("keys must not import internal/accesstoken")
	}
	if !sameRankOK(module+"/cmd/foyer", module+"/cmd/foyer/cli") {
		t.Error("cmd/foyer's main may run cmd/foyer/cli")
	}
	if sameRankOK(module+"/cmd/foyer/cli", module+"/cmd/foyer") || sameRankOK(module+"/cmd/foyer/cli", module+"/idp/idptest") {
		t.Error("cmd/foyer/cli must not import main or idptest")
	}
	if !sameRankOK(module+"/federation", module+"/federation/fake") {
		t.Error("federation may use its own sub-packages")
	}
}
