-- Revoked token references: a JWT access token's jti, or the refresh
-- family or authorization grant a user's access token names in its jti.
-- User access tokens are not stored one row each; a verifier asks this
-- table whether the token or what it came from was revoked. A row is kept
-- until every access token it can reach has expired (expires_at).
-- Keep in step with ../postgres/0016_token_revocations.sql.
CREATE TABLE token_revocations (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         TEXT    NOT NULL,
    revoked_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX token_revocations_expiry_idx ON token_revocations (expires_at);
