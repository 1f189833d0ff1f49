-- 0015: no client address in the audit chain. Events written from now on carry none in their
-- content; the keyed digest of the address (HMAC-SHA256 with the audit key) sits in its own column,
-- outside the hash and outside every export, for an auditor who needs to tell whether two events
-- came from the same place. Events written before keep their content, which the chain's hashes
-- cover; the timeline and the dossier do not export the content of those (Docs/audit.md).
ALTER TABLE audit_events ADD COLUMN client_digest text;
