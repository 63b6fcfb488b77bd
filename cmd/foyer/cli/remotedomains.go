package cli

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// The domains commands through the admin API: /v1.0/domains in Graph's
// shape, with Foyer's createdDateTime.

// remoteDomain is the part of the API's domain the commands read.
type remoteDomain struct {
	ID              string    `json:"id"`
	CreatedDateTime time.Time `json:"createdDateTime"`
}

func (d remoteDomain) record() store.Domain {
	return store.Domain{Name: d.ID, CreatedAt: d.CreatedDateTime}
}

func (r remoteAdmin) listDomains(ctx context.Context) ([]store.Domain, error) {
	list, err := listAll[remoteDomain](ctx, r.c, "/v1.0/domains")
	if err != nil {
		return nil, err
	}
	out := make([]store.Domain, len(list))
	for i, d := range list {
		out[i] = d.record()
	}
	return out, nil
}

func (r remoteAdmin) addDomain(ctx context.Context, name string) (store.Domain, error) {
	var d remoteDomain
	err := r.c.call(ctx, http.MethodPost, "/v1.0/domains", map[string]string{"id": name}, &d)
	return d.record(), err
}

func (r remoteAdmin) removeDomain(ctx context.Context, name string) error {
	err := r.c.call(ctx, http.MethodDelete, "/v1.0/domains/"+url.PathEscape(name), nil, nil)
	var ge *graphError
	if errors.As(err, &ge) && ge.Status == http.StatusNotFound {
		return noDomain(r.c.tenant, name)
	}
	return err
}
