-- 0008: anchors. An anchor is one digest (a Merkle root) over every chain's head at one moment,
-- published outside the database; the heads it covers are kept so that `redress audit verify` can
-- check that the store still extends every anchor.

CREATE TABLE audit_anchors (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL,
    chains integer NOT NULL,
    events bigint NOT NULL,
    root bytea NOT NULL CHECK (length(root) = 32)
);

CREATE TABLE audit_anchor_heads (
    anchor_id bigint NOT NULL REFERENCES audit_anchors (id),
    chain_id text NOT NULL,
    seq bigint NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (anchor_id, chain_id)
);

CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE ON audit_anchors
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_anchors_no_truncate BEFORE TRUNCATE ON audit_anchors
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_anchor_heads_append_only BEFORE UPDATE OR DELETE ON audit_anchor_heads
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_anchor_heads_no_truncate BEFORE TRUNCATE ON audit_anchor_heads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

ALTER TABLE audit_anchors ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_anchors FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_anchor_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_anchor_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY anchors_read ON audit_anchors FOR SELECT USING (redress_actor_role() IN ('auditor', 'cli'));
CREATE POLICY anchors_write ON audit_anchors FOR INSERT WITH CHECK (redress_actor_role() = 'cli');
CREATE POLICY anchor_heads_read ON audit_anchor_heads FOR SELECT USING (redress_actor_role() IN ('auditor', 'cli'));
CREATE POLICY anchor_heads_write ON audit_anchor_heads FOR INSERT WITH CHECK (redress_actor_role() = 'cli');

GRANT SELECT, INSERT ON audit_anchors, audit_anchor_heads TO redress_app;
