-- 0017: an idempotent answer keeps the version of what it answered, so that a replay carries its
-- ETag without reading it back out of the stored JSON.
ALTER TABLE idempotency_keys ADD COLUMN response_version integer;
GRANT UPDATE (response_version) ON idempotency_keys TO redress_app;
-- Answers kept before this column: their version read once from the JSON they hold.
UPDATE idempotency_keys SET response_version = (response_body::jsonb ->> 'version')::integer
WHERE response_version IS NULL AND response_body IS NOT NULL AND response_body::jsonb ? 'version';
