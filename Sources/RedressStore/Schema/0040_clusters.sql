-- 0040: clusters of open cases that are the same problem. Every filed complaint is queued; the cluster
-- job (as the system) compares it with the recent open cases of the same company's merchants (one credit
-- code, any platform) or of the same product and category, by the similarity of their texts, and
-- proposes it as a member of the best match's cluster. Mediation leads group a cluster's cases into a
-- collective case (0038).
CREATE TABLE complaint_clusters (
    id uuid PRIMARY KEY,
    reason text NOT NULL CHECK (reason IN ('same_merchant', 'same_product')),
    category text NOT NULL,
    size integer NOT NULL DEFAULT 0 CHECK (size >= 0),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX complaint_clusters_recent ON complaint_clusters (updated_at DESC, id);
CREATE TABLE cluster_members (
    complaint_id uuid PRIMARY KEY REFERENCES complaints (id),
    cluster_id uuid NOT NULL REFERENCES complaint_clusters (id),
    -- The similarity (0 … 1) of its texts to the case it was matched with.
    similarity real NOT NULL CHECK (similarity BETWEEN 0 AND 1),
    joined_at timestamptz NOT NULL
);
CREATE INDEX cluster_members_by_cluster ON cluster_members (cluster_id);
CREATE TABLE cluster_queue (
    complaint_id uuid PRIMARY KEY REFERENCES complaints (id),
    queued_at timestamptz NOT NULL
);
-- Candidates by product: the same product name.
CREATE INDEX complaints_by_product ON complaints (product_name, submitted_at);

CREATE FUNCTION complaints_queue_for_clustering() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO cluster_queue (complaint_id, queued_at) VALUES (NEW.id, NEW.submitted_at) ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER complaints_cluster_queue AFTER INSERT ON complaints FOR EACH ROW EXECUTE FUNCTION complaints_queue_for_clustering();

-- A cluster says only that some cases look alike (its reason, category and size): staff read it. Its
-- members are read by whoever may read the case. The system writes them; the queue is the system's.
ALTER TABLE complaint_clusters ENABLE ROW LEVEL SECURITY;
ALTER TABLE complaint_clusters FORCE ROW LEVEL SECURITY;
ALTER TABLE cluster_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE cluster_members FORCE ROW LEVEL SECURITY;
ALTER TABLE cluster_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE cluster_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY clusters_read ON complaint_clusters FOR SELECT
    USING (redress_actor_role() IN ('platform_staff', 'platform_admin', 'merchant_staff', 'mediator', 'mediation_lead', 'auditor', 'system'));
CREATE POLICY clusters_write ON complaint_clusters FOR INSERT WITH CHECK (redress_actor_role() = 'system');
CREATE POLICY clusters_grow ON complaint_clusters FOR UPDATE USING (redress_actor_role() = 'system');
CREATE POLICY members_read ON cluster_members FOR SELECT
    USING (EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id));
CREATE POLICY members_write ON cluster_members FOR INSERT WITH CHECK (redress_actor_role() = 'system');
CREATE POLICY queue_system ON cluster_queue FOR ALL
    USING (redress_actor_role() = 'system') WITH CHECK (redress_actor_role() = 'system');
-- The filing trigger queues as the filing consumer (its function is the owner's).
CREATE POLICY queue_filing ON cluster_queue FOR INSERT TO CURRENT_USER WITH CHECK (true);
GRANT SELECT, INSERT ON complaint_clusters, cluster_members, cluster_queue TO redress_app;
GRANT UPDATE (size, updated_at) ON complaint_clusters TO redress_app;
GRANT DELETE, UPDATE (queued_at) ON cluster_queue TO redress_app;

-- Open cases filed before this migration are queued too.
SELECT set_config('redress.role', 'system', true);
INSERT INTO cluster_queue (complaint_id, queued_at)
SELECT id, submitted_at FROM complaints WHERE state NOT IN ('closed_resolved', 'closed', 'withdrawn', 'invalid', 'referred');
SELECT set_config('redress.role', '', true);
