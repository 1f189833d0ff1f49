-- 0032: flags on a case — unfair terms and retaliation threats — recognised in the platform's recorded
-- terms and in what its side writes, or reported by the consumer; a mediator of the case confirms or
-- dismisses each. A case with a confirmed flag of a kind counts once against its platform, in the
-- rollups like every other figure (so the public report withholds it by the same rule).

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
    statement text CHECK (length(statement) <= 2000),
    evidence_ids uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(evidence_ids) <= 10),
    raised_by uuid NOT NULL REFERENCES accounts (id),
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'confirmed', 'dismissed')),
    decided_by uuid REFERENCES accounts (id),
    decided_at timestamptz,
    created_at timestamptz NOT NULL,
    CHECK ((state = 'open') = (decided_at IS NULL))
);
-- The same wording from the same source flags a case once.
CREATE UNIQUE INDEX case_flags_once ON case_flags (complaint_id, kind, source, coalesce(phrase, ''), coalesce(source_id, complaint_id))
    WHERE source <> 'consumer_report';
CREATE INDEX case_flags_of_case ON case_flags (complaint_id, seq);
ALTER TABLE case_flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_flags FORCE ROW LEVEL SECURITY;
CREATE POLICY flag_read ON case_flags FOR SELECT USING (
    redress_actor_role() NOT IN ('auditor')
    AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
                AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id)));
-- Raised open by a party of the case, as itself: recognition runs in the request of whoever wrote the
-- words (the platform's own answer flags its case), a report is the consumer's.
CREATE POLICY flag_raise ON case_flags FOR INSERT WITH CHECK (
    state = 'open' AND raised_by = redress_actor_id()
    AND redress_actor_role() NOT IN ('auditor', 'admin')
    AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id
                AND redress_may_see_complaint(c.consumer_id, c.platform_id, c.merchant_id, c.mediation_body_id)));
-- Decided by the mediation body the case is with.
CREATE POLICY flag_decide ON case_flags FOR UPDATE
    USING (redress_actor_role() IN ('mediator', 'mediation_lead')
           AND EXISTS (SELECT 1 FROM complaints c WHERE c.id = complaint_id AND c.mediation_body_id = redress_actor_org()))
    WITH CHECK (decided_by = redress_actor_id());
GRANT SELECT, INSERT ON case_flags TO redress_app;
GRANT UPDATE (state, decided_by, decided_at) ON case_flags TO redress_app;

-- Whether a case has a confirmed flag of each kind: set with the confirmation, a change of the case.
ALTER TABLE complaints
    ADD COLUMN unfair_term_confirmed boolean NOT NULL DEFAULT false,
    ADD COLUMN threat_confirmed boolean NOT NULL DEFAULT false;
GRANT UPDATE (unfair_term_confirmed, threat_confirmed) ON complaints TO redress_app;

-- A decision is final.
CREATE FUNCTION case_flags_decided_once() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF OLD.state <> 'open' THEN
        RAISE EXCEPTION 'a flag is decided once' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER case_flags_decide_once BEFORE UPDATE ON case_flags
    FOR EACH ROW EXECUTE FUNCTION case_flags_decided_once();

-- The rollups gain the two counters (cases of the period with a confirmed flag of each kind).
ALTER TABLE platform_daily_statistics
    ADD COLUMN unfair_terms_confirmed bigint NOT NULL DEFAULT 0,
    ADD COLUMN threats_confirmed bigint NOT NULL DEFAULT 0;
ALTER TABLE platform_monthly_statistics
    ADD COLUMN unfair_terms_confirmed bigint NOT NULL DEFAULT 0,
    ADD COLUMN threats_confirmed bigint NOT NULL DEFAULT 0;

ALTER TABLE complaints DISABLE TRIGGER complaints_statistics;
CREATE OR REPLACE FUNCTION redress_statistics_contribution(c complaints) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, public
AS $$
    SELECT ARRAY[
        1,
        k,
        k * (c.first_response_at IS NOT NULL OR c.standard_deadline_passed OR c.standard_deadline_at IS NULL
             OR coalesce(c.closed_at > c.standard_deadline_at, false))::int,
        k * (c.first_response_at IS NOT NULL)::int,
        k * (c.first_response_on_time IS TRUE)::int,
        k * (c.first_response_at IS NULL AND c.state IN ('awaiting_merchant', 'awaiting_platform'))::int,
        k * (c.state = 'closed_resolved' AND c.outcome = 'monetary_relief')::int,
        k * (c.state = 'closed_resolved' AND c.outcome = 'non_monetary_relief')::int,
        k * (c.state = 'closed' AND c.outcome = 'explanation')::int,
        k * (c.state = 'closed' AND c.outcome = 'unresolved')::int,
        k * (c.escalated_at IS NOT NULL)::int,
        (c.state = 'withdrawn')::int,
        (c.state = 'invalid')::int,
        k * c.refund_claimed,
        k * CASE WHEN c.state = 'closed_resolved' THEN coalesce(c.agreed_refund, 0) ELSE 0 END,
        k * (c.rating IS NOT NULL)::int,
        k * coalesce(c.rating, 0),
        k * c.unfair_term_confirmed::int,
        k * c.threat_confirmed::int
    ]::bigint[]
    FROM (SELECT (c.state <> 'invalid' AND NOT (c.state = 'withdrawn' AND c.first_response_at IS NULL
                  AND c.standard_deadline_at IS NOT NULL AND c.closed_at <= c.standard_deadline_at))::int AS k) AS counted
$$;

