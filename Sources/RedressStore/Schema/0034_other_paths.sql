-- 0034: the guide's other paths. A platform hands a case to its merchant (awaiting_platform →
-- awaiting_merchant); a consumer goes to 12315 straight from the platform stage once the platform
-- failed (awaiting_platform or proposal_made → referred), and records the authority's case number and
-- outcome later, the referral open until then; a new complaint may re-file one whose mediation failed
-- or whose settlement was never delivered.
INSERT INTO complaint_state_changes (from_state, to_state) VALUES
    ('awaiting_platform', 'awaiting_merchant'),
    ('awaiting_platform', 'referred'),
    ('proposal_made', 'referred');

ALTER TABLE complaints
    ADD COLUMN referral_outcome text CHECK (referral_outcome IN ('resolved', 'not_resolved', 'declined')),
    ADD COLUMN referral_closed_at timestamptz,
    ADD COLUMN refiles uuid REFERENCES complaints (id);
GRANT UPDATE (referral_outcome, referral_closed_at) ON complaints TO redress_app;
-- One re-filing per case.
CREATE UNIQUE INDEX complaints_refiled ON complaints (refiles) WHERE refiles IS NOT NULL;

-- The database holds these to their authors whatever SQL the service sends: a finding is the
-- mediation body's (once it took the case up); a referral's outcome is the consumer's, recorded once;
-- a re-filing names the same consumer's complaint against the same platform.
CREATE FUNCTION complaints_guard_findings_and_referrals() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.fault_finding IS NOT NULL OR NEW.referral_outcome IS NOT NULL OR NEW.referral_closed_at IS NOT NULL THEN
            RAISE EXCEPTION 'a finding or a referral comes after filing' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.refiles IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM complaints o WHERE o.id = NEW.refiles AND o.consumer_id = NEW.consumer_id AND o.platform_id = NEW.platform_id
        ) THEN
            RAISE EXCEPTION 'a re-filing names the consumer''s own complaint against the platform' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.refiles IS DISTINCT FROM OLD.refiles THEN
        RAISE EXCEPTION 'what a complaint re-files is fixed at filing' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.fault_finding IS DISTINCT FROM OLD.fault_finding
       AND NOT (redress_actor_role() IN ('mediator', 'mediation_lead') AND NEW.mediated AND NEW.mediation_body_id = redress_actor_org()) THEN
        RAISE EXCEPTION 'a finding of fault is the mediation body''s' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.referral_outcome IS DISTINCT FROM OLD.referral_outcome OR NEW.referral_closed_at IS DISTINCT FROM OLD.referral_closed_at)
       AND NOT (OLD.referral_outcome IS NULL AND NEW.referral_outcome IS NOT NULL AND NEW.referral_closed_at IS NOT NULL
                AND redress_actor_role() = 'consumer' AND NEW.consumer_id = redress_actor_id()) THEN
        RAISE EXCEPTION 'a referral''s outcome is recorded once, by its consumer' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER complaints_findings_and_referrals BEFORE INSERT OR UPDATE ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaints_guard_findings_and_referrals();

-- A thread entry's kind is its author's: holding replies from the seller's side, supplements from the consumer.
CREATE POLICY message_kind ON complaint_messages AS RESTRICTIVE FOR INSERT WITH CHECK (
    CASE kind
        WHEN 'acknowledgement' THEN redress_actor_role() IN ('platform_staff', 'platform_admin', 'merchant_staff')
        WHEN 'supplement' THEN redress_actor_role() = 'consumer'
        ELSE true
    END);
