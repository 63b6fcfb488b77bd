-- One row per interactive sign-in attempt (Graph's signIn), in place of
-- the "Sign-in" rows of audit_events; and indexes for the directoryAudits
-- filters. No foreign key: like audit events, sign-ins outlive their
-- tenant and user. authentication_methods is a JSON array.
-- Keep in step with ../sqlite/0013_sign_ins.sql.
CREATE TABLE sign_ins (
    id                         TEXT    NOT NULL PRIMARY KEY,
    tenant_id                  TEXT    NOT NULL,
    created_at                 TIMESTAMPTZ NOT NULL,
    user_id                    TEXT    NOT NULL DEFAULT '',
    user_display_name          TEXT    NOT NULL DEFAULT '',
    user_principal_name        TEXT    NOT NULL DEFAULT '',
    user_type                  TEXT    NOT NULL DEFAULT '',
    app_id                     TEXT    NOT NULL DEFAULT '',
    app_display_name           TEXT    NOT NULL DEFAULT '',
    ip_address                 TEXT    NOT NULL DEFAULT '',
    user_agent                 TEXT    NOT NULL DEFAULT '',
    correlation_id             TEXT    NOT NULL DEFAULT '',
    authentication_requirement TEXT    NOT NULL DEFAULT '',
    authentication_methods     TEXT    NOT NULL DEFAULT '[]',
    home_tenant_id             TEXT    NOT NULL DEFAULT '',
    error_code                 INTEGER NOT NULL DEFAULT 0,
    failure_reason             TEXT    NOT NULL DEFAULT '',
    attempt_key                TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sign_ins_tenant_time_idx ON sign_ins (tenant_id, created_at, id);
CREATE INDEX sign_ins_tenant_user_idx ON sign_ins (tenant_id, user_id, created_at, id);
CREATE INDEX sign_ins_tenant_app_idx ON sign_ins (tenant_id, app_id, created_at, id);
CREATE INDEX sign_ins_tenant_status_idx ON sign_ins (tenant_id, error_code, created_at, id);
CREATE UNIQUE INDEX sign_ins_attempt_idx ON sign_ins (tenant_id, attempt_key) WHERE attempt_key <> '';

-- Sign-in attempts were audit rows ("Sign-in", category SignIn) until
-- now. Those rows stay: the audit log is append-only.

CREATE INDEX audit_events_tenant_activity_idx ON audit_events (tenant_id, activity, occurred_at, id);
CREATE INDEX audit_events_tenant_actor_idx ON audit_events (tenant_id, actor_id, occurred_at, id);
CREATE INDEX audit_events_tenant_target_idx ON audit_events (tenant_id, target_id, occurred_at, id);
-- Few values, but the rare ones (failures, one category) are what an admin
-- looks for: without these a page of them scans the tenant's whole log.
CREATE INDEX audit_events_tenant_category_idx ON audit_events (tenant_id, category, occurred_at, id);
CREATE INDEX audit_events_tenant_result_idx ON audit_events (tenant_id, result, occurred_at, id);
