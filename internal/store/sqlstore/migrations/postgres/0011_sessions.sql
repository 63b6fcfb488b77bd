-- Disabled means disabled: the moment from which the user's sign-ins
-- count again (Graph's signInSessionsValidFromDateTime). Sessions, codes,
-- refresh token families and access tokens from a sign-in before it are
-- not honoured, whatever the account's state later. NULL: no such moment.
-- Conventions as in 0001. Keep in step with ../sqlite/0012_sessions.sql.
ALTER TABLE users ADD COLUMN sign_in_sessions_valid_from TIMESTAMPTZ;
