-- 0014: throttles that hold under concurrency, and rows that do not outlive their use.
-- A login attempt is reserved (a row per subject, sharing the attempt's id) before its password is
-- checked; a right password deletes its rows by that id. Subjects are keyed digests: the table holds
-- no address and no e-mail. Registrations are throttled in the same table.
ALTER TABLE login_failures ADD COLUMN attempt uuid;
CREATE INDEX login_failures_by_attempt ON login_failures (attempt);
CREATE INDEX login_failures_by_time ON login_failures (failed_at);

-- Idempotency keys are kept for a day (the retention job deletes older ones, as the system).
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
CREATE POLICY expire_keys ON idempotency_keys FOR DELETE USING (redress_actor_role() = 'system');
GRANT DELETE ON idempotency_keys TO redress_app;
