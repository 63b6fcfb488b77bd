-- Graph's passwordProfile.forceChangePasswordNextSignIn: the member must
-- choose a new password at their next password sign-in, before any code
-- is issued. The login transaction that proved the old password and waits
-- for the new one keeps a keyed hash of the password hash it proved
-- (password_proof), so a password reset meanwhile voids it.
-- Keep in step with ../sqlite/0020_force_change_password.sql.
ALTER TABLE users ADD COLUMN force_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE auth_requests ADD COLUMN password_proof TEXT NOT NULL DEFAULT '';