DROP FUNCTION redress_add_statistics(uuid, date, text, bigint[]);
CREATE FUNCTION redress_add_statistics(platform uuid, day date, category text, delta bigint[]) RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, public
AS $$
    INSERT INTO platform_daily_statistics AS s (platform_id, day, category, complaints, counted, due, responded,
        responded_on_time, awaiting_response, resolved_monetary, resolved_non_monetary, closed_with_explanation, closed_unresolved,
        escalated, withdrawn, invalid, amount_claimed, amount_refunded, ratings, rating_sum, unfair_terms_confirmed, threats_confirmed)
    VALUES (platform, day, category, delta[1], delta[2], delta[3], delta[4], delta[5], delta[6], delta[7], delta[8],
        delta[9], delta[10], delta[11], delta[12], delta[13], delta[14], delta[15], delta[16], delta[17], delta[18], delta[19])
    ON CONFLICT (platform_id, day, category) DO UPDATE SET
        complaints = s.complaints + excluded.complaints, counted = s.counted + excluded.counted, due = s.due + excluded.due,
        responded = s.responded + excluded.responded, responded_on_time = s.responded_on_time + excluded.responded_on_time,
        awaiting_response = s.awaiting_response + excluded.awaiting_response,
        resolved_monetary = s.resolved_monetary + excluded.resolved_monetary,
        resolved_non_monetary = s.resolved_non_monetary + excluded.resolved_non_monetary,
        closed_with_explanation = s.closed_with_explanation + excluded.closed_with_explanation,
        closed_unresolved = s.closed_unresolved + excluded.closed_unresolved,
        escalated = s.escalated + excluded.escalated, withdrawn = s.withdrawn + excluded.withdrawn,
        invalid = s.invalid + excluded.invalid, amount_claimed = s.amount_claimed + excluded.amount_claimed,
        amount_refunded = s.amount_refunded + excluded.amount_refunded, ratings = s.ratings + excluded.ratings,
        rating_sum = s.rating_sum + excluded.rating_sum,
        unfair_terms_confirmed = s.unfair_terms_confirmed + excluded.unfair_terms_confirmed,
        threats_confirmed = s.threats_confirmed + excluded.threats_confirmed;
    INSERT INTO platform_monthly_statistics AS s (platform_id, month, category, complaints, counted, due, responded,
        responded_on_time, awaiting_response, resolved_monetary, resolved_non_monetary, closed_with_explanation, closed_unresolved,
        escalated, withdrawn, invalid, amount_claimed, amount_refunded, ratings, rating_sum, unfair_terms_confirmed, threats_confirmed)
    VALUES (platform, date_trunc('month', day)::date, category, delta[1], delta[2], delta[3], delta[4], delta[5], delta[6],
        delta[7], delta[8], delta[9], delta[10], delta[11], delta[12], delta[13], delta[14], delta[15], delta[16], delta[17],
        delta[18], delta[19])
    ON CONFLICT (platform_id, month, category) DO UPDATE SET
        complaints = s.complaints + excluded.complaints, counted = s.counted + excluded.counted, due = s.due + excluded.due,
        responded = s.responded + excluded.responded, responded_on_time = s.responded_on_time + excluded.responded_on_time,
        awaiting_response = s.awaiting_response + excluded.awaiting_response,
        resolved_monetary = s.resolved_monetary + excluded.resolved_monetary,
        resolved_non_monetary = s.resolved_non_monetary + excluded.resolved_non_monetary,
        closed_with_explanation = s.closed_with_explanation + excluded.closed_with_explanation,
        closed_unresolved = s.closed_unresolved + excluded.closed_unresolved,
        escalated = s.escalated + excluded.escalated, withdrawn = s.withdrawn + excluded.withdrawn,
        invalid = s.invalid + excluded.invalid, amount_claimed = s.amount_claimed + excluded.amount_claimed,
        amount_refunded = s.amount_refunded + excluded.amount_refunded, ratings = s.ratings + excluded.ratings,
        rating_sum = s.rating_sum + excluded.rating_sum,
        unfair_terms_confirmed = s.unfair_terms_confirmed + excluded.unfair_terms_confirmed,
        threats_confirmed = s.threats_confirmed + excluded.threats_confirmed;
$$;

CREATE OR REPLACE FUNCTION complaints_maintain_statistics() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    added bigint[] := redress_statistics_contribution(NEW);
    removed bigint[] := CASE WHEN TG_OP = 'UPDATE' THEN redress_statistics_contribution(OLD)
                             ELSE array_fill(0::bigint, ARRAY[19]) END;
    delta bigint[] := ARRAY(SELECT a - b FROM unnest(added, removed) AS pair (a, b));
BEGIN
    IF delta <> array_fill(0::bigint, ARRAY[19]) THEN
        PERFORM redress_add_statistics(NEW.platform_id, NEW.submitted_on, NEW.category, delta);
    END IF;
    IF NEW.rated_on IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.rated_on IS NULL) THEN
        INSERT INTO platform_monthly_ratings AS r (platform_id, month, ratings, rating_sum)
        VALUES (NEW.platform_id, date_trunc('month', NEW.rated_on)::date, 1, NEW.rating)
        ON CONFLICT (platform_id, month) DO UPDATE SET ratings = r.ratings + 1, rating_sum = r.rating_sum + excluded.rating_sum;
    END IF;
    IF NEW.first_response_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.first_response_at IS NULL) THEN
        INSERT INTO complaint_response_times (complaint_id, platform_id, submitted_on, category, seconds)
        VALUES (NEW.id, NEW.platform_id, NEW.submitted_on, NEW.category,
                extract(epoch FROM NEW.first_response_at - NEW.submitted_at));
    END IF;
    RETURN NULL;
END
$$;
ALTER TABLE complaints ENABLE TRIGGER complaints_statistics;
