-- Mail someone is waiting for (a passcode, a security notice) goes before
-- bulk mail (invitations): priority 0 is urgent, 1 bulk, and the drainers
-- claim by priority, then by due time.
-- Keep in step with ../postgres/0017_mail_priority.sql.
ALTER TABLE outbound_mail ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
UPDATE outbound_mail SET priority = 1 WHERE kind = 'invitation';
DROP INDEX outbound_mail_due_idx;
CREATE INDEX outbound_mail_due_idx ON outbound_mail (priority, next_attempt_at) WHERE sent_at IS NULL;
