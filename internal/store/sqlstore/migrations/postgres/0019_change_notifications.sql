-- Every node keeps tenants, applications with their secrets, and signing
-- keys in memory for a few seconds. A committed change to one of them
-- tells every node at once: a notification on the channel foyer_changes
-- whose payload is "schema table tenant_id", delivered by PostgreSQL when
-- the transaction commits (and folded when one transaction repeats it).
-- Writers need not remember to notify: the trigger does, whoever writes.
-- SQLite runs one node and has no twin of this file.
CREATE FUNCTION foyer_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb := CASE TG_OP WHEN 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
BEGIN
    PERFORM pg_notify('foyer_changes',
        TG_TABLE_SCHEMA || ' ' || TG_TABLE_NAME || ' ' || (changed ->> TG_ARGV[0]));
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_notify_change AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION foyer_notify_change('id');
CREATE TRIGGER applications_notify_change AFTER INSERT OR UPDATE OR DELETE ON applications
    FOR EACH ROW EXECUTE FUNCTION foyer_notify_change('tenant_id');
CREATE TRIGGER client_secrets_notify_change AFTER INSERT OR UPDATE OR DELETE ON client_secrets
    FOR EACH ROW EXECUTE FUNCTION foyer_notify_change('tenant_id');
CREATE TRIGGER signing_keys_notify_change AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION foyer_notify_change('tenant_id');
