-- Redeem token hashes that stopped working because their invitation was
-- renewed (the address invited again, or the invitation resent) or
-- revoked, so an old link says which rather than that it is not valid.
-- invitation_id has no foreign key: revoking may delete the invitation
-- with its guest, and the link should still say it was withdrawn.
-- Keep in step with ../sqlite/0012_invitation_retired_tokens.sql.
CREATE TABLE invitation_retired_tokens (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash    TEXT    NOT NULL,
    invitation_id TEXT    NOT NULL,
    reason        TEXT    NOT NULL CHECK (reason IN ('Replaced', 'Revoked')),
    retired_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, token_hash)
);
