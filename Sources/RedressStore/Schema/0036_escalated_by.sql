-- 0036: who sent a case to mediation (the consumer, the platform disputing its validity, or the system
-- carrying out the consumer's ultimatum). An ultimatum says "or I go to 12315": a case the system sent
-- to mediation may still go there instead, until the mediation body takes it up (escalated → referred).
ALTER TABLE complaints ADD COLUMN escalated_by text CHECK (escalated_by IN ('consumer', 'platform', 'system'));
GRANT UPDATE (escalated_by) ON complaints TO redress_app;
INSERT INTO complaint_state_changes (from_state, to_state) VALUES ('escalated', 'referred');

-- Whoever the service says escalated, the database holds it to the truth: written only as the case
-- enters mediation, and as the party acting then (a consumer cannot dress his own escalation up as his
-- ultimatum's, which would let him leave mediation for 12315). Cases escalated before this migration
-- keep no party: they stay in mediation, as they would have.
CREATE FUNCTION complaints_guard_escalated_by() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
DECLARE
    acting boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.escalated_by IS NOT NULL THEN
            RAISE EXCEPTION 'a case is escalated after filing' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.state = 'escalated' AND OLD.state <> 'escalated' THEN
        -- Entering mediation: the party is the one acting.
        acting := CASE NEW.escalated_by
            WHEN 'system' THEN redress_actor_role() = 'system'
            WHEN 'consumer' THEN redress_actor_role() = 'consumer'
            WHEN 'platform' THEN redress_actor_role() IN ('platform_staff', 'platform_admin')
            ELSE false
        END;
        IF NOT coalesce(acting, false) THEN
            RAISE EXCEPTION 'who escalated a case is the party that acts' USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF NEW.escalated_by IS DISTINCT FROM OLD.escalated_by THEN
        RAISE EXCEPTION 'who escalated a case is written as it enters mediation' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER complaints_escalated_by BEFORE INSERT OR UPDATE ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaints_guard_escalated_by();
