-- 0005: evidence. Files are kept in PostgreSQL, content-addressed by SHA-256 (the same bytes are
-- stored once), exactly as uploaded; nothing edits or deletes them.

CREATE TABLE evidence_blobs (
    sha256 bytea PRIMARY KEY CHECK (length(sha256) = 32),
    content bytea NOT NULL,
    size bigint NOT NULL CHECK (size = length(content)),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE evidence (
    id uuid PRIMARY KEY,
    complaint_id uuid NOT NULL REFERENCES complaints (id),
    kind text NOT NULL CHECK (kind IN ('order_record', 'payment_proof', 'communication_record', 'anomaly_proof', 'other')),
    filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    size bigint NOT NULL CHECK (size > 0),
    -- Checked at commit: the evidence row is written first, so that row-level security lets the
    -- writer see the file it is adding (INSERT … ON CONFLICT reads the row through the SELECT policy).
    sha256 bytea NOT NULL REFERENCES evidence_blobs (sha256) DEFERRABLE INITIALLY DEFERRED,
    uploaded_by uuid NOT NULL REFERENCES accounts (id),
    uploader_role text NOT NULL,
    uploaded_at timestamptz NOT NULL
);
CREATE INDEX evidence_by_complaint ON evidence (complaint_id, uploaded_at, id);
CREATE INDEX evidence_by_digest ON evidence (sha256);

-- Immutable for everyone, owner included.
CREATE FUNCTION evidence_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'evidence is immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER evidence_immutable BEFORE UPDATE OR DELETE ON evidence FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse_change();
CREATE TRIGGER evidence_blobs_immutable BEFORE UPDATE OR DELETE ON evidence_blobs FOR EACH ROW EXECUTE FUNCTION evidence_refuse_change();
CREATE TRIGGER evidence_blobs_no_truncate BEFORE TRUNCATE ON evidence_blobs FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse_change();

ALTER TABLE evidence ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence FORCE ROW LEVEL SECURITY;
ALTER TABLE evidence_blobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence_blobs FORCE ROW LEVEL SECURITY;

-- Evidence belongs to the parties of its case (and the deadline job for the dossier's list).
CREATE POLICY evidence_read ON evidence FOR SELECT USING (
    redress_actor_role() NOT IN ('auditor', 'admin')
    AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
                AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id)));
CREATE POLICY evidence_add ON evidence FOR INSERT WITH CHECK (
    uploaded_by = redress_actor_id()
    AND redress_actor_role() NOT IN ('auditor', 'admin', 'system')
    AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
                AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id)));
-- A file's bytes are readable through a piece of evidence the caller may read: knowing a digest
-- opens nothing.
CREATE POLICY blob_read ON evidence_blobs FOR SELECT USING (
    EXISTS (SELECT 1 FROM evidence e WHERE e.sha256 = evidence_blobs.sha256));
CREATE POLICY blob_add ON evidence_blobs FOR INSERT WITH CHECK (redress_actor_role() NOT IN ('auditor', 'admin', 'system'));

GRANT SELECT, INSERT ON evidence, evidence_blobs TO redress_app;
