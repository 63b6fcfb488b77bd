package bootstrap

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// KeyEnsurer gives a tenant its signing keys when it lacks them;
// *keys.Manager satisfies it.
type KeyEnsurer interface {
	Ensure(ctx context.Context, tenantID string) error
}

// DevMinSecretLength is the shortest client secret development mode
// accepts: the dev seed's "demo-secret".
const DevMinSecretLength = len("demo-secret")

// Deps are what Apply needs. Apply builds its own directory service on the
// transaction it runs in, from the same hashers the server's uses.
type Deps struct {
	Store store.Store
	// SecretHasher and Passwords are the directory's (directory.Config).
	SecretHasher *secret.Hasher
	Passwords    *secret.PasswordHasher
	Keys         KeyEnsurer
	// Federation is the directory's configuration for identity providers
	// (directory.Config); without it a file declaring identityProviders is
	// refused.
	Federation *directory.FederationConfig
	// LookupEnv resolves passwordEnv, secretEnv and clientSecretEnv; nil
	// refuses them. The
	// package never reads the process environment itself.
	LookupEnv func(string) (string, bool)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MinSecretLength is the shortest secret or secretEnv value accepted:
	// directory.MinImportedSecretLength when 0, DevMinSecretLength for
	// the dev seed.
	MinSecretLength int
}

func (d Deps) validate() error {
	var errs []error
	if d.Store == nil {
		errs = append(errs, errors.New("bootstrap: Store is required"))
	}
	if d.SecretHasher == nil {
		errs = append(errs, errors.New("bootstrap: SecretHasher is required"))
	}
	if d.Passwords == nil {
		errs = append(errs, errors.New("bootstrap: Passwords is required"))
	}
	if d.Keys == nil {
		errs = append(errs, errors.New("bootstrap: Keys is required"))
	}
	if d.MinSecretLength < 0 {
		errs = append(errs, fmt.Errorf("bootstrap: MinSecretLength %d is negative", d.MinSecretLength))
	}
	return errors.Join(errs...)
}

// Apply brings the store in line with f: it creates what is missing and
// updates the declared fields of what exists (tenants by slug, members by
// mail, groups by display name, applications by client id), never deleting
// what f does not name, then makes sure every tenant of f has signing keys.
//
// The whole file is checked first and applied in one transaction through
// the directory service, so each change is validated and audited as an
// admin's would be. Any problem, each named by its path in the file
// (tenants[1].applications[0].redirectUris: …), rolls everything back:
// nothing is written, not even an audit event. A second run with the same
// file writes nothing.
func Apply(ctx context.Context, deps Deps, f File) (Report, error) {
	if err := deps.validate(); err != nil {
		return Report{}, err
	}
	if deps.MinSecretLength == 0 {
		deps.MinSecretLength = directory.MinImportedSecretLength
	}
	a := &applier{deps: deps, skip: map[string]bool{}, passwords: map[string]string{}, secrets: map[string]string{}}
	a.checkFile(f)
	var tenants []store.Tenant
	err := deps.Store.InTx(ctx, func(tx store.Store) error {
		dir, err := directory.New(directory.Config{
			Store: tx, SecretHasher: deps.SecretHasher, Passwords: deps.Passwords, Now: deps.Now,
			Federation: deps.Federation,
		})
		if err != nil {
			return err
		}
		a.dir = dir
		for i, t := range f.Tenants {
			if a.fatal {
				break
			}
			if tn, ok := a.tenant(ctx, i, t); ok {
				tenants = append(tenants, tn)
			}
		}
		sortByPath(a.errs)
		return errors.Join(a.errs...)
	})
	if err != nil {
		return Report{}, err
	}
	// After the commit: the key manager writes in transactions of its own.
	var errs []error
	for _, tn := range tenants {
		if err := deps.Keys.Ensure(ctx, tn.ID); err != nil {
			errs = append(errs, fmt.Errorf("signing keys of tenant %q: %w", tn.Slug, err))
		}
	}
	return a.report, errors.Join(errs...)
}

// applier is one run of Apply.
type applier struct {
	deps   Deps
	dir    *directory.Directory
	report Report
	errs   []error
	// fatal is set by an error that may have broken the transaction (a
	// conflict, the database): nothing more is tried.
	fatal bool
	// skip marks objects whose key fields are missing.
	skip map[string]bool
	// passwords and secrets hold the resolved values, by object path.
	passwords, secrets map[string]string
}

