-- Purging the sign-in log by age, across tenants, needs an index on the
-- time alone. Keep in step with ../postgres/0018_sign_ins_time.sql.
CREATE INDEX sign_ins_time_idx ON sign_ins (created_at);
