package cli

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/foyer-idp/foyer/idp"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// nodeCaches are what one serve node keeps in memory of records any node
// may change: tenants (in the HTTP server), clients, signing keys.
type nodeCaches struct {
	tenants *idp.Server
	clients *directory.ClientCache
	keys    interface{ Forget(tenantID string) }
	// forgotten counts the changes applied, by kind.
	forgotten *prometheus.CounterVec
}

// forget drops what this node keeps of what c changed.
func (n nodeCaches) forget(c store.Change) {
	switch c.Kind {
	case store.ChangedTenant:
		n.tenants.ForgetTenant(c.TenantID)
	case store.ChangedApplications:
		n.clients.Forget(c.TenantID)
	case store.ChangedKeys:
		n.keys.Forget(c.TenantID)
	case store.ChangedEverything:
		n.tenants.ForgetTenant("")
		n.clients.Forget("")
		n.keys.Forget("")
	default:
		return
	}
	n.forgotten.WithLabelValues(string(c.Kind)).Inc()
}

func newForgottenCounter(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_cache_invalidations_total",
		Help: "Changes to tenants, applications or signing keys this node was told of and dropped from memory, by kind (everything: after listening again).",
	}, []string{"kind"})
	return c, reg.Register(c)
}

// startChangeWatch makes every committed change to a cached record, by any
// node or command, reach this node's caches at once (PostgreSQL; SQLite
// serves one node and has nothing to watch). It answers a function that
// stops the watch and waits for it.
func startChangeWatch(ctx context.Context, a *app, caches nodeCaches) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		a.store.WatchChanges(ctx, caches.forget, func(err error) {
			// Until it listens again the caches' lifetimes bound a change.
			a.logger.WarnContext(ctx, "cache invalidation: lost the database's change notices; listening again", "err", err)
		})
	})
	return func() { cancel(); wg.Wait() }
}
