-- Guest invitations. Conventions as in 0001. Keep in step with
-- ../postgres/0004_invitations.sql.
--
-- token_hash is the keyed hash of the redeem token; re-inviting replaces it.
-- Deleting the invited user deletes its invitations.
CREATE TABLE invitations (
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               TEXT    NOT NULL,
    invited_user_id  TEXT    NOT NULL,
    email            TEXT    NOT NULL,
    redirect_url     TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('PendingAcceptance', 'Accepted', 'Revoked')),
    inviter_type     TEXT    NOT NULL DEFAULT '',
    inviter_id       TEXT    NOT NULL DEFAULT '',
    message_language TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    redeemed_at      INTEGER,
    token_hash       TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, invited_user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX invitations_token_key ON invitations (token_hash);
CREATE INDEX invitations_user_idx ON invitations (tenant_id, invited_user_id);
-- One pending invitation per guest: re-inviting renews it.
CREATE UNIQUE INDEX invitations_pending_key ON invitations (tenant_id, invited_user_id)
    WHERE status = 'PendingAcceptance';
CREATE INDEX invitations_status_idx ON invitations (tenant_id, status, created_at);
