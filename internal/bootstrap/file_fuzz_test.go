package bootstrap

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/foyer-idp/foyer/internal/directory"
)

// FuzzParse reads any bytes as a bootstrap file and checks what parses as
// Apply does before it looks anything up: refusals are the package's own
// (a "bootstrap file" error, or problems each naming its place in the
// file), and no problem ever quotes a password or secret.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bootstrap file") {
				t.Fatalf("error %q does not name the bootstrap file", err)
			}
			return
		}
		a := &applier{deps: Deps{MinSecretLength: directory.MinImportedSecretLength,
			LookupEnv: func(name string) (string, bool) { return "", false }},
			skip: map[string]bool{}, passwords: map[string]string{}, secrets: map[string]string{}}
		a.checkFile(file)

		var credentials []string
		for _, tn := range file.Tenants {
			for _, m := range tn.Members {
				credentials = append(credentials, m.Password)
			}
			for _, app := range tn.Applications {
				credentials = append(credentials, app.Secret)
			}
			for _, p := range tn.IdentityProviders {
				credentials = append(credentials, p.ClientSecret)
			}
		}
		// The file as printed without its credentials: a value found there
		// too (say a display name equal to a password) may be quoted.
		public := fmt.Sprintf("%#v", withoutCredentials(file))
		for _, e := range a.errs {
			var fe *directory.FieldError
			if !errors.As(e, &fe) || !errors.Is(fe.Err, directory.ErrInvalid) || !strings.HasPrefix(fe.Field, "tenants[") {
				t.Fatalf("problem %v (%T) is not an invalid field of the file", e, e)
			}
			for _, c := range credentials {
				if len(c) >= 6 && strings.Contains(e.Error(), c) && !strings.Contains(public, c) {
					t.Fatalf("problem %q quotes a credential", e)
				}
			}
		}
	})
}

func withoutCredentials(f File) File {
	var out File
	for _, tn := range f.Tenants {
		tn.Members = append([]Member(nil), tn.Members...)
		for i := range tn.Members {
			tn.Members[i].Password = ""
		}
		tn.Applications = append([]Application(nil), tn.Applications...)
		for i := range tn.Applications {
			tn.Applications[i].Secret = ""
		}
		tn.IdentityProviders = append([]IdentityProvider(nil), tn.IdentityProviders...)
		for i := range tn.IdentityProviders {
			tn.IdentityProviders[i].ClientSecret = ""
		}
		out.Tenants = append(out.Tenants, tn)
	}
	return out
}
