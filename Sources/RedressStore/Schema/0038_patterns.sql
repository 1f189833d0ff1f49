-- 0038: seeing the pattern. A complaint filed by a consumer who complained about the same platform in
-- the 90 days before is a repeat complaint (a sign that answers do not solve problems): the database
-- decides it at filing, and nobody changes it after. Cases of one problem are grouped by a mediation
-- lead into a collective case: one mediator, one proposal offered to each consumer, each case keeping
-- its own lifecycle and audit. The rollups count both (of counted cases, like every figure).
CREATE TABLE collective_cases (
    id uuid PRIMARY KEY,
    mediation_body_id uuid NOT NULL REFERENCES mediation_bodies (id),
    mediator_id uuid NOT NULL REFERENCES accounts (id),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    -- The proposal offered to every case: a share of each case's amount paid, and its text.
    refund_percent integer CHECK (refund_percent BETWEEN 1 AND 100),
    proposal_text text CHECK (length(proposal_text) BETWEEN 1 AND 2000),
    proposed_at timestamptz,
    created_by uuid NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL
);
ALTER TABLE collective_cases ENABLE ROW LEVEL SECURITY;
ALTER TABLE collective_cases FORCE ROW LEVEL SECURITY;
-- The body's own: its mediators and leads read them, its lead creates them, the mediator (or the lead)
-- records the proposal.
CREATE POLICY collective_read ON collective_cases FOR SELECT
    USING (redress_actor_role() IN ('mediator', 'mediation_lead') AND mediation_body_id = redress_actor_org());
CREATE POLICY collective_create ON collective_cases FOR INSERT
    WITH CHECK (redress_actor_role() = 'mediation_lead' AND mediation_body_id = redress_actor_org() AND created_by = redress_actor_id());
CREATE POLICY collective_propose ON collective_cases FOR UPDATE
    USING (mediation_body_id = redress_actor_org()
           AND (redress_actor_role() = 'mediation_lead' OR (redress_actor_role() = 'mediator' AND mediator_id = redress_actor_id())));
GRANT SELECT, INSERT ON collective_cases TO redress_app;
GRANT UPDATE (refund_percent, proposal_text, proposed_at) ON collective_cases TO redress_app;

ALTER TABLE complaints
    ADD COLUMN repeat_filing boolean NOT NULL DEFAULT false,
    ADD COLUMN collective_id uuid REFERENCES collective_cases (id);
GRANT UPDATE (collective_id) ON complaints TO redress_app;
CREATE INDEX complaints_by_collective ON complaints (collective_id) WHERE collective_id IS NOT NULL;

-- Decided at filing from the consumer's own earlier complaints (which he may read), whatever the
-- service sent; fixed after. A case joins a collective once, by the lead of the body it is with.
CREATE FUNCTION complaints_guard_patterns() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.repeat_filing := EXISTS (
            SELECT 1 FROM complaints e
            WHERE e.consumer_id = NEW.consumer_id AND e.platform_id = NEW.platform_id
              AND e.submitted_at >= NEW.submitted_at - interval '90 days' AND e.submitted_at < NEW.submitted_at);
        IF NEW.collective_id IS NOT NULL THEN
            RAISE EXCEPTION 'a case joins a collective after filing' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.repeat_filing IS DISTINCT FROM OLD.repeat_filing THEN
        RAISE EXCEPTION 'a repeat complaint is one at filing' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.collective_id IS DISTINCT FROM OLD.collective_id AND NOT (
        OLD.collective_id IS NULL AND redress_actor_role() = 'mediation_lead' AND NEW.mediation_body_id = redress_actor_org()
        AND EXISTS (SELECT 1 FROM collective_cases k WHERE k.id = NEW.collective_id AND k.mediation_body_id = NEW.mediation_body_id))
    THEN
        RAISE EXCEPTION 'a case joins a collective of its body once, by its lead' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER complaints_patterns BEFORE INSERT OR UPDATE ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaints_guard_patterns();

ALTER TABLE platform_daily_statistics
    ADD COLUMN repeat_complaints bigint NOT NULL DEFAULT 0,
    ADD COLUMN collective bigint NOT NULL DEFAULT 0;
ALTER TABLE platform_monthly_statistics
    ADD COLUMN repeat_complaints bigint NOT NULL DEFAULT 0,
    ADD COLUMN collective bigint NOT NULL DEFAULT 0;

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
        k * c.threat_confirmed::int,
        k * (c.fault_finding IS NOT DISTINCT FROM 'platform')::int,
        k * (c.fault_finding IS NOT DISTINCT FROM 'merchant')::int,
        k * (c.fault_finding IS NOT DISTINCT FROM 'shared')::int,
        (c.state <> 'invalid' AND c.fault_finding IS NOT DISTINCT FROM 'consumer')::int,
        k * (c.acknowledgements >= 2 AND c.first_response_at IS NULL)::int,
        k * (c.state = 'referred')::int,
        k * c.repeat_filing::int,
        k * (c.collective_id IS NOT NULL)::int
    ]::bigint[]
    FROM (SELECT (c.state <> 'invalid' AND c.fault_finding IS DISTINCT FROM 'consumer'
                  AND NOT (c.state = 'withdrawn' AND c.first_response_at IS NULL
                  AND c.standard_deadline_at IS NOT NULL AND c.closed_at <= c.standard_deadline_at))::int AS k) AS counted
