-- 0007: the operator at the command line (`redress audit verify`) reads every audit chain.
CREATE POLICY operator_verifies ON audit_events FOR SELECT USING (redress_actor_role() = 'cli');

-- The last link of each chain, so that a verifier notices events removed from a chain's end. Heads
-- are kept by the chaining trigger in a table the request role cannot read; these functions show
-- them to auditors and the operator (all chains) and to a case's parties (its chain).
CREATE FUNCTION redress_audit_heads() RETURNS TABLE (chain_id text, seq bigint, hash bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
    SELECT h.chain_id, h.seq, h.hash FROM audit_chain_heads h
    WHERE redress_actor_role() IN ('auditor', 'cli')
    ORDER BY h.chain_id
$$;

CREATE FUNCTION redress_audit_head(chain text) RETURNS TABLE (seq bigint, hash bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
    SELECT h.seq, h.hash FROM audit_chain_heads h
    WHERE h.chain_id = chain AND (
        redress_actor_role() IN ('auditor', 'cli')
        OR (chain LIKE 'complaint:%' AND EXISTS (
            SELECT 1 FROM complaints c WHERE c.id = substring(chain FROM 11)::uuid
              AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id))))
$$;
