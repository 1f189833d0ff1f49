-- 0006: the parties of a case may read its audit chain (the timeline and the dossier are made of it).
-- The events hold no personal data; which internal events a party sees is the API's filter.

CREATE POLICY complaint_chain_read ON audit_events FOR SELECT USING (
    chain_id LIKE 'complaint:%'
    AND redress_actor_role() NOT IN ('admin')
    AND EXISTS (SELECT 1 FROM complaints c
                WHERE c.id = substring(chain_id FROM 11)::uuid
                  AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id)));

-- Mediators contact both sides: the body a case was escalated to may read its consumer's account
-- (e-mail, phone). Platforms and merchants never may.
CREATE POLICY mediator_reads_consumer ON accounts FOR SELECT USING (
    redress_actor_role() IN ('mediator', 'mediation_lead')
    AND role = 'consumer'
    AND EXISTS (SELECT 1 FROM complaints c WHERE c.consumer_id = accounts.id AND c.mediation_body_id = redress_actor_org()));
