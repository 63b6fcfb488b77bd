package bootstrap

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/store"
)

// domains verifies the declared domains the tenant lacks, noting
// "domains" as changed unless the tenant is new. It answers false when
// the directory refused one.
func (a *applier) domains(ctx context.Context, path string, tn store.Tenant, want []string, created bool, changed *[]string) bool {
	have, err := a.dir.Domains(ctx, tn.ID)
	if err != nil {
		a.failed(path, nil, err)
		return false
	}
	added := false
	for j, d := range want {
		name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if name == "" || slices.ContainsFunc(have, func(h store.Domain) bool { return h.Name == name }) {
			continue
		}
		dom, err := a.dir.AddDomain(ctx, tn.ID, d)
		if err != nil {
			a.failed(fmt.Sprintf("%s.domains[%d]", path, j), map[string]string{"id": "", "tenant": ""}, err)
			if a.fatal {
				return false
			}
			continue
		}
		have, added = append(have, dom), true
	}
	if added && !created {
		*changed = append(*changed, "domains")
	}
	return true
}
