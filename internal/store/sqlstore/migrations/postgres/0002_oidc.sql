-- OpenID provider state: login transactions, browser sessions, refresh and
-- access tokens, consents and attempt counters. Conventions as in 0001:
-- TIMESTAMPTZ times, JSON text lists, and every row carries its tenant and
-- goes with it. Keep in step with ../sqlite/0002_oidc.sql.

-- Login transactions live minutes. user_id and session_id are progress,
-- empty until the user signs in, so they are not foreign keys.
CREATE TABLE auth_requests (
    tenant_id             TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    TEXT        NOT NULL,
    client_id             TEXT        NOT NULL,
    redirect_uri          TEXT        NOT NULL,
    scopes                TEXT        NOT NULL,
    state                 TEXT        NOT NULL DEFAULT '',
    nonce                 TEXT        NOT NULL DEFAULT '',
    response_type         TEXT        NOT NULL,
    response_mode         TEXT        NOT NULL DEFAULT '',
    code_challenge        TEXT        NOT NULL DEFAULT '',
    code_challenge_method TEXT        NOT NULL DEFAULT '',
    prompt                TEXT        NOT NULL,
    max_age               BIGINT,
    login_hint            TEXT        NOT NULL DEFAULT '',
    ui_locales            TEXT        NOT NULL,
    acr_values            TEXT        NOT NULL,
    id_token_hint_subject TEXT        NOT NULL DEFAULT '',
    browser_binding       TEXT        NOT NULL DEFAULT '',
    user_id               TEXT        NOT NULL DEFAULT '',
    session_id            TEXT        NOT NULL DEFAULT '',
    auth_time             TIMESTAMPTZ,
    amr                   TEXT        NOT NULL,
    consent_given         BOOLEAN     NOT NULL,
    done                  BOOLEAN     NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    expires_at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX auth_requests_expiry_idx ON auth_requests (expires_at);

-- id is the hash of the cookie's secret.
CREATE TABLE sessions (
    tenant_id    TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           TEXT        NOT NULL,
    user_id      TEXT        NOT NULL,
    auth_time    TIMESTAMPTZ NOT NULL,
    amr          TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

-- Refresh tokens go with their user and their application (a client made
-- again under the same client id must not inherit them). Rotation marks
-- used_at; revocation of a family or grant marks revoked_at.
CREATE TABLE refresh_tokens (
    tenant_id  TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         TEXT        NOT NULL,
    hash       TEXT        NOT NULL,
    family_id  TEXT        NOT NULL,
    grant_id   TEXT        NOT NULL,
    client_id  TEXT        NOT NULL,
    user_id    TEXT        NOT NULL,
    scopes     TEXT        NOT NULL,
    audience   TEXT        NOT NULL,
    auth_time  TIMESTAMPTZ NOT NULL,
    amr        TEXT        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, client_id) REFERENCES applications (tenant_id, client_id)
        ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (tenant_id, hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_grant_idx ON refresh_tokens (tenant_id, grant_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (tenant_id, user_id);
CREATE INDEX refresh_tokens_client_idx ON refresh_tokens (tenant_id, client_id);
CREATE INDEX refresh_tokens_expiry_idx ON refresh_tokens (expires_at);

-- No foreign key but the tenant: a client-credentials token's subject is a
-- client id, and a revoked token's row must outlive its user or client
-- until the token expires, or the revocation would be forgotten. family_id
-- and grant_id are '' when the token has none.
CREATE TABLE access_tokens (
    tenant_id  TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         TEXT        NOT NULL,
    client_id  TEXT        NOT NULL,
    subject    TEXT        NOT NULL,
    scopes     TEXT        NOT NULL,
    audience   TEXT        NOT NULL,
    family_id  TEXT        NOT NULL DEFAULT '',
    grant_id   TEXT        NOT NULL DEFAULT '',
    auth_time  TIMESTAMPTZ,
    amr        TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX access_tokens_family_idx ON access_tokens (tenant_id, family_id);
CREATE INDEX access_tokens_grant_idx ON access_tokens (tenant_id, grant_id);
CREATE INDEX access_tokens_expiry_idx ON access_tokens (expires_at);

-- A consent goes with its user and its application.
CREATE TABLE consents (
    tenant_id  TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    TEXT        NOT NULL,
    client_id  TEXT        NOT NULL,
    scopes     TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, client_id) REFERENCES applications (tenant_id, client_id)
        ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX consents_client_idx ON consents (tenant_id, client_id);

CREATE TABLE counters (
    tenant_id  TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT        NOT NULL,
    value      BIGINT      NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
CREATE INDEX counters_expiry_idx ON counters (expires_at);
