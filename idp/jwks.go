package idp

import (
	"net/http"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/httpx"
)

// jwksCacheControl lets relying parties cache the key set briefly. A new key is
// published one rotation before it signs, so five minutes of staleness
// never hides a key in use.
const jwksCacheControl = "public, max-age=300"

// jwks serves GET /t/{tenant}/keys, the tenant's JSON Web Key Set (the
// jwks_uri of its discovery document). The tenant gate has resolved the
// slug. The document is encoded once per key set (keys.KeySet), and its
// ETag lets relying parties revalidate without fetching it again.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tenant, _ := tenancy.From(ctx)
	body, etag, err := s.keys.JWKSDocument(ctx, tenant.ID)
	if err != nil {
		s.unavailable(w, r, "load key set", err)
		return
	}
	httpx.WriteCached(w, r, body, etag, jwksCacheControl)
}

// unavailable logs what went wrong and tells the client only that it
// should retry.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, doing string, err error) {
	s.logger.ErrorContext(r.Context(), doing, "path", r.URL.Path, "err", err)
	httpx.WriteError(w, http.StatusServiceUnavailable, "server_error", "temporarily unavailable, try again later")
}
