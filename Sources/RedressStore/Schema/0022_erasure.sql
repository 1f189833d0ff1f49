-- 0022: a person's data erased on request (PIPL Art. 47), and closed cases' personal data after the
-- retention period (Docs/accounts.md gives the periods and their legal basis). What goes: names,
-- contact details, free texts, evidence files, sessions' client details. What stays: the case's
-- facts the figures are made of (states, dates, amounts, outcome) and the audit chain, which never
-- held the values (keyed digests only).

ALTER TABLE accounts ADD COLUMN erased_at timestamptz;
ALTER TABLE complaints
    -- The consumer's name and texts, the case's messages by him and his evidence are gone.
    ADD COLUMN erased_at timestamptz,
    -- The transaction facts too (order number, product, payment reference): the retention period ended.
    ADD COLUMN anonymised_at timestamptz;
CREATE INDEX complaints_retention ON complaints (closed_at) WHERE anonymised_at IS NULL AND closed_at IS NOT NULL;

-- An account changes its own name or contact details only in being erased (the API offers no other
-- way; this holds the database to it).
CREATE OR REPLACE FUNCTION accounts_guard_self() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.id = redress_actor_id()
       AND (NEW.role, NEW.disabled_at, NEW.sessions_not_before) IS DISTINCT FROM (OLD.role, OLD.disabled_at, OLD.sessions_not_before)
    THEN
        RAISE EXCEPTION 'an account cannot change its own role or status' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.email, NEW.display_name, NEW.phone) IS DISTINCT FROM (OLD.email, OLD.display_name, OLD.phone) AND NEW.erased_at IS NULL THEN
        RAISE EXCEPTION 'names and contact details change only by erasure' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

-- A complaint's intake (the consumer's statement and the order's facts) is fixed; only the system
-- replaces it, when erasing or anonymising.
CREATE FUNCTION complaints_guard_intake() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    erasing boolean := redress_actor_role() = 'system' AND current_setting('redress.erasing', true) = 'on';
BEGIN
    IF NOT erasing AND (
        (NEW.consumer_name, NEW.title, NEW.description, NEW.demands, NEW.order_no, NEW.product_name, NEW.payment_ref)
            IS DISTINCT FROM (OLD.consumer_name, OLD.title, OLD.description, OLD.demands, OLD.order_no, OLD.product_name, OLD.payment_ref)
        -- A rating's comment and a referral's reference are written once, by their step of the lifecycle.
        OR (OLD.rating_comment IS NOT NULL AND NEW.rating_comment IS DISTINCT FROM OLD.rating_comment)
        OR (OLD.referral_reference IS NOT NULL AND NEW.referral_reference IS DISTINCT FROM OLD.referral_reference))
    THEN
        RAISE EXCEPTION 'a complaint''s statement and order facts change only by erasure' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER complaints_guard_intake BEFORE UPDATE ON complaints FOR EACH ROW EXECUTE FUNCTION complaints_guard_intake();

-- Evidence stays immutable, but the system may remove it while erasing.
CREATE OR REPLACE FUNCTION evidence_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND redress_actor_role() = 'system' AND current_setting('redress.erasing', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'evidence is immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE POLICY evidence_erase ON evidence FOR DELETE USING (redress_actor_role() = 'system');
CREATE POLICY blob_erase_read ON evidence_blobs FOR SELECT USING (redress_actor_role() = 'system');
CREATE POLICY blob_erase ON evidence_blobs FOR DELETE USING (redress_actor_role() = 'system');

-- Messages: the system replaces the bodies it erases (and must see them to do so).
CREATE POLICY message_erase_read ON complaint_messages FOR SELECT
    USING (redress_actor_role() = 'system' AND current_setting('redress.erasing', true) = 'on');
CREATE POLICY message_erase ON complaint_messages FOR UPDATE
    USING (redress_actor_role() = 'system' AND current_setting('redress.erasing', true) = 'on');

-- Sessions ended a month ago lose their client details (the retention job, as the system).
CREATE POLICY session_retention_read ON sessions FOR SELECT USING (redress_actor_role() = 'system');
CREATE POLICY session_retention ON sessions FOR UPDATE USING (redress_actor_role() = 'system');
CREATE INDEX sessions_with_client_details ON sessions (expires_at) WHERE client_description IS NOT NULL OR client_address IS NOT NULL;

GRANT UPDATE (email, display_name, phone, erased_at) ON accounts TO redress_app;
GRANT UPDATE (consumer_name, title, description, demands, order_no, product_name, payment_ref, rating_comment,
              referral_reference, erased_at, anonymised_at) ON complaints TO redress_app;
GRANT UPDATE (body) ON complaint_messages TO redress_app;
GRANT UPDATE (client_description, client_address) ON sessions TO redress_app;
GRANT DELETE ON evidence, evidence_blobs TO redress_app;
