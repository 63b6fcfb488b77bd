-- What an upstream sign-in leaves behind: a session remembers the
-- provider that authenticated it and the upstream's amr/acr (for the MFA
-- policy), and a redemption carries the upstream profile from the
-- callback to the consent. Conventions as in 0001. Keep in step with
-- ../postgres/0007_upstream.sql.
ALTER TABLE sessions ADD COLUMN provider_id  TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN upstream_amr TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN upstream_acr TEXT NOT NULL DEFAULT '';

ALTER TABLE redemptions ADD COLUMN provider_id  TEXT NOT NULL DEFAULT '';
ALTER TABLE redemptions ADD COLUMN upstream_amr TEXT NOT NULL DEFAULT '[]';
ALTER TABLE redemptions ADD COLUMN upstream_acr TEXT NOT NULL DEFAULT '';
ALTER TABLE redemptions ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE redemptions ADD COLUMN given_name   TEXT NOT NULL DEFAULT '';
ALTER TABLE redemptions ADD COLUMN surname      TEXT NOT NULL DEFAULT '';
