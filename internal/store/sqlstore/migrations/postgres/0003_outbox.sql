-- The durable mail outbox: messages written in the same transaction as the
-- change that causes them, drained by any node. Conventions as in 0001.
-- Keep in step with ../sqlite/0003_outbox.sql.
--
-- sealed_body holds the rendered text and HTML sealed under the master key.
-- next_attempt_at is NULL once the sender has given up on a message; a
-- claimed message carries a lease_until, so a node that dies mid-send only
-- delays it.
CREATE TABLE outbound_mail (
    tenant_id       TEXT        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              TEXT        NOT NULL,
    kind            TEXT        NOT NULL,
    to_addrs        TEXT        NOT NULL,
    cc_addrs        TEXT        NOT NULL,
    subject         TEXT        NOT NULL,
    sealed_body     BYTEA       NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    lease_until     TIMESTAMPTZ,
    sent_at         TIMESTAMPTZ,
    last_error      TEXT        NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbound_mail_due_idx ON outbound_mail (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX outbound_mail_created_idx ON outbound_mail (created_at);
