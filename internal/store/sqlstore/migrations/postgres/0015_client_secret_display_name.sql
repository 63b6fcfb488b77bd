-- A client secret's label (Graph's passwordCredential.displayName), so an
-- admin rolling secrets over can tell them apart by more than the hint.
-- Keep in step with ../sqlite/0015_client_secret_display_name.sql.
ALTER TABLE client_secrets ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
