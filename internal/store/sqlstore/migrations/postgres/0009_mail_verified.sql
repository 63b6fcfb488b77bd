-- Whether Foyer itself verified a user's mail: the invited address at
-- redemption (passcode, or an upstream that proved it), or an upstream's
-- verified address in a domain that upstream serves. Only then do ID
-- tokens and userinfo say email_verified true. An admin-set mail is not
-- verified. Conventions as in 0001. Keep in step with
-- ../sqlite/0009_mail_verified.sql.
ALTER TABLE users ADD COLUMN mail_verified BOOLEAN NOT NULL DEFAULT FALSE;

-- Guests who redeemed with a passcode proved the address their identity
-- names; when that is still their mail, it stays verified. Other guests
-- are verified again at their next upstream sign-in.
UPDATE users SET mail_verified = TRUE
WHERE user_type = 'Guest' AND external_user_state = 'Accepted' AND mail <> ''
  AND EXISTS (SELECT 1 FROM user_identities i
              WHERE i.tenant_id = users.tenant_id AND i.user_id = users.id
                AND i.issuer = 'mail' AND lower(i.issuer_assigned_id) = lower(users.mail));

-- A redemption remembers whether the identity's address was verified by
-- its source (an upstream's email_verified, or a passcode).
ALTER TABLE redemptions ADD COLUMN identity_email_verified BOOLEAN NOT NULL DEFAULT FALSE;
