-- Foyer schema, PostgreSQL dialect. Times are TIMESTAMPTZ (microseconds);
-- string lists JSON text, as in SQLite. Every row carries its tenant; rows a
-- tenant owns go with it by ON DELETE CASCADE, except audit events, which
-- outlive it. Keep in step with ../sqlite/0001_init.sql.

CREATE TABLE tenants (
    id           TEXT        NOT NULL PRIMARY KEY,
    slug         TEXT        NOT NULL UNIQUE,
    display_name TEXT        NOT NULL,
    logo_url     TEXT        NOT NULL DEFAULT '',
    accent_color TEXT        NOT NULL DEFAULT '',
    sender_name  TEXT        NOT NULL DEFAULT '',
    signing_alg  TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    tenant_id                      TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                             TEXT        NOT NULL,
    display_name                   TEXT        NOT NULL,
    given_name                     TEXT        NOT NULL DEFAULT '',
    surname                        TEXT        NOT NULL DEFAULT '',
    mail                           TEXT        NOT NULL DEFAULT '',
    user_principal_name            TEXT        NOT NULL,
    user_type                      TEXT        NOT NULL CHECK (user_type IN ('Member', 'Guest')),
    external_user_state            TEXT        NOT NULL DEFAULT '',
    external_user_state_changed_at TIMESTAMPTZ,
    creation_type                  TEXT        NOT NULL DEFAULT '',
    account_enabled                BOOLEAN     NOT NULL,
    password_hash                  TEXT        NOT NULL DEFAULT '',
    created_at                     TIMESTAMPTZ NOT NULL,
    updated_at                     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- Case-insensitive uniqueness; the same expressions serve GetUserByEmail.
CREATE UNIQUE INDEX users_upn_key ON users (tenant_id, lower(user_principal_name));
CREATE UNIQUE INDEX users_mail_key ON users (tenant_id, lower(mail)) WHERE mail <> '';
CREATE INDEX users_type_idx ON users (tenant_id, user_type, id);

CREATE TABLE user_identities (
    tenant_id          TEXT        NOT NULL,
    user_id            TEXT        NOT NULL,
    ordinal            INTEGER     NOT NULL,
    sign_in_type       TEXT        NOT NULL,
    issuer             TEXT        NOT NULL,
    issuer_assigned_id TEXT        NOT NULL,
    PRIMARY KEY (tenant_id, issuer, issuer_assigned_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_identities_user_idx ON user_identities (tenant_id, user_id, ordinal);

CREATE TABLE groups (
    tenant_id                TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                       TEXT        NOT NULL,
    display_name             TEXT        NOT NULL,
    description              TEXT        NOT NULL DEFAULT '',
    owners_can_invite_guests BOOLEAN     NOT NULL,
    created_at               TIMESTAMPTZ NOT NULL,
    updated_at               TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE group_members (
    tenant_id TEXT        NOT NULL,
    group_id  TEXT        NOT NULL,
    user_id   TEXT        NOT NULL,
    PRIMARY KEY (tenant_id, group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user_idx ON group_members (tenant_id, user_id);

CREATE TABLE group_owners (
    tenant_id TEXT        NOT NULL,
    group_id  TEXT        NOT NULL,
    user_id   TEXT        NOT NULL,
    PRIMARY KEY (tenant_id, group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_owners_user_idx ON group_owners (tenant_id, user_id);

CREATE TABLE applications (
    tenant_id                 TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                        TEXT        NOT NULL,
    client_id                 TEXT        NOT NULL,
    display_name              TEXT        NOT NULL,
    client_type               TEXT        NOT NULL,
    redirect_uris             TEXT        NOT NULL,
    post_logout_redirect_uris TEXT        NOT NULL,
    grant_types               TEXT        NOT NULL,
    home_page_url             TEXT        NOT NULL DEFAULT '',
    first_party               BOOLEAN     NOT NULL,
    assignment_required       BOOLEAN     NOT NULL,
    access_token_format       TEXT        NOT NULL DEFAULT '',
    api_permissions           TEXT        NOT NULL,
    created_at                TIMESTAMPTZ NOT NULL,
    updated_at                TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, client_id)
);

CREATE TABLE client_secrets (
    tenant_id  TEXT        NOT NULL,
    app_id     TEXT        NOT NULL,
    id         TEXT        NOT NULL,
    hash       TEXT        NOT NULL,
    hint       TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, app_id, id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE application_owners (
    tenant_id TEXT        NOT NULL,
    app_id    TEXT        NOT NULL,
    user_id   TEXT        NOT NULL,
    PRIMARY KEY (tenant_id, app_id, user_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX application_owners_user_idx ON application_owners (tenant_id, user_id);

-- One table per principal type so that each principal is a real foreign key.
CREATE TABLE application_user_assignments (
    tenant_id  TEXT        NOT NULL,
    app_id     TEXT        NOT NULL,
    user_id    TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, app_id, user_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX application_user_assignments_user_idx ON application_user_assignments (tenant_id, user_id);

CREATE TABLE application_group_assignments (
    tenant_id  TEXT        NOT NULL,
    app_id     TEXT        NOT NULL,
    group_id   TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, app_id, group_id),
    FOREIGN KEY (tenant_id, app_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX application_group_assignments_group_idx ON application_group_assignments (tenant_id, group_id);

CREATE TABLE role_assignments (
    tenant_id TEXT        NOT NULL,
    user_id   TEXT        NOT NULL,
    role      TEXT        NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX role_assignments_role_idx ON role_assignments (tenant_id, role);

CREATE TABLE signing_keys (
    tenant_id      TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             TEXT        NOT NULL,
    algorithm      TEXT        NOT NULL,
    state          TEXT        NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    sealed_private BYTEA       NOT NULL,
    public_jwk     BYTEA       NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    activated_at   TIMESTAMPTZ,
    retired_at     TIMESTAMPTZ,
    publish_until  TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id)
);
-- At most one active and one next key per tenant, whatever the callers do.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (tenant_id) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (tenant_id) WHERE state = 'next';

-- No foreign key: audit events outlive their tenant. tenant_id is '' for
-- events that belong to no tenant.
CREATE TABLE audit_events (
    id             TEXT        NOT NULL PRIMARY KEY,
    occurred_at    TIMESTAMPTZ NOT NULL,
    tenant_id      TEXT        NOT NULL,
    category       TEXT        NOT NULL DEFAULT '',
    activity       TEXT        NOT NULL DEFAULT '',
    actor_type     TEXT        NOT NULL DEFAULT '',
    actor_id       TEXT        NOT NULL DEFAULT '',
    actor_name     TEXT        NOT NULL DEFAULT '',
    target_type    TEXT        NOT NULL DEFAULT '',
    target_id      TEXT        NOT NULL DEFAULT '',
    target_name    TEXT        NOT NULL DEFAULT '',
    result         TEXT        NOT NULL DEFAULT '',
    reason         TEXT        NOT NULL DEFAULT '',
    client_ip      TEXT        NOT NULL DEFAULT '',
    user_agent     TEXT        NOT NULL DEFAULT '',
    correlation_id TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_tenant_time_idx ON audit_events (tenant_id, occurred_at, id);
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at, id);

CREATE TABLE single_use_tokens (
    tenant_id   TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind        TEXT        NOT NULL,
    hash        TEXT        NOT NULL,
    subject_id  TEXT        NOT NULL DEFAULT '',
    payload     BYTEA,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    consumed_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, kind, hash)
);
CREATE INDEX single_use_tokens_expiry_idx ON single_use_tokens (expires_at);
