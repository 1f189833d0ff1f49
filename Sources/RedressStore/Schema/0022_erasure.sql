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
       AND (NEW.role, NEW.disabled_at, NEW.session_epoch) IS DISTINCT FROM (OLD.role, OLD.disabled_at, OLD.session_epoch)
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

-- The prose of an answer or a proposal (which may quote the consumer) replaced by `marker`, the
-- terms kept: what the retention job does to a case's answer, settlement and agreed outcome.
CREATE FUNCTION redress_anonymise_proposal(proposal jsonb, marker text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(proposal -> 'text') = 'string' THEN jsonb_set(proposal, '{text}', to_jsonb(marker)) ELSE proposal END
$$;
CREATE FUNCTION redress_anonymise_answer(answer jsonb, marker text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(a.answer -> 'proposal') = 'object'
                THEN jsonb_set(a.answer, '{proposal}', redress_anonymise_proposal(a.answer -> 'proposal', marker)) ELSE a.answer END
    FROM (SELECT CASE WHEN jsonb_typeof(answer -> 'reason') = 'string' THEN jsonb_set(answer, '{reason}', to_jsonb(marker))
                      ELSE answer END AS answer) AS a
$$;

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

-- The database holds these one way, whatever SQL the service were to send: a session once revoked
-- stays revoked, one opened without a second factor cannot acquire it except by its owner's
-- enrolment (false to true only), its epoch never changes, its client details only go; a complaint's
-- erasure marks are the erasing system's; an account's erasure is its own and final.
CREATE FUNCTION sessions_one_way() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at)
       OR (OLD.second_factor AND NOT NEW.second_factor)
       OR (NEW.second_factor AND NOT OLD.second_factor AND OLD.account_id IS DISTINCT FROM redress_actor_id())
       OR NEW.epoch <> OLD.epoch OR NEW.account_id <> OLD.account_id OR NEW.token_digest <> OLD.token_digest
       OR (NEW.client_description IS NOT NULL AND NEW.client_description IS DISTINCT FROM OLD.client_description)
       OR (NEW.client_address IS NOT NULL AND NEW.client_address IS DISTINCT FROM OLD.client_address)
    THEN
        RAISE EXCEPTION 'sessions change one way only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER sessions_one_way BEFORE UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION sessions_one_way();

CREATE FUNCTION complaints_erasure_marks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.erased_at, NEW.anonymised_at) IS DISTINCT FROM (OLD.erased_at, OLD.anonymised_at)
       AND NOT (redress_actor_role() = 'system' AND current_setting('redress.erasing', true) = 'on'
                AND (OLD.erased_at IS NULL OR NEW.erased_at IS NOT DISTINCT FROM OLD.erased_at)
                AND (OLD.anonymised_at IS NULL OR NEW.anonymised_at IS NOT DISTINCT FROM OLD.anonymised_at))
    THEN
        RAISE EXCEPTION 'erasure marks are the erasing system''s, and final' USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- A comment written after the erasure or anonymisation (a late rating) is not kept.
    IF OLD.erased_at IS NOT NULL AND NEW.rating_comment IS DISTINCT FROM OLD.rating_comment THEN
        NEW.rating_comment := NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER complaints_erasure_marks BEFORE UPDATE ON complaints FOR EACH ROW EXECUTE FUNCTION complaints_erasure_marks();

CREATE FUNCTION accounts_erasure_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.erased_at IS NOT NULL AND NEW.erased_at IS DISTINCT FROM OLD.erased_at)
       OR (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL AND OLD.id IS DISTINCT FROM redress_actor_id())
       OR (OLD.erased_at IS NOT NULL AND (NEW.email, NEW.display_name, NEW.phone) IS DISTINCT FROM (OLD.email, OLD.display_name, OLD.phone))
    THEN
        RAISE EXCEPTION 'an erasure is its owner''s, and final' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER accounts_erasure_final BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_erasure_final();
