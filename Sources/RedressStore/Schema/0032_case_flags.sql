-- 0032: flags on a case — unfair terms and retaliation threats — recognised in the platform's recorded
-- terms and in what its side writes, or reported by the consumer; a mediator of the case confirms or
-- dismisses each. A case with a confirmed flag of a kind counts once against its platform (0033).

-- A platform's user agreement, its after-sales clauses as recorded by the platform: versioned, each
-- version in force from its date.
CREATE TABLE platform_terms (
    id uuid PRIMARY KEY,
    platform_id uuid NOT NULL REFERENCES organizations (id),
    version integer NOT NULL CHECK (version BETWEEN 1 AND 10000),
    effective_from date NOT NULL,
    clauses jsonb NOT NULL CHECK (jsonb_typeof(clauses) = 'array' AND jsonb_array_length(clauses) BETWEEN 1 AND 50),
    recorded_by uuid NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL,
    UNIQUE (platform_id, version)
);
CREATE INDEX platform_terms_in_force ON platform_terms (platform_id, effective_from DESC, version DESC);
ALTER TABLE platform_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_terms FORCE ROW LEVEL SECURITY;
-- Terms are the platform's public agreement: every signed-in caller may read them.
CREATE POLICY terms_read ON platform_terms FOR SELECT USING (redress_actor_role() IS NOT NULL);
CREATE POLICY terms_record ON platform_terms FOR INSERT WITH CHECK (
    redress_actor_role() = 'platform_admin' AND platform_id = redress_actor_org() AND recorded_by = redress_actor_id());
GRANT SELECT, INSERT ON platform_terms TO redress_app;

CREATE TABLE case_flags (
    id uuid PRIMARY KEY,
    -- The order flags were raised in (several share a moment).
    seq bigint GENERATED ALWAYS AS IDENTITY,
    complaint_id uuid NOT NULL REFERENCES complaints (id),
    kind text NOT NULL CHECK (kind IN ('unfair_term', 'retaliation_threat')),
    source text NOT NULL CHECK (source IN ('platform_terms', 'answer', 'message', 'consumer_report')),
    -- The catalogued wording recognised (none for a consumer's report).
    phrase text CHECK (length(phrase) <= 100),
    -- The terms version, the message or nothing (an answer is the case's own).
    source_id uuid,
    -- The consumer's account of a reported threat.
    statement text CHECK (length(statement) <= 8000),
    evidence_ids uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(evidence_ids) <= 10),
    raised_by uuid NOT NULL REFERENCES accounts (id),
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'confirmed', 'dismissed')),
    decided_by uuid REFERENCES accounts (id),
    decided_at timestamptz,
    created_at timestamptz NOT NULL,
    CHECK ((state = 'open') = (decided_at IS NULL))
);
-- A message, or a version of the terms, flags a case once for each kind.
CREATE UNIQUE INDEX case_flags_once ON case_flags (complaint_id, kind, source, source_id) WHERE source IN ('message', 'platform_terms');
CREATE INDEX case_flags_of_case ON case_flags (complaint_id, seq);
ALTER TABLE case_flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_flags FORCE ROW LEVEL SECURITY;
CREATE POLICY flag_read ON case_flags FOR SELECT USING (
    redress_actor_role() NOT IN ('auditor')
    AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
                AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id)));
-- Raised open by a party of the case, as itself: recognition runs in the request of whoever wrote the
-- words (the platform's side for answers and messages; the consumer's filing for the terms in force,
-- which must be its platform's), a report is the consumer's own.
CREATE POLICY flag_raise ON case_flags FOR INSERT WITH CHECK (
    state = 'open' AND raised_by = redress_actor_id()
    AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
                AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id)
                AND CASE source
                    WHEN 'consumer_report' THEN c.consumer_id = redress_actor_id()
                    WHEN 'platform_terms' THEN c.consumer_id = redress_actor_id()
                        AND EXISTS (SELECT 1 FROM platform_terms t WHERE t.id = source_id AND t.platform_id = c.platform_id)
                    ELSE redress_actor_role() IN ('platform_staff', 'platform_admin', 'merchant_staff')
                END));
-- Decided by the mediator assigned to the case, or the lead of its body, while it is open: a body
-- that never took the case up (declined at triage) decides nothing.
CREATE POLICY flag_decide ON case_flags FOR UPDATE
    USING (redress_actor_role() IN ('mediator', 'mediation_lead')
           AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id AND c.mediation_body_id = redress_actor_org() AND c.mediated
                       AND c.state NOT IN ('closed_resolved', 'referred', 'withdrawn', 'invalid', 'closed')
                       AND (c.mediator_id = redress_actor_id() OR redress_actor_role() = 'mediation_lead')))
    WITH CHECK (decided_by = redress_actor_id());
-- The erasing system replaces a consumer's statement (and must see it to do so).
CREATE POLICY flag_erase_read ON case_flags FOR SELECT
    USING (redress_actor_role() = 'system' AND current_setting('redress.erasing', true) = 'on');
CREATE POLICY flag_erase ON case_flags FOR UPDATE
    USING (redress_actor_role() = 'system' AND current_setting('redress.erasing', true) = 'on');
GRANT SELECT, INSERT ON case_flags TO redress_app;
GRANT UPDATE (state, decided_by, decided_at, statement) ON case_flags TO redress_app;

-- Whether a case has a confirmed flag of each kind: set with the confirmation, a change of the case.
ALTER TABLE complaints
    ADD COLUMN unfair_term_confirmed boolean NOT NULL DEFAULT false,
    ADD COLUMN threat_confirmed boolean NOT NULL DEFAULT false;
GRANT UPDATE (unfair_term_confirmed, threat_confirmed) ON complaints TO redress_app;
-- Only ever set, and only with a confirmed flag of its kind on the case.
CREATE FUNCTION complaints_check_confirmed_flags() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF (OLD.unfair_term_confirmed AND NOT NEW.unfair_term_confirmed) OR (OLD.threat_confirmed AND NOT NEW.threat_confirmed)
       OR (NEW.unfair_term_confirmed AND NOT OLD.unfair_term_confirmed
           AND NOT EXISTS (SELECT 1 FROM case_flags WHERE complaint_id = NEW.id AND kind = 'unfair_term' AND state = 'confirmed'))
       OR (NEW.threat_confirmed AND NOT OLD.threat_confirmed
           AND NOT EXISTS (SELECT 1 FROM case_flags WHERE complaint_id = NEW.id AND kind = 'retaliation_threat' AND state = 'confirmed'))
    THEN
        RAISE EXCEPTION 'a confirmed flag is marked on its case by its confirmation only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER complaints_confirmed_flags BEFORE UPDATE OF unfair_term_confirmed, threat_confirmed ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaints_check_confirmed_flags();

-- A decision is final; only the erasing system changes anything else (the consumer's statement).
CREATE FUNCTION case_flags_decided_once() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF OLD.state <> 'open' AND (NEW.state, NEW.decided_by, NEW.decided_at) IS DISTINCT FROM (OLD.state, OLD.decided_by, OLD.decided_at) THEN
        RAISE EXCEPTION 'a flag is decided once' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.statement IS DISTINCT FROM OLD.statement
       AND NOT (redress_actor_role() = 'system' AND current_setting('redress.erasing', true) = 'on') THEN
        RAISE EXCEPTION 'a reported statement is changed only by its erasure' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER case_flags_decide_once BEFORE UPDATE ON case_flags
    FOR EACH ROW EXECUTE FUNCTION case_flags_decided_once();
