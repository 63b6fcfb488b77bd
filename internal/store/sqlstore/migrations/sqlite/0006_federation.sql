-- Federation: tenants' verified domains, the upstream identity providers
-- they trust, round trips to those in flight, and the redemption policy.
-- Conventions as in 0001. Keep in step with ../postgres/0006_federation.sql.

-- redemption_order is a JSON text list of Redeem… values; [] is the
-- default order.
ALTER TABLE tenants ADD COLUMN redemption_order   TEXT    NOT NULL DEFAULT '[]';
ALTER TABLE tenants ADD COLUMN redeem_any_account INTEGER NOT NULL DEFAULT 0 CHECK (redeem_any_account IN (0, 1));

-- A verified email domain (lower-cased); one tenant at most owns it.
CREATE TABLE domains (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
) STRICT;

-- scopes, claims_mapping and domains are JSON text. partner_tenant_id is
-- NULL except for Foyer providers, which go with either tenant; a tenant
-- has one Foyer provider per partner.
CREATE TABLE identity_providers (
    tenant_id            TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   TEXT    NOT NULL,
    type                 TEXT    NOT NULL,
    display_name         TEXT    NOT NULL,
    client_id            TEXT    NOT NULL DEFAULT '',
    sealed_client_secret BLOB,
    issuer               TEXT    NOT NULL DEFAULT '',
    partner_tenant_id    TEXT    REFERENCES tenants (id) ON DELETE CASCADE,
    scopes               TEXT    NOT NULL,
    claims_mapping       TEXT    NOT NULL,
    domains              TEXT    NOT NULL,
    enabled              INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    mfa_trusted          INTEGER NOT NULL CHECK (mfa_trusted IN (0, 1)),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX identity_providers_partner_key ON identity_providers (tenant_id, partner_tenant_id)
    WHERE type = 'Foyer';
CREATE INDEX identity_providers_partner_idx ON identity_providers (partner_tenant_id)
    WHERE partner_tenant_id IS NOT NULL;

-- One browser's trip to an upstream provider; lives minutes and is
-- consumed once by its callback.
CREATE TABLE federation_logins (
    tenant_id       TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    state_hash      TEXT    NOT NULL,
    provider_id     TEXT    NOT NULL,
    nonce           TEXT    NOT NULL,
    code_verifier   TEXT    NOT NULL,
    browser_binding TEXT    NOT NULL,
    redemption_id   TEXT    NOT NULL DEFAULT '',
    auth_request_id TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, state_hash)
) STRICT;
CREATE INDEX federation_logins_expiry_idx ON federation_logins (expires_at);
