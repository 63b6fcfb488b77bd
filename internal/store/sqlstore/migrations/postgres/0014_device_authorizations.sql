-- RFC 8628 device authorization requests: the device and user codes only
-- as keyed hashes. interval_seconds grows with slow_down; next_poll_at is
-- when the client may poll again. A login transaction of the verification
-- page names its request in device_id.
-- Keep in step with ../sqlite/0014_device_authorizations.sql.
CREATE TABLE device_authorizations (
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               TEXT    NOT NULL,
    device_code_hash TEXT    NOT NULL,
    user_code_hash   TEXT    NOT NULL,
    client_id        TEXT    NOT NULL,
    scopes           TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'consumed')),
    user_id          TEXT    NOT NULL DEFAULT '',
    auth_time        TIMESTAMPTZ,
    amr              TEXT    NOT NULL,
    sid              TEXT    NOT NULL DEFAULT '',
    interval_seconds INTEGER NOT NULL,
    next_poll_at     TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX device_authorizations_device_code_idx ON device_authorizations (tenant_id, device_code_hash);
CREATE UNIQUE INDEX device_authorizations_user_code_idx ON device_authorizations (tenant_id, user_code_hash);
CREATE INDEX device_authorizations_expiry_idx ON device_authorizations (expires_at);

ALTER TABLE auth_requests ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