// problem records an invalid value of the file at path.
func (a *applier) problem(path, format string, args ...any) {
	a.errs = append(a.errs, &directory.FieldError{Field: path, Message: fmt.Sprintf(format, args...), Err: directory.ErrInvalid})
}

// failed records err, the directory's answer about the object at path,
// with each field it names renamed to the file's key (rename maps "" to
// drop the field) and put under path.
func (a *applier) failed(path string, rename map[string]string, err error) {
	for _, e := range flatten(err) {
		var fe *directory.FieldError
		if !errors.As(e, &fe) {
			a.errs = append(a.errs, fmt.Errorf("%s: %w", path, e))
			a.fatal = true
			continue
		}
		field, ok := rename[fe.Field]
		if !ok {
			field = fe.Field
		}
		full := path
		if field != "" {
			full += "." + field
		}
		a.errs = append(a.errs, &directory.FieldError{Field: full, Message: fe.Message, Err: fe.Err})
		if !errors.Is(fe.Err, directory.ErrInvalid) {
			a.fatal = true
		}
	}
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func (a *applier) add(o Object) { a.report.Objects = append(a.report.Objects, o) }

// result answers created, updated or unchanged.
func result(created bool, changed []string) string {
	switch {
	case created:
		return Created
	case len(changed) > 0:
		return Updated
	default:
		return Unchanged
	}
}

// patchOf answers want when the file declares it and it differs from
// have, noting field as changed; nil otherwise.
func patchOf[T comparable](want *T, have T, field string, changed *[]string) *T {
	if want == nil || *want == have {
		return nil
	}
	*changed = append(*changed, field)
	return want
}

// listPatch is patchOf for a list, compared as a set.
func listPatch(want, have []string, field string, changed *[]string) *[]string {
	if want == nil || sameSet(want, have) {
		return nil
	}
	*changed = append(*changed, field)
	return &want
}

func sameSet(a, b []string) bool {
	norm := func(s []string) []string {
		out := slices.Clone(s)
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// sortByPath orders problems as the file is: tenants[2] before tenants[10].
// Problems at one path keep their order.
func sortByPath(errs []error) {
	path := func(err error) string {
		var fe *directory.FieldError
		if errors.As(err, &fe) {
			return fe.Field
		}
		before, _, _ := strings.Cut(err.Error(), ":")
		return before
	}
	slices.SortStableFunc(errs, func(x, y error) int { return naturalCompare(path(x), path(y)) })
}

// naturalCompare compares strings with runs of digits as numbers.
func naturalCompare(x, y string) int {
	for x != "" && y != "" {
		dx, dy := digits(x), digits(y)
		if dx > 0 && dy > 0 {
			nx, ny := strings.TrimLeft(x[:dx], "0"), strings.TrimLeft(y[:dy], "0")
			if c := cmp.Compare(len(nx), len(ny)); c != 0 {
				return c
			}
			if c := strings.Compare(nx, ny); c != 0 {
				return c
			}
			x, y = x[dx:], y[dy:]
			continue
		}
		if x[0] != y[0] {
			return cmp.Compare(x[0], y[0])
		}
		x, y = x[1:], y[1:]
	}
	return cmp.Compare(len(x), len(y))
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// eachDeclared calls apply with each object of a list the file declares
// at listPath, and its path, leaving out those the checks skipped; it
// stops at a fatal error.
func eachDeclared[T any](a *applier, listPath string, list []T, apply func(path string, v T)) {
	for j, v := range list {
		if a.fatal {
			return
		}
		path := fmt.Sprintf("%s[%d]", listPath, j)
		if a.skip[path] {
			continue
		}
		apply(path, v)
	}
}

// matchByName answers the tenant's existing objects named name, at most
// one: when several share the name, it reports them at path (kind names
// them, plural) and answers ok false.
func matchByName[T any](a *applier, path, kind, name string, existing []T, nameOf func(T) string) (matches []T, ok bool) {
	for _, e := range existing {
		if nameOf(e) == name {
			matches = append(matches, e)
		}
	}
	if len(matches) > 1 {
		a.problem(path+".displayName", "%q names %d %s of the tenant; rename all but one first", name, len(matches), kind)
		return nil, false
	}
	return matches, true
}
