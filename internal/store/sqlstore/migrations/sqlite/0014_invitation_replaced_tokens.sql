-- Redeem token hashes an invitation had before it was renewed (the same
-- address invited again, or resent), so an old link says it was replaced
-- rather than that it is not valid. Deleted with the invitation.
CREATE TABLE invitation_replaced_tokens (
    tenant_id     TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL,
    invitation_id TEXT    NOT NULL,
    replaced_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, invitation_id) REFERENCES invitations (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX invitation_replaced_tokens_invitation_idx ON invitation_replaced_tokens (tenant_id, invitation_id);
