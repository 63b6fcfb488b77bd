package directory

import (
	"context"
	"errors"
	"time"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/ttlcache"
)

// maxCachedClients bounds a ClientCache.
const maxCachedClients = 10_000

// ClientCache authenticates clients from memory for a short while. Client
// authentication runs on every token request, and an application and its
// secrets change rarely: it saves two reads of each request. A change (a
// removed secret, a deleted app) is seen at once where the node is told of
// it (Forget), and otherwise when the entry runs out, the same bargain
// every provider makes for clients. Unknown clients and errors are never
// cached.
type ClientCache struct {
	d       *Directory
	ttl     time.Duration
	entries *ttlcache.Cache[clientKey, cachedClient]
}

type clientKey struct{ tenantID, clientID string }

type cachedClient struct {
	app     store.Application
	secrets []store.ClientSecret
}

// NewClientCache answers a cache whose entries live ttl.
func (d *Directory) NewClientCache(ttl time.Duration) *ClientCache {
	return &ClientCache{d: d, ttl: ttl, entries: ttlcache.New[clientKey, cachedClient](maxCachedClients)}
}

// Application answers the application with this client id.
func (c *ClientCache) Application(ctx context.Context, tenantID, clientID string) (store.Application, error) {
	e, err := c.load(ctx, tenantID, clientID)
	return e.app, err
}

// VerifyClientSecret is Directory.VerifyClientSecret from the cache.
func (c *ClientCache) VerifyClientSecret(ctx context.Context, tenantID, clientID, value string) (store.Application, error) {
	e, err := c.load(ctx, tenantID, clientID)
	return c.d.authenticate(e, err, value)
}

// Forget drops the tenant's applications (every tenant's when tenantID is
// empty): they are read again at their next use.
func (c *ClientCache) Forget(tenantID string) {
	c.entries.Forget(func(k clientKey, _ cachedClient) bool { return tenantID == "" || k.tenantID == tenantID })
}

func (c *ClientCache) load(ctx context.Context, tenantID, clientID string) (cachedClient, error) {
	key, now := clientKey{tenantID, clientID}, c.d.clock()
	if e, ok := c.entries.Get(key, now); ok {
		return e, nil
	}
	since := c.entries.Generation()
	e, err := c.d.loadClient(ctx, tenantID, clientID)
	if err != nil {
		return cachedClient{}, err
	}
	c.entries.Put(key, e, now, now.Add(c.ttl), since)
	return e, nil
}

// loadClient reads an application by client id with its secrets.
func (d *Directory) loadClient(ctx context.Context, tenantID, clientID string) (cachedClient, error) {
	app, err := d.store.GetApplicationByClientID(ctx, tenantID, clientID)
	if err != nil {
		return cachedClient{}, err
	}
	secrets, err := d.store.ListClientSecrets(ctx, tenantID, app.ID)
	if err != nil {
		return cachedClient{}, err
	}
	return cachedClient{app: app, secrets: secrets}, nil
}

// authenticate answers c's application when value is one of its unexpired
// secrets; an unknown client or a wrong secret is ErrBadCredentials, and
// a load error passes through.
func (d *Directory) authenticate(c cachedClient, loadErr error, value string) (store.Application, error) {
	if errors.Is(loadErr, store.ErrNotFound) {
		return store.Application{}, ErrBadCredentials
	}
	if loadErr != nil {
		return store.Application{}, loadErr
	}
	now, hash := d.clock(), d.secrets.Hash(value)
	for _, s := range c.secrets {
		if (s.ExpiresAt == nil || now.Before(*s.ExpiresAt)) && secret.EqualHashes(hash, s.Hash) {
			return c.app, nil
		}
	}
	return store.Application{}, ErrBadCredentials
}
