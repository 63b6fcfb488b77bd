-- Multi-factor authentication: the tenant's rule, the application's own
-- requirement, each user's TOTP factor and recovery codes. Conventions as
-- in 0001. Keep in step with ../postgres/0008_mfa.sql.

-- mfa_required is '' (meaning guests), nobody, guests or everyone;
-- mfa_period_seconds 0 means the default 30 s step.
ALTER TABLE tenants ADD COLUMN mfa_required TEXT NOT NULL DEFAULT 'guests'
    CHECK (mfa_required IN ('', 'nobody', 'guests', 'everyone'));
ALTER TABLE tenants ADD COLUMN mfa_period_seconds INTEGER NOT NULL DEFAULT 0
    CHECK (mfa_period_seconds >= 0);

ALTER TABLE applications ADD COLUMN requires_mfa INTEGER NOT NULL DEFAULT 0 CHECK (requires_mfa IN (0, 1));

-- One authenticator app per user. The secrets are sealed under the master
-- key; pending_sealed_secret is one being enrolled. last_step is the last
-- accepted time step: it only moves forward, so a code is used once.
-- failures counts failed attempts since the last success; locked_until
-- is set when they reach the limit.
CREATE TABLE mfa_factors (
    tenant_id             TEXT    NOT NULL,
    user_id               TEXT        NOT NULL,
    sealed_secret         BLOB,
    pending_sealed_secret BLOB,
    active                INTEGER     NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    last_step             INTEGER     NOT NULL DEFAULT 0,
    failures              INTEGER     NOT NULL DEFAULT 0,
    last_failure_at       INTEGER,
    locked_until          INTEGER,
    created_at            INTEGER     NOT NULL,
    activated_at          INTEGER,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

-- Single-use recovery codes, stored as keyed hashes; used_at marks one
-- spent. A regeneration deletes the old set.
CREATE TABLE recovery_codes (
    tenant_id  TEXT        NOT NULL,
    user_id    TEXT        NOT NULL,
    code_hash  TEXT        NOT NULL,
    used_at    INTEGER,
    created_at INTEGER     NOT NULL,
    PRIMARY KEY (tenant_id, user_id, code_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
