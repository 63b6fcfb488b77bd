-- Redeeming invitations: the tenant's invitation policy, addresses that
-- blocked a tenant's invitations, redemption transactions and email
-- one-time passcodes. Conventions as in 0001. Keep in step with
-- ../sqlite/0005_redemption.sql.

-- allow_invites_from holds Graph's allowInvitesFrom values; '' is the
-- directory's default. invite_domains is a JSON text list.
ALTER TABLE tenants ADD COLUMN allow_invites_from TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN invite_domain_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN invite_domains     TEXT NOT NULL DEFAULT '[]';

-- An address (lower-cased) that followed "block future invitations".
CREATE TABLE invitation_blocks (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, email)
);

-- One browser redeeming one invitation; lives minutes. The identity
-- columns are empty until the guest proved one.
CREATE TABLE redemptions (
    tenant_id          TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 TEXT NOT NULL,
    invitation_id      TEXT NOT NULL,
    token_hash         TEXT NOT NULL,
    browser_binding    TEXT NOT NULL,
    sign_in_type       TEXT NOT NULL DEFAULT '',
    issuer             TEXT NOT NULL DEFAULT '',
    issuer_assigned_id TEXT NOT NULL DEFAULT '',
    identity_email     TEXT NOT NULL DEFAULT '',
    amr                TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    expires_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, invitation_id) REFERENCES invitations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX redemptions_expiry_idx ON redemptions (expires_at);

-- At most one live passcode per subject ('invitation:<id>', 'user:<id>');
-- code_hash is keyed, attempts counts failed tries.
CREATE TABLE passcodes (
    tenant_id       TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    subject         TEXT    NOT NULL,
    code_hash       TEXT    NOT NULL,
    browser_binding TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, subject)
);
CREATE INDEX passcodes_expiry_idx ON passcodes (expires_at);
