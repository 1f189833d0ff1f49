-- 0010: incremental anchors. An anchor made by 0008 covered every chain's head; with a million
-- complaints that is a million rows a day. From now on an anchor covers only the chains that grew
-- since the last one, and links to the anchor before it:
--   tree_root = Merkle root over the heads that changed (AuditAnchor.root)
--   root      = SHA-256("redress-anchor\n" + hex(previous root, or 32 zero bytes) + "\n" + hex(tree_root))
-- so publishing the latest root commits to every anchor before it, and a chain is covered by the
-- last anchor in which it appears. Anchors of 0008 (`incremental` false) keep root = tree root.

ALTER TABLE audit_anchors ADD COLUMN incremental boolean NOT NULL DEFAULT false;
ALTER TABLE audit_anchors ADD COLUMN previous_root bytea CHECK (previous_root IS NULL OR length(previous_root) = 32);
ALTER TABLE audit_anchors ADD COLUMN tree_root bytea CHECK (tree_root IS NULL OR length(tree_root) = 32);
ALTER TABLE audit_anchors ADD CHECK (NOT incremental OR (previous_root IS NOT NULL AND tree_root IS NOT NULL));

-- Where each chain was last anchored: what "changed since" means.
CREATE TABLE audit_anchored_heads (
    chain_id text PRIMARY KEY,
    seq bigint NOT NULL,
    anchor_id bigint NOT NULL REFERENCES audit_anchors (id)
);
INSERT INTO audit_anchored_heads (chain_id, seq, anchor_id)
SELECT DISTINCT ON (chain_id) chain_id, seq, anchor_id FROM audit_anchor_heads ORDER BY chain_id, anchor_id DESC;

CREATE INDEX audit_anchor_heads_by_chain ON audit_anchor_heads (chain_id, anchor_id);

ALTER TABLE audit_anchored_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_anchored_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY operator_anchors ON audit_anchored_heads FOR ALL
    USING (redress_actor_role() = 'cli') WITH CHECK (redress_actor_role() = 'cli');
GRANT SELECT, INSERT, UPDATE ON audit_anchored_heads TO redress_app;

-- Anchor roots are published anyway: anyone signed in (a case's parties exporting a dossier) reads them.
CREATE POLICY anchors_public ON audit_anchors FOR SELECT USING (redress_actor_role() IS NOT NULL AND redress_actor_role() <> 'anonymous');

-- The proof that one chain's head is in the last anchor covering it: the anchor and the leaf digests of
-- that anchor in tree order (digests only: no other chain's name), with the caller's own leaf marked.
-- For whoever may read the chain's head.
CREATE FUNCTION redress_anchor_leaves(chain text)
    RETURNS TABLE (anchor_id bigint, seq bigint, hash bytea, leaf bytea, own boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
    WITH covering AS (
        SELECT max(h.anchor_id) AS anchor_id FROM audit_anchor_heads h
        WHERE h.chain_id = chain AND EXISTS (SELECT 1 FROM redress_audit_head(chain))
    )
    SELECT h.anchor_id, CASE WHEN h.chain_id = chain THEN h.seq END, CASE WHEN h.chain_id = chain THEN h.hash END,
           sha256(convert_to('redress-anchor-leaf' || E'\n' || h.chain_id || E'\n' || h.seq::text || E'\n' || encode(h.hash, 'hex'), 'UTF8')),
           h.chain_id = chain
    FROM audit_anchor_heads h JOIN covering c ON h.anchor_id = c.anchor_id
    ORDER BY h.chain_id COLLATE "C"
$$;