$$;

CREATE OR REPLACE FUNCTION redress_add_statistics(platform uuid, day date, category text, delta bigint[]) RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, public
AS $$
    INSERT INTO platform_daily_statistics AS s (platform_id, day, category, complaints, counted, due, responded,
        responded_on_time, awaiting_response, resolved_monetary, resolved_non_monetary, closed_with_explanation, closed_unresolved,
        escalated, withdrawn, invalid, amount_claimed, amount_refunded, ratings, rating_sum, unfair_terms_confirmed, threats_confirmed,
        found_platform, found_merchant, found_shared, found_consumer_error, held_without_answer, referred, repeat_complaints,
        collective)
    VALUES (platform, day, category, delta[1], delta[2], delta[3], delta[4], delta[5], delta[6], delta[7], delta[8],
        delta[9], delta[10], delta[11], delta[12], delta[13], delta[14], delta[15], delta[16], delta[17], delta[18], delta[19],
        delta[20], delta[21], delta[22], delta[23], delta[24], delta[25], delta[26], delta[27])
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
        threats_confirmed = s.threats_confirmed + excluded.threats_confirmed,
        found_platform = s.found_platform + excluded.found_platform, found_merchant = s.found_merchant + excluded.found_merchant,
        found_shared = s.found_shared + excluded.found_shared, found_consumer_error = s.found_consumer_error + excluded.found_consumer_error,
        held_without_answer = s.held_without_answer + excluded.held_without_answer, referred = s.referred + excluded.referred,
        repeat_complaints = s.repeat_complaints + excluded.repeat_complaints, collective = s.collective + excluded.collective;
    INSERT INTO platform_monthly_statistics AS s (platform_id, month, category, complaints, counted, due, responded,
        responded_on_time, awaiting_response, resolved_monetary, resolved_non_monetary, closed_with_explanation, closed_unresolved,
        escalated, withdrawn, invalid, amount_claimed, amount_refunded, ratings, rating_sum, unfair_terms_confirmed, threats_confirmed,
        found_platform, found_merchant, found_shared, found_consumer_error, held_without_answer, referred, repeat_complaints,
        collective)
    VALUES (platform, date_trunc('month', day)::date, category, delta[1], delta[2], delta[3], delta[4], delta[5], delta[6],
        delta[7], delta[8], delta[9], delta[10], delta[11], delta[12], delta[13], delta[14], delta[15], delta[16], delta[17],
        delta[18], delta[19], delta[20], delta[21], delta[22], delta[23], delta[24], delta[25], delta[26], delta[27])
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
        threats_confirmed = s.threats_confirmed + excluded.threats_confirmed,
        found_platform = s.found_platform + excluded.found_platform, found_merchant = s.found_merchant + excluded.found_merchant,
        found_shared = s.found_shared + excluded.found_shared, found_consumer_error = s.found_consumer_error + excluded.found_consumer_error,
        held_without_answer = s.held_without_answer + excluded.held_without_answer, referred = s.referred + excluded.referred,
        repeat_complaints = s.repeat_complaints + excluded.repeat_complaints, collective = s.collective + excluded.collective;
$$;

CREATE OR REPLACE FUNCTION complaints_maintain_statistics() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    added bigint[] := redress_statistics_contribution(NEW);
    removed bigint[] := CASE WHEN TG_OP = 'UPDATE' THEN redress_statistics_contribution(OLD)
                             ELSE array_fill(0::bigint, ARRAY[27]) END;
    delta bigint[] := ARRAY(SELECT a - b FROM unnest(added, removed) AS pair (a, b));
BEGIN
    IF delta <> array_fill(0::bigint, ARRAY[27]) THEN
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

-- Complaints filed before this migration: repeat or not by the same rule, and the rollups' new
-- counter recounted (as the system, which reads every complaint; the row's own triggers stay off for
-- this one set-wise correction, which changes nothing a party did).
SELECT set_config('redress.role', 'system', true);
ALTER TABLE complaints DISABLE TRIGGER USER;
UPDATE complaints c SET repeat_filing = true
WHERE EXISTS (SELECT 1 FROM complaints e
              WHERE e.consumer_id = c.consumer_id AND e.platform_id = c.platform_id
                AND e.submitted_at >= c.submitted_at - interval '90 days' AND e.submitted_at < c.submitted_at);
ALTER TABLE complaints ENABLE TRIGGER USER;
UPDATE platform_daily_statistics s SET repeat_complaints = r.n
FROM (SELECT platform_id, submitted_on AS day, category, sum((redress_statistics_contribution(c))[26]) AS n
      FROM complaints c WHERE c.repeat_filing GROUP BY 1, 2, 3) r
WHERE s.platform_id = r.platform_id AND s.day = r.day AND s.category = r.category;
UPDATE platform_monthly_statistics s SET repeat_complaints = r.n
FROM (SELECT platform_id, date_trunc('month', submitted_on)::date AS month, category, sum((redress_statistics_contribution(c))[26]) AS n
      FROM complaints c WHERE c.repeat_filing GROUP BY 1, 2, 3) r
WHERE s.platform_id = r.platform_id AND s.month = r.month AND s.category = r.category;
SELECT set_config('redress.role', '', true);
